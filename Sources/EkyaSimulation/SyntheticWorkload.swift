import EkyaCore
import Foundation

/// Seeded synthetic traces for benchmarks and property tests.
///
/// Start accuracies are uniform in 0.4...0.85; each configuration reaches start + U(−0.05, 0.3) (capped
/// at 0.99) and costs between 1 and 200 device-seconds (log-uniform, the ≈200× spread of the paper's grid).
public enum SyntheticWorkload {
    /// A trace of `streams` streams × `windows` windows × `configurations` configurations.
    public static func trace(
        streams: Int,
        configurations: Int,
        windows: Int = 1,
        using generator: inout some RandomNumberGenerator
    ) -> Trace {
        var profiles: [StreamWindowProfile] = []
        for window in 1...max(1, windows) {
            for stream in 0..<streams {
                let start = Double.random(in: 0.4...0.85, using: &generator)
                let configs = (0..<configurations).map { index -> ConfigurationProfile in
                    let end = min(0.99, start + Double.random(in: -0.05...0.3, using: &generator))
                    let cost = exp(Double.random(in: 0...log(200.0), using: &generator))
                    let predictedEnd = min(0.99, max(0, end + Double.random(in: -0.08...0.08, using: &generator)))
                    let predictedCost = cost * Double.random(in: 0.5...2, using: &generator)
                    return ConfigurationProfile(
                        name: "c\(index)",
                        actual: RetrainingOutcome(endAccuracy: end, gpuSeconds: cost),
                        predicted: RetrainingOutcome(endAccuracy: predictedEnd, gpuSeconds: predictedCost)
                    )
                }
                profiles.append(
                    StreamWindowProfile(
                        stream: "s\(stream)",
                        window: window,
                        startAccuracy: start,
                        configurations: configs
                    )
                )
            }
        }
        return Trace(profiles: profiles)
    }

    /// A planning problem at a window start, built from a trace's actual values for one window.
    public static func problem(
        trace: Trace,
        window: Int,
        capacity: Capacity,
        timing: WindowTiming,
        scaling: InferenceScaling = .ekyaDefault
    ) -> PlanningProblem {
        let streams = trace.profiles.filter { $0.window == window }.map { profile in
            PlanningStream(
                id: profile.stream,
                currentAccuracy: profile.startAccuracy,
                options: profile.configurations.map {
                    PlanningOption(name: $0.name, endAccuracy: $0.actual.endAccuracy, cost: $0.actual.gpuSeconds)
                }
            )
        }
        return PlanningProblem(streams: streams, capacity: capacity, timing: timing, scaling: scaling)
    }
}
