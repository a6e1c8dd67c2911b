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

/// ``OptimusWorkPredictor``'s curve, read as what a training run that keeps its best epoch reports.
///
/// A retraining run validates after every epoch and keeps the best one, so what it realises is the
/// *maximum* of E noisy validation readings, not the curve's value at E: each reading is the curve plus
/// noise of standard deviation σ (a finite validation set, SGD's epoch-to-epoch swings). The prediction is
/// E[max over epochs 1…E of (curve(i) + σ·Zᵢ)], never below the work predictor's. With one epoch there is
/// nothing to pick from, and it equals the work predictor.
public struct OptimusBestEpochPredictor: AccuracyPredictor {
    /// Noise of one validation reading (accuracy, 0…1).
    public var sigma: Double

    /// - Parameter sigma: 0.02 by default — half the median epoch-to-epoch swing of late epochs measured on
    ///   Fashion-MNIST windows with 120–240 validation crops (`ekya profile --rows-out`).
    public init(sigma: Double = 0.02) {
        self.sigma = sigma
    }

    public var name: String { "optimus-best" }

    public var countsWork: Bool { true }

    public func predict(
        startAccuracy a0: Double,
        observed: [(epochs: Double, accuracy: Double)],
        epochs: Double
    )
        -> Double
    {
        let work = OptimusWorkPredictor().predict(startAccuracy: a0, observed: observed, epochs: epochs)
        let count = Int(epochs.rounded(.down))
        guard count >= 2, sigma > 0, let last = observed.last, epochs > last.epochs else { return work }
        let solver = LeastSquares(lowerBounds: [0, 1e-6, 0], upperBounds: [.infinity, .infinity, 1])
        guard let curve = try? LearningCurve.fit([(0, a0)] + observed, solver: solver) else { return work }
        let means = (1...count).map { min(1, max(0, curve.accuracy(epochs: Double($0)))) }
        guard means.allSatisfy(\.isFinite) else { return work }
        return min(1, max(work, Self.expectedMaximum(means: means, sigma: sigma)))
    }

    /// E[max ᵢ (meansᵢ + σ·Zᵢ)] for independent standard normal Zᵢ, by integrating 1 − Πᵢ Φ((x − meanᵢ)/σ).
    static func expectedMaximum(means: [Double], sigma: Double) -> Double {
        guard let low = means.min(), let high = means.max() else { return 0 }
        let lower = low - 8 * sigma
        let upper = high + 8 * sigma
        let steps = 800
        let width = (upper - lower) / Double(steps)
        var integral = 0.0
        for step in 0...steps {
            let x = lower + Double(step) * width
            let below = means.reduce(1.0) { $0 * normalCDF((x - $1) / sigma) }
            integral += (step == 0 || step == steps ? 0.5 : 1) * (1 - below)
        }
        return lower + integral * width
    }
}

/// Φ(x), the standard normal distribution function (absolute error < 1.2e-7).
func normalCDF(_ x: Double) -> Double {
    // erfc by Chebyshev fitting (Numerical Recipes, erfcc), Φ(x) = erfc(−x/√2)/2.
    let z = abs(x) / 2.0.squareRoot()
    let t = 1 / (1 + 0.5 * z)
    let polynomial =
        -z * z - 1.265_512_23
        + t
        * (1.000_023_68
            + t
            * (0.374_091_96
                + t
                * (0.096_784_18
                    + t
                    * (-0.186_288_06
                        + t
                        * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))))
    let erfc = t * exponential(polynomial)
    return x >= 0 ? 1 - erfc / 2 : erfc / 2
}

/// Accuracy predictors by name.
public enum AccuracyPredictors {
    public static let all: [any AccuracyPredictor] = [
        EkyaOptimusPredictor(), OptimusFitAllPredictor(), OptimusWorkPredictor(), OptimusBestEpochPredictor(),
    ]

    /// The predictor called `name`.
    public static func named(_ name: String) -> (any AccuracyPredictor)? {
        all.first { $0.name == name }
    }
}
