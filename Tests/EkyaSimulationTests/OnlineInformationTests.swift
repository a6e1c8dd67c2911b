import EkyaCore
import EkyaSimulation
import EkyaTestSupport
import Testing

@Suite struct OnlineInformationTests {
    static let names = ["thief", "optimal", "thief-sco", "ekya", "optimal+cal=config+robust=0.8+floor=0.1"]

    /// A copy of `trace` whose windows after `window` are scrambled.
    static func alteringFuture(of trace: Trace, after window: Int, seed: UInt64) -> Trace {
        var generator = SplitMix64(seed: seed)
        var altered = trace
        for index in altered.profiles.indices where altered.profiles[index].window > window {
            for configuration in altered.profiles[index].configurations.indices {
                altered.profiles[index].configurations[configuration].actual = RetrainingOutcome(
                    endAccuracy: Double.random(in: 0...1, using: &generator),
                    gpuSeconds: Double.random(in: 1...500, using: &generator)
                )
                altered.profiles[index].configurations[configuration].predicted = RetrainingOutcome(
                    endAccuracy: Double.random(in: 0...1, using: &generator),
                    gpuSeconds: Double.random(in: 1...500, using: &generator)
                )
            }
        }
        return altered
    }

    @Test(arguments: names)
    func decisionsIgnoreFutureWindows(name: String) throws {
        // Given a trace and a copy whose windows 3 and 4 are altered
        var generator = SplitMix64(seed: 21)
        let trace = SyntheticWorkload.trace(streams: 4, configurations: 6, windows: 4, using: &generator)
        let altered = Self.alteringFuture(of: trace, after: 2, seed: 99)
        let scheduler = try SchedulerSpec.make(name)
        func rows(_ trace: Trace) throws -> [ExperimentRow] {
            try Experiment(
                trace: trace,
                traceName: "synthetic",
                devices: [1, 2],
                settings: SimulationSettings(
                    timing: try WindowTiming(length: 200, labellingDelay: 2),
                    profiles: .predicted
                )
            ).run(schedulers: [scheduler])
        }
        // When both are replayed with predicted profiles
        let original = try rows(trace)
        let changed = try rows(altered)
        // Then windows 1 and 2 are decided and played out identically
        #expect(original.filter { $0.window <= 2 } == changed.filter { $0.window <= 2 })
        #expect(original.filter { $0.window > 2 } != changed.filter { $0.window > 2 })
    }

    @Test func calibrationConvergesOnAKnownBias() throws {
        // Given outcomes whose costs are really 2.5× and accuracies 0.07 below the predictions
        var generator = SplitMix64(seed: 8)
        var history: [RealisedOutcome] = []
        var errors: [(cost: Double, accuracy: Double)] = []
        let calibrator = Calibrator(scope: .perConfiguration)
        for window in 1...12 {
            for stream in 0..<3 {
                let name = "c\(Int.random(in: 0..<4, using: &generator))"
                let predicted = RetrainingOutcome(
                    endAccuracy: Double.random(in: 0.6...0.9, using: &generator),
                    gpuSeconds: Double.random(in: 10...100, using: &generator)
                )
                let noise = Double.random(in: 0.9...1.1, using: &generator)
                let actual = RetrainingOutcome(
                    endAccuracy: predicted.endAccuracy - 0.07 + Double.random(in: -0.01...0.01, using: &generator),
                    gpuSeconds: predicted.gpuSeconds * 2.5 * noise
                )
                // The correction available before this outcome is observed
                let correction = calibrator.correction(stream: "s\(stream)", configuration: name, history: history)
                let correctedCost = predicted.gpuSeconds * correction.costFactor
                let correctedAccuracy = predicted.endAccuracy + correction.accuracyOffset
                errors.append(
                    (abs(correctedCost / actual.gpuSeconds - 1), abs(correctedAccuracy - actual.endAccuracy))
                )
                history.append(
                    RealisedOutcome(
                        stream: "s\(stream)",
                        window: window,
                        configuration: name,
                        predicted: predicted,
                        actual: actual
                    )
                )
            }
        }
        // Then the first predictions are off by the bias and the late ones are not
        #expect(errors[0].cost > 0.5)
        #expect(errors[0].accuracy > 0.05)
        let late = errors.suffix(12)
        #expect(late.map(\.cost).max() ?? 1 < 0.25)
        #expect(late.map(\.accuracy).max() ?? 1 < 0.025)
        let correction = calibrator.correction(stream: "s0", configuration: "c0", history: history)
        #expect(abs(correction.costFactor - 2.5) < 0.15)
        #expect(abs(correction.accuracyOffset + 0.07) < 0.01)
    }

