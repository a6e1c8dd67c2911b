import EkyaCore
import EkyaSimulation
import EkyaTestSupport
import Testing

@Suite struct SchedulerTests {
    static let schedulers: [any Scheduler] = [
        ThiefScheduler(), ThiefScheduler(sweeps: 20), ThiefScheduler(looksAhead: true), ThiefSCOScheduler(),
        OptimalScheduler(),
        UniformScheduler(configuration: "c1", inferenceFraction: 0.5),
        UniformScheduler(configuration: "c0", inferenceFraction: 0.9), UniformScheduler.inferenceOnly,
    ]

    @Test func parsesSchedulerNames() throws {
        #expect(try SchedulerSpec.make("thief").name == "thief")
        #expect(try SchedulerSpec.make("thief-sco").name == "thief-sco")
        #expect(try SchedulerSpec.make("thief-lookahead").name == "thief-lookahead")
        #expect(try SchedulerSpec.make("thief-fixpoint-lookahead").name == "thief-fixpoint-lookahead")
        #expect(try SchedulerSpec.make("optimal").name == "optimal")
        #expect(try SchedulerSpec.make("uniform:hp5-15:50").name == "uniform:hp5-15:50")
        #expect(try SchedulerSpec.make("inference-only").name == "inference-only")
        #expect(throws: EkyaError.unknownScheduler("fastest")) { try SchedulerSpec.make("fastest") }
        #expect(throws: EkyaError.self) { try SchedulerSpec.make("uniform:hp5-15") }
        #expect(throws: EkyaError.self) { try SchedulerSpec.make("uniform:hp5-15:150") }
        // An empty feature was an index out of range (found by the run-config fuzz target).
        #expect(throws: EkyaError.self) { try SchedulerSpec.make("thief++") }
        #expect(throws: EkyaError.self) { try SchedulerSpec.make("thief+=1") }
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

    /// Window 3 of a live 5-stream run (`ekya demo`, slowdown 20): predictions and costs as planned.
    static func liveWindowThree() throws -> PlanningProblem {
        func stream(_ id: String, _ current: Double, _ options: [(String, Double, Double)]) -> PlanningStream {
            PlanningStream(
                id: id,
                currentAccuracy: current,
                options: options.map { PlanningOption(name: $0.0, endAccuracy: $0.1, cost: $0.2) }
            )
        }
        return PlanningProblem(
            streams: [
                stream(
                    "stable",
                    0.816,
                    [("head-4", 0.818, 5.89), ("head-10", 0.845, 14.72), ("all-10", 0.825, 42.07)]
                ),
                stream(
                    "day-night",
                    0.433,
                    [("head-1", 0.466, 1.36), ("head-4", 0.537, 5.45), ("head-10", 0.605, 13.62)]
                ),
                stream("weather", 0.508, [("head-4", 0.598, 5.86), ("head-10", 0.666, 14.65)]),
                stream(
                    "class-shift",
                    0.325,
                    [
                        ("head-4", 0.760, 5.63), ("head-10", 0.866, 14.08), ("all-4", 0.616, 16.26),
                        ("all-10", 0.705, 40.64),
                    ]
                ),
                stream(
                    "mixed",
                    0.191,
                    [
                        ("head-4", 0.362, 5.53), ("head-10", 0.421, 13.82), ("all-4", 0.268, 16.25),
                        ("all-10", 0.315, 40.63),
                    ]
                ),
            ],
            capacity: try Capacity(devices: 1, quantum: 0.05),
            timing: try WindowTiming(length: 60, labellingDelay: 17.6),
            scaling: .linear(cap: 0.08)
        )
    }

    @Test func lookAheadStealsGetPastAJobThatIsWorthNothingUntilItCanFinish() throws {
        // Given the live window in which the paper's thief gave one stream half the device
        let problem = try Self.liveWindowThree()
        let paper = ThiefScheduler().plan(problem)
        let lookahead = ThiefScheduler(looksAhead: true).plan(problem)
        // Then the paper's thief leaves class-shift (predicted +43 points for 5.6 device-s) without training,
        #expect(paper.streams[3].option == nil)
        // while look-ahead steals enough for it to finish, and plans a better window.
        #expect(lookahead.streams[3].option != nil)
        #expect(lookahead.streams[3].training >= 0.15)
        #expect(lookahead.estimatedAccuracy > paper.estimatedAccuracy + 0.02)
        // It never plans below the fair start on random instances either (every accepted steal gains).
        #expect(lookahead.estimatedAccuracy <= OptimalScheduler().plan(problem).estimatedAccuracy + 1e-9)
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
