/// Planned accuracy of one stream over the rest of a window (spec §2), in closed form.
///
/// Training progresses linearly in its share from max(now, d); inference accuracy is base · φ(share);
/// the window accuracy is the sample-and-hold sum over integer seconds ⌈now⌉…T. After the job finishes
/// its share goes to the same stream's inference job (capped at one job's maximum) — the assumption
/// under which the problem separates per stream (spec §7).
public struct StreamEstimator: Sendable {
    public let problem: PlanningProblem
    let firstSample: Int
    let sampleCount: Int
    let trainingStart: Double

    public init(problem: PlanningProblem) {
        self.problem = problem
        self.firstSample = problem.timing.firstSample(from: problem.now)
        self.sampleCount = problem.timing.sampleCount(from: problem.now)
        self.trainingStart = max(problem.now, problem.timing.labellingDelay)
    }

    /// Number of sample seconds over the rest of the window.
    public var samples: Int { sampleCount }

    /// Mean accuracy per stream and sample second for a total accuracy sum over all streams.
    public func meanAccuracy(totalSum: Double) -> Double {
        let count = sampleCount * problem.streams.count
        return count > 0 ? totalSum / Double(count) : 0
    }

    /// Mean accuracy of a plan's stream decisions (one per stream of the problem, in order).
    public func meanAccuracy(of plans: [StreamPlan]) -> Double {
        var total = 0.0
        for (stream, plan) in zip(problem.streams, plans) {
            total += accuracySum(
                stream: stream,
                inference: plan.inference,
                training: plan.training,
                option: plan.option
            )
        }
        return meanAccuracy(totalSum: total)
    }

    /// Sum over sample seconds of the accuracy of `stream` with the given shares and option.
    public func accuracySum(stream: PlanningStream, inference: Double, training: Double, option: Int?) -> Double {
        let base = stream.currentAccuracy * problem.scaling.factor(share: inference)
        guard let option, training > 0 else { return base * Double(sampleCount) }
        let choice = stream.options[option]
        let finish = trainingStart + choice.cost / training
        let before = max(0, min(sampleCount, Int(finish.rounded(.up)) - firstSample))
        guard before < sampleCount else { return base * Double(sampleCount) }
        let merged = min(inference + training, problem.capacity.maximumJobShare)
        let after = choice.endAccuracy * problem.scaling.factor(share: merged)
        return base * Double(before) + after * Double(sampleCount - before)
    }

    /// PickConfigs for one stream: the best option (or none) for the shares, and its accuracy sum.
    ///
    /// Returns `-Double.infinity` when the inference share cannot reach a_MIN.
    public func best(stream: PlanningStream, inference: Double, training: Double) -> (option: Int?, sum: Double) {
        if inference < problem.inferenceFloor - 1e-9 { return (nil, -Double.infinity) }
        if problem.minimumAccuracy > 0,
            stream.currentAccuracy * problem.scaling.factor(share: inference) < problem.minimumAccuracy
        {
            return (nil, -Double.infinity)
        }
        var bestOption: Int?
        var bestSum = accuracySum(stream: stream, inference: inference, training: 0, option: nil)
        if training > 0 {
            for index in stream.options.indices {
                let sum = accuracySum(stream: stream, inference: inference, training: training, option: index)
                if sum > bestSum + 1e-12 {
                    bestSum = sum
                    bestOption = index
                }
            }
        }
        return (bestOption, bestSum)
    }
}

/// Per-stream table of PickConfigs results over (inference quanta, training quanta), computed once.
struct QuantaValueTable {
    let maxJob: Int
    let quantum: Double
    /// Accuracy sums, indexed `[stream][inference * (maxJob + 1) + training]`.
    private(set) var values: [[Double]]
    private(set) var options: [[Int?]]

    init(problem: PlanningProblem) {
        let estimator = StreamEstimator(problem: problem)
        let maxJob = problem.capacity.maximumJobQuanta
        self.maxJob = maxJob
        self.quantum = problem.capacity.quantum
        var values: [[Double]] = []
        var options: [[Int?]] = []
        values.reserveCapacity(problem.streams.count)
        for stream in problem.streams {
            var row = [Double](repeating: 0, count: (maxJob + 1) * (maxJob + 1))
            var rowOptions = [Int?](repeating: nil, count: row.count)
            let trainingLimit = stream.hasTrainingJob ? maxJob : 0
            for inference in 0...maxJob {
                for training in 0...trainingLimit {
                    let best = estimator.best(
                        stream: stream,
                        inference: Double(inference) * quantum,
                        training: Double(training) * quantum
                    )
                    row[inference * (maxJob + 1) + training] = best.sum
                    rowOptions[inference * (maxJob + 1) + training] = best.option
                }
                if trainingLimit < maxJob {
                    for training in (trainingLimit + 1)...maxJob {
                        row[inference * (maxJob + 1) + training] = row[inference * (maxJob + 1)]
                    }
                }
            }
            values.append(row)
            options.append(rowOptions)
        }
        self.values = values
        self.options = options
    }

    @inline(__always)
    func value(stream: Int, inference: Int, training: Int) -> Double {
        values[stream][inference * (maxJob + 1) + training]
    }

    @inline(__always)
    func option(stream: Int, inference: Int, training: Int) -> Int? {
        options[stream][inference * (maxJob + 1) + training]
    }
}
