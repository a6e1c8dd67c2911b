/// The paper's "Uniform (Cfg k, X %)" baseline: every stream gets an equal share of the devices,
/// X % of it for inference and the rest for retraining with one fixed configuration.
///
/// A stream whose fixed configuration cannot beat its current accuracy (or has none) spends its whole
/// share on inference. `inferenceOnly` never retrains.
public struct UniformScheduler: Scheduler {
    /// Configuration name every stream retrains with, or nil for inference only.
    public let configuration: String?
    /// Fraction of each stream's share given to inference while it retrains (0...1).
    public let inferenceFraction: Double

    public init(configuration: String?, inferenceFraction: Double) {
        self.configuration = configuration
        self.inferenceFraction = inferenceFraction
    }

    public static let inferenceOnly = UniformScheduler(configuration: nil, inferenceFraction: 1)

    /// A fixed configuration needs no predictions.
    public var usesProfiles: Bool { false }

    public var name: String {
        guard let configuration else { return "inference-only" }
        return "uniform:\(configuration):\(Int((inferenceFraction * 100).rounded()))"
    }

    public func plan(_ problem: PlanningProblem) -> Plan {
        guard !problem.streams.isEmpty else { return Plan(streams: [], estimatedAccuracy: 0) }
        let estimator = StreamEstimator(problem: problem)
        let perStream = problem.capacity.total / Double(problem.streams.count)
        let cap = problem.capacity.maximumJobShare
        var streams: [StreamPlan] = []
        for stream in problem.streams {
            let option = configuration.flatMap { name in stream.options.firstIndex { $0.name == name } }
            let plan: StreamPlan
            if let option {
                plan = StreamPlan(
                    inference: min(perStream * inferenceFraction, cap),
                    training: min(perStream * (1 - inferenceFraction), cap),
                    option: option
                )
            } else {
                plan = StreamPlan(inference: min(perStream, cap), training: 0, option: nil)
            }
            streams.append(plan)
        }
        return Placement.finalize(
            Plan(streams: streams, estimatedAccuracy: estimator.meanAccuracy(of: streams)),
            problem: problem
        )
    }
}
