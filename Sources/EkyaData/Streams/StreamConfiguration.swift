/// How a camera stream turns drift into crops: frame rate, window length, train/test split and seed.
public struct StreamConfiguration: Sendable, Equatable, Codable {
    /// Item crops reaching the classifier per second.
    public var cropsPerSecond: Double
    /// Length of one retraining window.
    public var windowDuration: Duration
    /// Fraction of each window's crops held out for testing (never used for training in that window).
    public var testFraction: Double
    /// Seed of every random choice (sampling, split, noise).
    public var seed: UInt64

    /// Creates a configuration.
    ///
    /// - Throws: ``DataError/invalidConfiguration(_:)`` unless the rate and duration are positive, the
    ///   window has at least two crops and `testFraction` leaves at least one crop on each side.
    public init(
        cropsPerSecond: Double = 10,
        windowDuration: Duration = .seconds(200),
        testFraction: Double = 0.3,
        seed: UInt64 = 1
    ) throws(DataError) {
        guard cropsPerSecond > 0, cropsPerSecond.isFinite else {
            throw .invalidConfiguration("crops per second must be positive, got \(cropsPerSecond)")
        }
        guard windowDuration > .zero else { throw .invalidConfiguration("window duration must be positive") }
        guard testFraction > 0, testFraction < 1 else {
            throw .invalidConfiguration("test fraction must be in (0, 1), got \(testFraction)")
        }
        self.cropsPerSecond = cropsPerSecond
        self.windowDuration = windowDuration
        self.testFraction = testFraction
        self.seed = seed
        guard testCropsPerWindow >= 1, cropsPerWindow - testCropsPerWindow >= 1 else {
            throw .invalidConfiguration("a window of \(cropsPerWindow) crops cannot be split into train and test")
        }
    }

    /// Crops per window: `round(cropsPerSecond × windowDuration)`.
    public var cropsPerWindow: Int {
        Int((cropsPerSecond * windowDuration.seconds).rounded())
    }

    /// Held-out crops per window.
    public var testCropsPerWindow: Int {
        Int((Double(cropsPerWindow) * testFraction).rounded())
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
