import EkyaCore
import EkyaSimulation
import EkyaTestSupport
import Testing

@Suite struct SchedulerTests {
    static let schedulers: [any Scheduler] = [
        ThiefScheduler(), ThiefScheduler(sweeps: 20), ThiefSCOScheduler(), OptimalScheduler(),
        UniformScheduler(configuration: "c1", inferenceFraction: 0.5),
        UniformScheduler(configuration: "c0", inferenceFraction: 0.9), UniformScheduler.inferenceOnly,
    ]

    @Test func parsesSchedulerNames() throws {
        #expect(try SchedulerSpec.make("thief").name == "thief")
        #expect(try SchedulerSpec.make("thief-sco").name == "thief-sco")
        #expect(try SchedulerSpec.make("optimal").name == "optimal")
        #expect(try SchedulerSpec.make("uniform:hp5-15:50").name == "uniform:hp5-15:50")
        #expect(try SchedulerSpec.make("inference-only").name == "inference-only")
        #expect(throws: EkyaError.unknownScheduler("fastest")) { try SchedulerSpec.make("fastest") }
        #expect(throws: EkyaError.self) { try SchedulerSpec.make("uniform:hp5-15") }
        #expect(throws: EkyaError.self) { try SchedulerSpec.make("uniform:hp5-15:150") }
    }

    @Test func plansNeverExceedCapacityOnRandomInstances() throws {
        // Given 1500 seeded random instances, every scheduler's plan fits the devices.
        for seed in UInt64(1)...1500 {
            let instance = Fixtures.randomInstance(seed: seed)
            let capacity = try Capacity(devices: instance.devices, quantum: instance.quantum)
            let problem = SyntheticWorkload.problem(
                trace: Trace(profiles: instance.profiles),
                window: 1,
                capacity: capacity,
                timing: instance.timing
            )
            for scheduler in Self.schedulers where !(scheduler is ThiefSCOScheduler && seed > 300) {
                let plan = scheduler.plan(problem)
                #expect(plan.streams.count == problem.streams.count)
                #expect(
                    Placement.isFeasible(plan.streams, capacity: capacity),
                    "seed \(seed): \(scheduler.name) planned \(plan.streams) on \(instance.devices) devices"
                )
                for (stream, decision) in zip(problem.streams, plan.streams) {
                    if let option = decision.option {
                        #expect(stream.options[option].endAccuracy > stream.currentAccuracy)
                    }
                }
            }
        }
    }

    @Test func thiefStartsFromAFairSplitAndOnlyImprovesIt() throws {
        var generator = SplitMix64(seed: 11)
        let trace = SyntheticWorkload.trace(streams: 6, configurations: 18, using: &generator)
        let problem = SyntheticWorkload.problem(
            trace: trace,
            window: 1,
            capacity: try Capacity(devices: 2),
            timing: try WindowTiming(length: 200, labellingDelay: 2)
        )
        let estimator = StreamEstimator(problem: problem)
        // Every job gets at least one quantum in the fair start, and accuracy is monotone in shares.
        let fairShare = 0.1
        var fairTotal = 0.0
        for stream in problem.streams {
            fairTotal += estimator.best(stream: stream, inference: fairShare, training: fairShare).sum
        }
        let thief = ThiefScheduler().plan(problem)
        #expect(thief.estimatedAccuracy >= estimator.meanAccuracy(totalSum: fairTotal) - 1e-9)
    }

    @Test func optimalDominatesEveryQuantisedPlanOnSmallInstances() throws {
        // Brute force over all splits of 1 device in quanta of 0.25 for 2 streams.
        var generator = SplitMix64(seed: 5)
        let trace = SyntheticWorkload.trace(streams: 2, configurations: 4, using: &generator)
        let problem = SyntheticWorkload.problem(
            trace: trace,
            window: 1,
            capacity: try Capacity(devices: 1, quantum: 0.25),
            timing: try WindowTiming(length: 100, labellingDelay: 2)
        )
        let estimator = StreamEstimator(problem: problem)
        var best = -Double.infinity
        for a in 0...4 {
            for b in 0...(4 - a) {
                for c in 0...(4 - a - b) {
                    let d = 4 - a - b - c
                    let sum =
                        estimator.best(stream: problem.streams[0], inference: Double(a) / 4, training: Double(b) / 4)
                        .sum
                        + estimator.best(stream: problem.streams[1], inference: Double(c) / 4, training: Double(d) / 4)
                        .sum
                    best = max(best, estimator.meanAccuracy(totalSum: sum))
                }
            }
        }
        let optimal = OptimalScheduler().plan(problem)
        #expect(abs(optimal.estimatedAccuracy - best) < 1e-9)
    }
}
