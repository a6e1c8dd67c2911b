/// The Optimus learning curve acc(e) = 1 − (1/(b0·e + b1) + b2) (Peng et al., EuroSys '18).
public struct LearningCurve: Sendable, Equatable {
    public var b0: Double
    public var b1: Double
    public var b2: Double

    public init(b0: Double, b1: Double, b2: Double) {
        self.b0 = b0
        self.b1 = b1
        self.b2 = b2
    }

    /// Predicted accuracy after `epochs` epochs.
    public func accuracy(epochs: Double) -> Double {
        1 - (1 / (b0 * epochs + b1) + b2)
    }

    /// Least-squares fit through `points` (epochs, accuracy) from the start point (1, 1, 1).
    public static func fit(
        _ points: [(epochs: Double, accuracy: Double)],
        solver: LeastSquares = LeastSquares()
    ) throws(LeastSquares.Failure) -> LearningCurve {
        let solution = try solver.solve(start: [1, 1, 1]) { b in
            points.map { 1 - (1 / (b[0] * $0.epochs + b[1]) + b[2]) - $0.accuracy }
        }
        return LearningCurve(b0: solution.parameters[0], b1: solution.parameters[1], b2: solution.parameters[2])
    }
}

/// Predicts end accuracy at a configuration's epoch count from a short profiling run.
public protocol AccuracyPredictor: Sendable {
    var name: String { get }
    /// Accuracy after `epochs` epochs, from the start accuracy and the accuracies observed while profiling.
    func predict(startAccuracy: Double, observed: [(epochs: Double, accuracy: Double)], epochs: Double) -> Double
    /// Whether `observed` epochs should be given in work units — profiling epochs × the fraction of the
    /// data the profiling run trained on — rather than as counted (Ekya counts them as full epochs).
    var countsWork: Bool { get }
}

extension AccuracyPredictor {
    public var countsWork: Bool { false }
}

/// The Ekya authors' curve-fitting procedure (spec §4).
///
/// Anchor the curve at (0, a0) and (30, 0.95), scale the end point
/// by how the profiled point compares, refit, then refit through samples of that curve plus the anchors
/// and the profiled point. If a fit fails, predict the start accuracy.
public struct EkyaOptimusPredictor: AccuracyPredictor {
    public init() {}

    public var name: String { "ekya-optimus" }

    public func predict(
        startAccuracy a0: Double,
        observed: [(epochs: Double, accuracy: Double)],
        epochs: Double
    )
        -> Double
    {
        guard let last = observed.last else { return a0 }
        return (try? curve(startAccuracy: a0, profiled: last).accuracy(epochs: epochs)) ?? a0
    }

    /// The fitted curve for a start accuracy and the last profiled point (epochs, accuracy).
    public func curve(
        startAccuracy a0: Double,
        profiled: (epochs: Double, accuracy: Double)
    ) throws(LeastSquares.Failure) -> LearningCurve {
        let first = try LearningCurve.fit([(0, a0), (30, 0.95)])
        let deviation = min(profiled.accuracy / (0.95 * first.accuracy(epochs: profiled.epochs)), 1)
        let end = 0.95 * deviation
        let second = try LearningCurve.fit([(0, a0), (30, end)])
        var points: [(epochs: Double, accuracy: Double)] = [0.0, 10, 20, 30].map { ($0, second.accuracy(epochs: $0)) }
        points += [(0, a0), (30, end), profiled]
        return try LearningCurve.fit(points)
    }
}

/// Fits the Optimus curve directly through (0, a0) and every profiled point.
///
/// There is no fixed 0.95 anchor;
/// with a single profiled point it extrapolates no gain beyond it (a conservative prior against the
/// over-prediction of long runs that Ekya's procedure shows). Falls back to the last observation.
public struct OptimusFitAllPredictor: AccuracyPredictor {
    public init() {}

    public var name: String { "optimus-all" }

    public func predict(
        startAccuracy a0: Double,
        observed: [(epochs: Double, accuracy: Double)],
        epochs: Double
    )
        -> Double
    {
        guard let last = observed.last else { return a0 }
        guard observed.count >= 2 else {
            return epochs <= last.epochs ? a0 + (last.accuracy - a0) * epochs / last.epochs : last.accuracy
        }
        let solver = LeastSquares(lowerBounds: [0, 1e-6, -1], upperBounds: [.infinity, .infinity, 1])
        guard let curve = try? LearningCurve.fit([(0, a0)] + observed, solver: solver) else { return last.accuracy }
        let value = curve.accuracy(epochs: epochs)
        return value.isFinite ? min(1, max(0, value)) : last.accuracy
    }
}

/// Fits the Optimus curve through (0, a0) and every profiled point measured in *work* — full-data
/// epochs' worth of gradient steps — and reads it at the configuration's epochs.
///
/// A profiling epoch on 10 % of the data is a tenth of a real epoch; Ekya's procedure counts it as a whole
/// one and so sees far less headroom than there is whenever one profiling epoch changes the model a lot
/// (new classes, a new look). The asymptote is bounded by 1 (b2 ≥ 0); the prediction never falls
/// below the best profiled accuracy nor rises above 1. Falls back to the last observation.
public struct OptimusWorkPredictor: AccuracyPredictor {
    public init() {}

    public var name: String { "optimus-work" }

    public var countsWork: Bool { true }

    public func predict(
        startAccuracy a0: Double,
        observed: [(epochs: Double, accuracy: Double)],
        epochs: Double
    )
        -> Double
    {
        guard let last = observed.last else { return a0 }
        let best = observed.map(\.accuracy).max() ?? last.accuracy
        guard epochs > last.epochs else { return a0 + (last.accuracy - a0) * max(0, epochs) / max(last.epochs, 1e-9) }
        let solver = LeastSquares(lowerBounds: [0, 1e-6, 0], upperBounds: [.infinity, .infinity, 1])
        guard let curve = try? LearningCurve.fit([(0, a0)] + observed, solver: solver) else { return best }
        let value = curve.accuracy(epochs: epochs)
        return value.isFinite ? min(1, max(best, value)) : best
    }
}

/// The micro-profiler's accuracy predictors, by the names the CLI and configuration files use.
public enum PredictorKind: String, Sendable, CaseIterable {
    /// Ekya's procedure: the Optimus curve over profiling epochs (the paper's).
    case ekyaOptimus = "ekya-optimus"
    case optimusAll = "optimus-all"
    /// Ours: the Optimus curve over work (full-data epochs' worth of steps); the default.
    case optimusWork = "optimus-work"

    public var predictor: any AccuracyPredictor {
        switch self {
        case .ekyaOptimus: EkyaOptimusPredictor()
        case .optimusAll: OptimusFitAllPredictor()
        case .optimusWork: OptimusWorkPredictor()
        }
    }
}
