/// What full retraining with one configuration reached and cost.
public struct RetrainingOutcome: Sendable, Equatable, Hashable {
    /// Accuracy of the retrained model on the window's data, in 0...1.
    public var endAccuracy: Double
    /// Compute at 100 % of one device, in device-seconds (GPU-seconds).
    public var gpuSeconds: Double

    public init(endAccuracy: Double, gpuSeconds: Double) {
        self.endAccuracy = endAccuracy
        self.gpuSeconds = gpuSeconds
    }
}

/// One retraining configuration of one stream in one window: what really happened, and what was predicted.
public struct ConfigurationProfile: Sendable, Equatable {
    /// Configuration name such as `hp5-15` (hyper-parameter set 5, 15 epochs).
    public var name: String
    public var actual: RetrainingOutcome
    public var predicted: RetrainingOutcome?

    public init(name: String, actual: RetrainingOutcome, predicted: RetrainingOutcome? = nil) {
        self.name = name
        self.actual = actual
        self.predicted = predicted
    }
}

/// Everything known about one stream in one retraining window.
public struct StreamWindowProfile: Sendable, Equatable {
    public var stream: String
    public var window: Int
    /// Accuracy of the current (not yet retrained) model on this window's data.
    public var startAccuracy: Double
    public var configurations: [ConfigurationProfile]

    public init(stream: String, window: Int, startAccuracy: Double, configurations: [ConfigurationProfile]) {
        self.stream = stream
        self.window = window
        self.startAccuracy = startAccuracy
        self.configurations = configurations
    }
}

/// A replayable trace: per stream and window, the start accuracy and every configuration's outcome.
public struct Trace: Sendable, Equatable {
    public var profiles: [StreamWindowProfile]

    public init(profiles: [StreamWindowProfile]) {
        self.profiles = profiles
    }

    /// Stream names in order of first appearance.
    public var streams: [String] {
        var seen = Set<String>()
        return profiles.compactMap { seen.insert($0.stream).inserted ? $0.stream : nil }
    }

    /// Window numbers, ascending.
    public var windows: [Int] { Array(Set(profiles.map(\.window))).sorted() }

    /// The profile of `stream` in `window`, if the trace has it.
    public func profile(stream: String, window: Int) -> StreamWindowProfile? {
        profiles.first { $0.stream == stream && $0.window == window }
    }

    /// True when every configuration carries a prediction.
    public var hasPredictions: Bool {
        profiles.allSatisfy { $0.configurations.allSatisfy { $0.predicted != nil } }
    }
}