    @Test func progressAwarePlanningRecoversTheTrueRemainingCost() throws {
        // A running job predicted to need 10 s more that has done 30 of its real 90 device-seconds.
        let stream = PlanningStream(
            id: "s",
            currentAccuracy: 0.5,
            options: [PlanningOption(name: "c", endAccuracy: 0.9, cost: 10)],
            isRunning: true,
            progress: JobProgress(workDone: 30, fractionComplete: 1.0 / 3, predictedTotalCost: 40)
        )
        let problem = PlanningProblem(
            streams: [stream],
            capacity: try Capacity(devices: 1),
            timing: try WindowTiming(length: 200, labellingDelay: 2),
            now: 50
        )
        let tuned = TunedScheduler(base: OptimalScheduler(), isProgressAware: true, label: "t")
        let prepared = tuned.prepare(problem)
        #expect(abs(prepared.streams[0].options[0].cost - 60) < 1e-9)
        let naive = TunedScheduler(base: OptimalScheduler(), label: "n").prepare(problem)
        #expect(naive.streams[0].options[0].cost == 10)
    }

    @Test func calibratedPlanningBeatsNaiveOnASystematicallyWrongTrace() throws {
        // Costs are 3× the predictions in every window: the naive planner keeps picking jobs that
        // cannot finish; the calibrated one learns after the first window.
        var generator = SplitMix64(seed: 17)
        var trace = SyntheticWorkload.trace(streams: 6, configurations: 8, windows: 6, using: &generator)
        for index in trace.profiles.indices {
            for configuration in trace.profiles[index].configurations.indices {
                let actual = trace.profiles[index].configurations[configuration].actual
                trace.profiles[index].configurations[configuration].predicted = RetrainingOutcome(
                    endAccuracy: actual.endAccuracy,
                    gpuSeconds: actual.gpuSeconds / 3
                )
            }
        }
        let experiment = Experiment(
            trace: trace,
            traceName: "biased",
            devices: [1],
            settings: SimulationSettings(timing: try WindowTiming(length: 200, labellingDelay: 2), profiles: .predicted)
        )
        let rows = try experiment.run(schedulers: [
            OptimalScheduler(), try SchedulerSpec.make("optimal+cal=global"),
        ])
        func mean(_ name: String) -> Double {
            let selected = rows.filter { $0.scheduler == name && $0.window > 1 }
            return selected.map(\.meanAccuracy).reduce(0, +) / Double(selected.count)
        }
        #expect(mean("optimal+cal=global") > mean("optimal"))
    }

    @Test func poolingShrinksEachPredictionTowardsTheStreamMean() throws {
        let stream = PlanningStream(
            id: "s",
            currentAccuracy: 0.5,
            options: [
                PlanningOption(name: "cheap", endAccuracy: 0.7, cost: 10),
                PlanningOption(name: "dear", endAccuracy: 0.9, cost: 100),
            ]
        )
        let problem = PlanningProblem(
            streams: [stream],
            capacity: try Capacity(devices: 1),
            timing: try WindowTiming(length: 200, labellingDelay: 2),
            now: 0
        )
        let tuned = try #require(try SchedulerSpec.make("optimal+pool=0.25") as? TunedScheduler)
        let options = tuned.prepare(problem).streams[0].options
        #expect(abs(options[0].endAccuracy - 0.775) < 1e-12)
        #expect(abs(options[1].endAccuracy - 0.825) < 1e-12)
        #expect(options.map(\.cost) == [10, 100])
        #expect(throws: EkyaError.self) { try SchedulerSpec.make("optimal+pool=1.5") }
    }

