import EkyaCore
import EkyaSimulation

/// Test fixtures shared by the test targets.
public enum Fixtures {
    /// The paper's Table 1 example: 2 streams, start accuracies A 65 %, B 50 %.
    ///
    /// (end accuracy, GPU-seconds): Cfg1A (75, 85), Cfg2A (70, 65), Cfg1B (90, 80), Cfg2B (85, 50).
    public static let table1: [StreamWindowProfile] = [
        StreamWindowProfile(
            stream: "A",
            window: 1,
            startAccuracy: 0.65,
            configurations: [
                ConfigurationProfile(name: "cfg1", actual: RetrainingOutcome(endAccuracy: 0.75, gpuSeconds: 85)),
                ConfigurationProfile(name: "cfg2", actual: RetrainingOutcome(endAccuracy: 0.70, gpuSeconds: 65)),
            ]
        ),
        StreamWindowProfile(
            stream: "B",
            window: 1,
            startAccuracy: 0.50,
            configurations: [
                ConfigurationProfile(name: "cfg1", actual: RetrainingOutcome(endAccuracy: 0.90, gpuSeconds: 80)),
                ConfigurationProfile(name: "cfg2", actual: RetrainingOutcome(endAccuracy: 0.85, gpuSeconds: 50)),
            ]
        ),
    ]

    /// A random instance: streams with synthetic profiles, a device count and a window.
    public struct RandomInstance: Sendable {
        public var profiles: [StreamWindowProfile]
        public var devices: Int
        public var timing: WindowTiming
        public var quantum: Double
    }

    /// A seeded random instance (1–8 streams, 1–4 devices, 2–6 configurations, T 20–200 s).
    public static func randomInstance(seed: UInt64) -> RandomInstance {
        var generator = SplitMix64(seed: seed)
        let streams = Int.random(in: 1...8, using: &generator)
        let configurations = Int.random(in: 2...6, using: &generator)
        let trace = SyntheticWorkload.trace(streams: streams, configurations: configurations, using: &generator)
        let length = Int.random(in: 20...200, using: &generator)
        let delay = Double(Int.random(in: 0...3, using: &generator))
        let quantum = [0.1, 0.25, 0.5, 0.2][Int.random(in: 0...3, using: &generator)]
        // swift-format-ignore: NeverUseForceTry
        let timing = try! WindowTiming(length: length, labellingDelay: delay)
        return RandomInstance(
            profiles: trace.profiles,
            devices: Int.random(in: 1...4, using: &generator),
            timing: timing,
            quantum: quantum
        )
    }
}
