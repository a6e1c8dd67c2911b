import Benchmark
import EkyaCore
import EkyaSimulation

/// Scheduler decision and window simulation on seeded synthetic instances (10 streams × 8 GPUs × 18 configs).
let benchmarks: @Sendable () -> Void = {
    var generator = SplitMix64(seed: 42)
    let trace = SyntheticWorkload.trace(streams: 10, configurations: 18, using: &generator)
    // swift-format-ignore: NeverUseForceTry
    let timing = try! WindowTiming(length: 200, labellingDelay: 2)
    // swift-format-ignore: NeverUseForceTry
    let capacity = try! Capacity(devices: 8)
    let problem = SyntheticWorkload.problem(trace: trace, window: 1, capacity: capacity, timing: timing)
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal],
        maxDuration: .seconds(1)
    )
    for scheduler in [ThiefScheduler(), OptimalScheduler(), ThiefSCOScheduler()] as [any Scheduler] {
        Benchmark("plan \(scheduler.name) 10x8x18", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(scheduler.plan(problem))
            }
        }
    }
    let simulator = WindowSimulator(settings: SimulationSettings(timing: timing), devices: 8)
    Benchmark("simulate window thief 10x8x18", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations {
            // swift-format-ignore: NeverUseForceTry
            blackHole(try! simulator.simulate(window: 1, profiles: trace.profiles, scheduler: ThiefScheduler()))
        }
    }
}