    @Test func aFinerPlanningQuantumSplitsAScarceDeviceBetweenManyStreams() throws {
        // Six streams on one device in quanta of 0.1: under two quanta each, so most get one job or none
        let streams = (0..<6).map { index in
            PlanningStream(
                id: "s\(index)",
                currentAccuracy: 0.6,
                options: [PlanningOption(name: "cheap", endAccuracy: 0.8, cost: 5)]
            )
        }
        let problem = PlanningProblem(
            streams: streams,
            capacity: try Capacity(devices: 1, quantum: 0.1),
            timing: try WindowTiming(length: 200, labellingDelay: 2),
            now: 0
        )
        let coarse = try SchedulerSpec.make("optimal").plan(problem)
        let tuned = try #require(try SchedulerSpec.make("optimal+quantum=0.025") as? TunedScheduler)
        // Then the base plans in quanta of 0.025: every stream gets inference and a training job
        #expect(tuned.prepare(problem).capacity.quantum == 0.025)
        let fine = tuned.plan(problem)
        #expect(fine.streams.allSatisfy { $0.inference > 0 && $0.training > 0 && $0.option == 0 })
        for share in fine.jobShares { #expect(abs((share / 0.025).rounded() * 0.025 - share) < 1e-9) }
        #expect(fine.jobShares.reduce(0, +) <= 1 + 1e-9)
        #expect(fine.estimatedAccuracy > coarse.estimatedAccuracy)
        // A quantum that does not divide a device, or one coarser than the problem's, is refused or ignored
        #expect(throws: EkyaError.self) { try SchedulerSpec.make("optimal+quantum=0.03") }
        let coarser = try #require(try SchedulerSpec.make("optimal+quantum=0.5") as? TunedScheduler)
        #expect(coarser.prepare(problem).capacity.quantum == 0.1)
    }

    @Test func poolingBeatsTrustingNoisyPredictionsWhenRealDifferencesAreSmall() throws {
        // Real end accuracies differ by at most 2 points between configurations; predictions carry
        // ±10-point noise. Trusting them buys expensive jobs for nothing; pooling lets cost decide.
        var generator = SplitMix64(seed: 23)
        var trace = SyntheticWorkload.trace(streams: 6, configurations: 8, windows: 4, using: &generator)
        for index in trace.profiles.indices {
            let start = trace.profiles[index].startAccuracy
            for configuration in trace.profiles[index].configurations.indices {
                var profile = trace.profiles[index].configurations[configuration]
                let end = min(0.99, start + 0.15 + Double.random(in: 0...0.02, using: &generator))
                profile.actual = RetrainingOutcome(endAccuracy: end, gpuSeconds: profile.actual.gpuSeconds)
                profile.predicted = RetrainingOutcome(
                    endAccuracy: min(0.99, max(start + 0.01, end + Double.random(in: -0.1...0.1, using: &generator))),
                    gpuSeconds: profile.actual.gpuSeconds
                )
                trace.profiles[index].configurations[configuration] = profile
            }
        }
        let experiment = Experiment(
            trace: trace,
            traceName: "noisy",
            devices: [1],
            settings: SimulationSettings(timing: try WindowTiming(length: 200, labellingDelay: 2), profiles: .predicted)
        )
        let rows = try experiment.run(schedulers: [
            try SchedulerSpec.make("optimal+progress+fill"), try SchedulerSpec.make("optimal+progress+fill+pool=0"),
        ])
        func mean(_ name: String) -> Double {
            let selected = rows.filter { $0.scheduler == name }
            return selected.map(\.meanAccuracy).reduce(0, +) / Double(selected.count)
        }
        #expect(mean("optimal+progress+fill+pool=0") > mean("optimal+progress+fill"))
    }

    @Test func tunedSpecsParseAndRejectNonsense() throws {
        #expect(try SchedulerSpec.make("ekya").name == "ekya")
        let tuned = try #require(try SchedulerSpec.make("thief+cal=hier+progress+check=5+fill") as? TunedScheduler)
        #expect(tuned.calibration == .hierarchical)
        #expect(tuned.isProgressAware)
        #expect(tuned.replanInterval == 5)
        #expect(tuned.isWaterFilling)
        #expect(throws: EkyaError.self) { try SchedulerSpec.make("optimal+cal=psychic") }
        #expect(throws: EkyaError.self) { try SchedulerSpec.make("optimal+turbo") }
        #expect(throws: EkyaError.self) { try SchedulerSpec.make("optimal+robust=2") }
        #expect(throws: EkyaError.unknownScheduler("magic")) { try SchedulerSpec.make("magic+fill") }
    }

    @Test func waterFillingNeverExceedsCapacityAndNeverLowersTheEstimate() throws {
        for seed in UInt64(1)...300 {
            let instance = Fixtures.randomInstance(seed: seed)
            let capacity = try Capacity(devices: instance.devices, quantum: instance.quantum)
            let problem = SyntheticWorkload.problem(
                trace: Trace(profiles: instance.profiles),
                window: 1,
                capacity: capacity,
                timing: instance.timing
            )
            let plan = OptimalScheduler().plan(problem)
            let filled = WaterFilling.apply(plan, problem: problem)
            #expect(Placement.isFeasible(filled.streams, capacity: capacity, tolerance: 1e-6), "seed \(seed)")
            #expect(filled.estimatedAccuracy >= plan.estimatedAccuracy - 1e-9, "seed \(seed)")
        }
    }
}
