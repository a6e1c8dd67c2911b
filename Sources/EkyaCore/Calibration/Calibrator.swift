/// Learns corrections to predicted accuracy and cost from realised outcomes (online calibration).
///
/// Cost is corrected multiplicatively by the geometric mean of actual/predicted; accuracy additively by
/// the mean of actual − predicted. `scope` chooses which realised outcomes inform a prediction.
public struct Calibrator: Sendable, Equatable {
    public enum Scope: String, Sendable, CaseIterable {
        /// No correction.
        case none
        /// One correction shared by all streams and configurations.
        case global
        /// One correction per configuration, shared across streams (falls back to global).
        case perConfiguration = "config"
        /// One correction per stream, shared across configurations (falls back to global).
        case perStream = "stream"
        /// One correction per configuration family — the name before its last `-`, e.g. `hp3` for `hp3-15`
        /// (same hyper-parameters, other epoch counts) — falling back to global.
        case perFamily = "family"
        /// The most specific level with data: stream × configuration, configuration, family, stream, global.
        case hierarchical = "hier"
    }

    /// A correction: multiply cost by `costFactor`, add `accuracyOffset` to accuracy.
    public struct Correction: Sendable, Equatable {
        public var costFactor: Double
        public var accuracyOffset: Double
        /// Number of realised outcomes behind it.
        public var samples: Int

        public static let identity = Correction(costFactor: 1, accuracyOffset: 0, samples: 0)
    }

    public let scope: Scope

    public init(scope: Scope) {
        self.scope = scope
    }

    /// The correction for a (stream, configuration) given the realised outcomes.
    public func correction(stream: String, configuration: String, history: [RealisedOutcome]) -> Correction {
        let levels: [(RealisedOutcome) -> Bool]
        switch scope {
        case .none: return .identity
        case .global: levels = [{ _ in true }]
        case .perConfiguration: levels = [{ $0.configuration == configuration }, { _ in true }]
        case .perStream: levels = [{ $0.stream == stream }, { _ in true }]
        case .perFamily:
            let family = Self.family(of: configuration)
            levels = [{ Self.family(of: $0.configuration) == family }, { _ in true }]
        case .hierarchical:
            let family = Self.family(of: configuration)
            levels = [
                { $0.stream == stream && $0.configuration == configuration },
                { $0.configuration == configuration }, { Self.family(of: $0.configuration) == family },
                { $0.stream == stream }, { _ in true },
            ]
        }
        for matches in levels {
            let relevant = history.filter(matches)
            if !relevant.isEmpty { return Self.fit(relevant) }
        }
        return .identity
    }

    /// The configuration family: the name before its last `-` (the whole name if it has none).
    static func family(of configuration: String) -> Substring {
        guard let dash = configuration.lastIndex(of: "-") else { return Substring(configuration) }
        return configuration[..<dash]
    }

    /// Geometric-mean cost factor and mean accuracy offset of `outcomes`.
    static func fit(_ outcomes: [RealisedOutcome]) -> Correction {
        var logSum = 0.0
        var costCount = 0
        var offset = 0.0
        for outcome in outcomes {
            if outcome.predicted.gpuSeconds > 0, outcome.actual.gpuSeconds > 0 {
                logSum += naturalLog(outcome.actual.gpuSeconds / outcome.predicted.gpuSeconds)
                costCount += 1
            }
            offset += outcome.actual.endAccuracy - outcome.predicted.endAccuracy
        }
        let factor = costCount > 0 ? exponential(logSum / Double(costCount)) : 1
        return Correction(costFactor: factor, accuracyOffset: offset / Double(outcomes.count), samples: outcomes.count)
    }

    /// Applies the corrections to every not-yet-running option of `problem`.
    public func calibrate(_ problem: PlanningProblem) -> PlanningProblem {
        guard scope != .none, !problem.history.isEmpty else { return problem }
        var calibrated = problem
        calibrated.streams = problem.streams.map { stream in
            guard !stream.isRunning else { return stream }
            let options = stream.options.map { option -> PlanningOption in
                let correction = correction(stream: stream.id, configuration: option.name, history: problem.history)
                return PlanningOption(
                    name: option.name,
                    endAccuracy: min(1, max(0, option.endAccuracy + correction.accuracyOffset)),
                    cost: option.cost * correction.costFactor
                )
            }
            return PlanningStream(id: stream.id, currentAccuracy: stream.currentAccuracy, options: options)
        }
        return calibrated
    }
}

// Foundation-free ln and exp for the pure core (accurate to ~1e-15 relative).
func naturalLog(_ x: Double) -> Double {
    guard x > 0 else { return -.infinity }
    var exponent = 0.0
    var mantissa = x
    while mantissa > 1.5 {
        mantissa /= 2
        exponent += 1
    }
    while mantissa < 0.75 {
        mantissa *= 2
        exponent -= 1
    }
    let y = (mantissa - 1) / (mantissa + 1)
    let y2 = y * y
    var term = y
    var sum = 0.0
    var k = 1.0
    while abs(term) > 1e-18 * abs(sum) + 1e-300 {
        sum += term / k
        term *= y2
        k += 2
    }
    return 2 * sum + exponent * 0.693_147_180_559_945_3
}

func exponential(_ x: Double) -> Double {
    guard x < 700 else { return .infinity }
    guard x > -700 else { return 0 }
    let n = (x / 0.693_147_180_559_945_3).rounded()
    let r = x - n * 0.693_147_180_559_945_3
    var term = 1.0
    var sum = 1.0
    for k in 1..<25 {
        term *= r / Double(k)
        sum += term
    }
    var scale = 1.0
    let steps = Int(abs(n))
    for _ in 0..<steps { scale *= 2 }
    return n >= 0 ? sum * scale : sum / scale
}
