import ArgumentParser
import EkyaCore
import EkyaSimulation
import Foundation

/// `ekya bench scheduler`: decision time of each scheduler on seeded synthetic instances.
struct BenchSchedulerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Decision time (median of runs) of thief, thief-sco and optimal; ratio optimal/thief."
    )

    @Option(help: "Seed of the synthetic instances.")
    var seed: UInt64 = 42

    @Option(help: "Timed runs per scheduler and size (median reported).")
    var runs: Int = 7

    @Flag(help: "Print one JSON object.")
    var json: Bool = false

    func validate() throws {
        guard runs >= 5 else { throw ValidationError("--runs must be at least 5 (medians of ≥ 5 runs)") }
    }

    func run() throws {
        let timing = try WindowTiming(length: 200, labellingDelay: 2)
        var results: [(key: String, label: String, milliseconds: Double)] = []
        let sizes: [(streams: Int, devices: Int, schedulers: [any Scheduler])] = [
            (10, 8, [ThiefScheduler(), ThiefSCOScheduler(), OptimalScheduler()]),
            (200, 32, [ThiefScheduler(), OptimalScheduler()]),
        ]
        for size in sizes {
            var generator = SplitMix64(seed: seed)
            let trace = SyntheticWorkload.trace(streams: size.streams, configurations: 18, using: &generator)
            let problem = SyntheticWorkload.problem(
                trace: trace,
                window: 1,
                capacity: try Capacity(devices: size.devices),
                timing: timing
            )
            for scheduler in size.schedulers {
                let median = Self.median(runs: runs) { _ = scheduler.plan(problem) }
                let key =
                    "\(scheduler.name.replacingOccurrences(of: "-", with: "_"))_ms_\(size.streams)x\(size.devices)"
                results.append(
                    (key, "\(scheduler.name) \(size.streams) streams × \(size.devices) devices × 18 configs", median)
                )
            }
        }
        let thief = results.first { $0.key == "thief_ms_10x8" }?.milliseconds ?? 0
        let optimal = results.first { $0.key == "optimal_ms_10x8" }?.milliseconds ?? 0
        let ratio = thief > 0 ? optimal / thief : 0
        if json {
            let fields =
                results.map { "\"\($0.key)\": \(String(format: "%.4f", $0.milliseconds))" }
                + [
                    "\"optimal_over_thief_10x8\": \(String(format: "%.4f", ratio))", "\"runs\": \(runs)",
                    "\"seed\": \(seed)",
                ]
            print("{\(fields.joined(separator: ", "))}")
        } else {
            for result in results {
                print("\(result.label): \(String(format: "%.3f", result.milliseconds)) ms (median of \(runs))")
            }
            print("ratio optimal/thief at 10×8: \(String(format: "%.2f", ratio))")
        }
    }

    static func median(runs: Int, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        body()  // warm-up
        var samples: [Double] = []
        for _ in 0..<runs {
            let elapsed = clock.measure(body)
            samples.append(elapsed.inMilliseconds)
        }
        samples.sort()
        return samples[samples.count / 2]
    }
}
