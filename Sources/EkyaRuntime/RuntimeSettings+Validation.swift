/// A setting of the live runtime, by the name users give it: a config-file key or a command-line flag.
public enum RuntimeSetting: String, Sendable, CaseIterable {
    case streams
    case windows
    case windowSeconds = "window_seconds"
    case cropsPerSecond = "crops_per_second"
    case testFraction = "test_fraction"
    case devices
    case slowdown
    case configurations
    case profileEpochs = "profile_epochs"
    case profileFraction = "profile_fraction"
    case pruneFraction = "prune_fraction"
    case fullRateHeadroom = "full_rate_headroom"
    case quantum
    case tick
    case labelErrorRate = "label_error_rate"
    case learningRate = "learning_rate"

    /// The key in `ekya run` and `ekya serve` configuration files.
    public var configKey: String { rawValue }
    /// The command-line flag.
    public var flag: String { "--" + rawValue.split(separator: "_").joined(separator: "-") }
}

/// A runtime setting that failed validation, and why ("must be a number in 5...86400").
public struct InvalidSetting: Error, Equatable, CustomStringConvertible {
    public var setting: RuntimeSetting
    public var message: String

    public init(_ setting: RuntimeSetting, _ message: String) {
        self.setting = setting
        self.message = message
    }

    public var description: String { "\(setting.configKey) \(message)" }
}

extension RuntimeSettings {
    /// The accepted range of each numeric setting (every one must also be finite).
    public static let ranges: [RuntimeSetting: ClosedRange<Double>] = [
        .windows: 1...10_000,
        .windowSeconds: 5...86_400,
        .cropsPerSecond: 1...1_000,
        .testFraction: 0.05...0.95,
        .devices: 1...64,
        .slowdown: 0.01...1_000,
        .profileEpochs: 1...20,
        .profileFraction: 0.01...1,
        .pruneFraction: 0...0.9,
        .fullRateHeadroom: 1...4,
        .quantum: 0.001...1,
        .tick: 0.01...10,
        .labelErrorRate: 0...1,
        .learningRate: 1e-6...10,
    ]

    /// Crops a stream may hold per window (window seconds × crops per second): the runtime keeps a window's
    /// crops in memory, 3 KiB each.
    public static let maximumCropsPerWindow = 200_000.0

    /// Checks every setting once, before anything is allocated or trained; the error names the setting.
    public func validate() throws(InvalidSetting) {
        guard !scenarios.isEmpty else { throw InvalidSetting(.streams, "must name at least one stream") }
        guard !configurations.isEmpty else { throw InvalidSetting(.configurations, "must not be empty") }
        let values: [(RuntimeSetting, Double)] = [
            (.windows, Double(windows)), (.windowSeconds, windowSeconds), (.cropsPerSecond, cropsPerSecond),
            (.testFraction, testFraction), (.devices, Double(devices)), (.slowdown, slowdown),
            (.profileEpochs, Double(profileEpochs)), (.profileFraction, profileFraction),
            (.pruneFraction, pruneFraction), (.fullRateHeadroom, fullRateHeadroom), (.quantum, quantum),
            (.tick, tick), (.labelErrorRate, labelErrorRate), (.learningRate, learningRate),
        ]
        for (setting, value) in values {
            guard let range = Self.ranges[setting] else { continue }
            guard value.isFinite, range.contains(value) else {
                throw InvalidSetting(setting, "must be a number in \(Self.describe(range))")
            }
        }
        guard windowSeconds * cropsPerSecond <= Self.maximumCropsPerWindow else {
            throw InvalidSetting(
                .cropsPerSecond,
                "× window_seconds must be at most \(Int(Self.maximumCropsPerWindow)) crops per window "
                    + "(\(Int(windowSeconds * cropsPerSecond)) asked)"
            )
        }
    }

    static func describe(_ range: ClosedRange<Double>) -> String {
        func text(_ value: Double) -> String {
            value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
        }
        return "\(text(range.lowerBound))...\(text(range.upperBound))"
    }
}
