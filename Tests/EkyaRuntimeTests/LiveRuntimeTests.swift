import EkyaCore
import EkyaData
import EkyaML
import Foundation
import Testing

@testable import EkyaRuntime

@Suite(.serialized, .timeLimit(.minutes(10))) struct LiveRuntimeTests {
    static let hasDataset = FashionMNIST.isAvailable()

    /// Two short windows of two streams, with compute charged per unit of work: the same run schedules the
    /// same jobs on any machine under any load (measured CPU time is the integration suite's business).
    static func settings(windows: Int = 2) -> RuntimeSettings {
        var settings = RuntimeSettings(
            scenarios: [.stable, .classShift],
            windows: windows,
            windowSeconds: 30,
            cropsPerSecond: 16,
            slowdown: 10,
            configurations: [
                RetrainingConfiguration(name: "head-2", epochs: 2, layers: .headOnly),
                RetrainingConfiguration(name: "all-3", epochs: 3, layers: .all),
            ],
            tick: 0.25
        )
        settings.compute = .modelled(.referenceCore)
        return settings
    }

    @Test(.enabled(if: hasDataset, "needs the Debian package dataset-fashion-mnist"))
    func shortRealRunHonoursSharesAndMatchesTheModel() throws {
        // Given two real drifting streams and a live runtime on real libtorch models
        let pool = try FashionMNIST.load(.train)
        let runtime = try LiveRuntime(settings: Self.settings(), pool: pool)
        var lines: [String] = []
        // When Ekya's thief scheduler runs two windows
        let report = try runtime.run(scheduler: ThiefScheduler(), progress: { lines.append($0) })
        // Then every frame was scored, shares were honoured and the window model agrees with reality
        #expect(report.windows.count == 2)
        for window in report.windows {
            #expect(window.streams.count == 2)
            for record in window.streams {
                #expect((0...1).contains(record.measuredAccuracy))
                #expect(record.measuredAccuracy > 0.1, "\(record.stream) w\(window.window)")
                #expect(record.shareError < 0.05, "\(record.stream): share error \(record.shareError)")
                // A retrained model is swapped in only when validation says it is better.
                if let end = record.realisedEndAccuracy, record.swapTime != nil {
                    #expect(end > record.startAccuracy - 1e-9)
                }
            }
            #expect(window.profilingCost <= window.exhaustiveCost * 0.5)
        }
        #expect(report.meanPredictionError < 8, "model vs measured \(report.meanPredictionError) points")
        #expect(lines.contains { $0.contains("plan:") })
        #expect(report.timeline.count == 2)
    }

    @Test(.enabled(if: hasDataset, "needs the Debian package dataset-fashion-mnist"))
    func aRunWithModelledComputeIsTheSameRunEveryTime() throws {
        // Given two real streams and compute charged per unit of work
        let pool = try FashionMNIST.load(.train)
        let settings = Self.settings(windows: 1)
        // When the same window runs twice
        let runs = try (0..<2).map { _ in
            try LiveRuntime(settings: settings, pool: pool).run(scheduler: ThiefScheduler())
        }
        // Then it plans, trains, swaps and scores the same: the schedule does not depend on the machine's load.
        let records = runs.map { $0.windows.flatMap(\.streams) }
        #expect(records[0].count == 2 && records[1].count == 2)
        for (first, second) in zip(records[0], records[1]) {
            #expect(first.configuration == second.configuration)
            #expect(first.measuredAccuracy == second.measuredAccuracy)
            #expect(first.realisedCost == second.realisedCost)
            #expect(first.swapTime == second.swapTime)
            #expect(first.refinedSwapTimes == second.refinedSwapTimes)
            #expect(first.initialTrainingShare == second.initialTrainingShare)
        }
        #expect(runs[0].windows.map(\.delay) == runs[1].windows.map(\.delay))
    }

    @Test(.enabled(if: hasDataset, "needs the Debian package dataset-fashion-mnist"))
    func theBestProfiledModelServesFromTheEndOfProfilingOnlyWhenItValidatesBetter() throws {
        // Given a drifting stream whose starting model is far off (class shift) and a stable one
        let pool = try FashionMNIST.load(.train)
        var settings = Self.settings(windows: 1)
        settings.profilesInBackground = false
        var lines: [String] = []
        let served = try LiveRuntime(settings: settings, pool: pool)
            .run(scheduler: ThiefScheduler(), progress: { lines.append($0) })
        settings.servesProfiledModels = false
        let discarded = try LiveRuntime(settings: settings, pool: pool).run(scheduler: ThiefScheduler())
        let window = try #require(served.windows.first)
        // Then the class-shift stream, the least accurate, is profiled first and serves its profiled model
        // from the end of its own profiling run, before the plan (which waits for every stream's profiling)
        let shifted = try #require(window.streams.first { $0.stream.hasPrefix("class-shift") })
        let stable = try #require(window.streams.first { $0.stream.hasPrefix("stable") })
        #expect(shifted.startAccuracy < stable.startAccuracy)
        let swapped = try #require(shifted.profileSwapTime)
        #expect(swapped > 0 && swapped < window.delay)
        #expect(window.streams.allSatisfy { ($0.profileSwapTime ?? 0) <= window.delay })
        #expect(lines.contains { $0.contains("swapped in the profiled model") })
        for record in window.streams {
            if let profiled = record.profiledAccuracy {
                // It validated above the window's starting model,
                #expect(profiled > record.startAccuracy)
                // and a retrained model replaced it only by validating above it in turn.
                if record.swapTime != nil { #expect((record.realisedEndAccuracy ?? 0) > profiled) }
            } else {
                #expect(record.profileSwapTime == nil)
            }
        }
        // Ekya's own behaviour (profiling models discarded) stays available.
        #expect(discarded.windows.allSatisfy { $0.streams.allSatisfy { $0.profileSwapTime == nil } })
    }

    @Test(.enabled(if: hasDataset, "needs the Debian package dataset-fashion-mnist"))
    func idleCapacityRefinesServingModelsAndEverySwapValidatesBetter() throws {
        // Given two real streams and a 60 s window, much longer than their retraining jobs take
        let pool = try FashionMNIST.load(.train)
        var settings = Self.settings(windows: 1)
        settings.windowSeconds = 60
        var lines: [String] = []
        let refined = try LiveRuntime(settings: settings, pool: pool)
            .run(scheduler: ThiefScheduler(), progress: { lines.append($0) })
        settings.refinesWithIdleCapacity = false
        let idle = try LiveRuntime(settings: settings, pool: pool).run(scheduler: ThiefScheduler())
        let window = try #require(refined.windows.first)
        // Then the idle capacity trains serving models further, and some epoch validates better and serves,
        let swaps = window.streams.flatMap(\.refinedSwapTimes)
        #expect(!swaps.isEmpty, "\(lines.joined(separator: "\n"))")
        #expect(swaps.allSatisfy { $0 >= window.delay && $0 <= settings.windowSeconds })
        // each refined model validated above the model it replaced,
        let refinements = lines.filter { $0.contains("swapped in a refined model") }
        #expect(refinements.count == swaps.count)
        for line in refinements {
            let numbers = line.split(separator: "(validation ").last?.split(separator: "→").map {
                Double($0.filter { $0.isNumber || $0 == "." })
            }
            let before = try #require(numbers?.first ?? nil)
            let after = try #require(numbers?.last ?? nil)
            #expect(after > before, "\(line)")
        }
        // shares (refinement jobs included) are still honoured,
        #expect(window.streams.allSatisfy { $0.shareError < 0.05 })
        // and Ekya's behaviour (idle capacity left to inference) stays available.
        #expect(idle.windows.allSatisfy { $0.streams.allSatisfy(\.refinedSwapTimes.isEmpty) })
        #expect(!lines.contains { $0.contains("refinement failed") })
    }

    @Test(.enabled(if: hasDataset, "needs the Debian package dataset-fashion-mnist"))
    func aRetrainingJobsBestEpochServesBeforeTheJobFinishesOnlyWhenItValidatesBetter() throws {
        // Given a class-shift stream far off its starting model and a 6-epoch retraining configuration
        let pool = try FashionMNIST.load(.train)
        var settings = Self.settings(windows: 1)
        settings.windowSeconds = 60
        settings.configurations = [RetrainingConfiguration(name: "head-6", epochs: 6, layers: .headOnly)]
        settings.refinesWithIdleCapacity = false
        var lines: [String] = []
        let early = try LiveRuntime(settings: settings, pool: pool)
            .run(scheduler: ThiefScheduler(), progress: { lines.append($0) })
        settings.servesImprovedEpochs = false
        let atEnd = try LiveRuntime(settings: settings, pool: pool).run(scheduler: ThiefScheduler())
        let window = try #require(early.windows.first)
        // Then some epoch serves while the job still trains, after the plan,
        let epochs = window.streams.flatMap(\.epochSwapTimes)
        #expect(!epochs.isEmpty, "\(lines.joined(separator: "\n"))")
        #expect(epochs.allSatisfy { $0 >= window.delay && $0 <= settings.windowSeconds })
        for record in window.streams where !record.epochSwapTimes.isEmpty {
            // the finished job counts as swapped in (its best epoch serves), never as refused,
            let swapped = try #require(record.swapTime)
            #expect(!record.refusedSwap)
            #expect(swapped >= (record.epochSwapTimes.first ?? 0))
            #expect(record.lastSwapTime == record.epochSwapTimes.max().map { max($0, swapped) })
        }
        // each of those epochs validated above the model it replaced,
        let swaps = lines.filter { $0.contains("best epoch so far") }
        #expect(swaps.count == epochs.count)
        for line in swaps {
            let numbers = line.split(separator: "(validation ").last?.split(separator: "→").map {
                Double($0.filter { $0.isNumber || $0 == "." })
            }
            let before = try #require(numbers?.first ?? nil)
            let after = try #require(numbers?.last ?? nil)
            #expect(after > before, "\(line)")
        }
        // and Ekya's behaviour (a swap only when the job finishes) stays available.
        #expect(atEnd.windows.allSatisfy { $0.streams.allSatisfy(\.epochSwapTimes.isEmpty) })
    }

    /// Retrains every stream with its first profiled configuration on half of its fair share, whatever the
    /// predictions say, so a test of what happens to a job does not hinge on the thief finding a gain; with
    /// `dropsRunningJobs`, every re-plan (every 2 s) gives running jobs no share, as the thief does when a
    /// job's best epoch already serves above the job's prediction.
    struct RetrainsEveryStream: Scheduler {
        var dropsRunningJobs = false
        var name: String { dropsRunningJobs ? "drops-running-jobs" : "retrains-every-stream" }
        var replanInterval: Double? { dropsRunningJobs ? 2 : nil }
        func plan(_ problem: PlanningProblem) -> Plan {
            var plan = ThiefScheduler().plan(problem)
            let fair = problem.capacity.total / Double(max(1, problem.streams.count))
            for (index, stream) in problem.streams.enumerated() where stream.hasTrainingJob {
                if stream.isRunning && dropsRunningJobs {
                    plan.streams[index].option = nil
                    plan.streams[index].training = 0
                } else {
                    plan.streams[index].option = 0
                    plan.streams[index].training = fair / 2
                    plan.streams[index].inference = fair / 2
                }
            }
            return plan
        }
    }

    @Test(.enabled(if: hasDataset, "needs the Debian package dataset-fashion-mnist"))
    func aRunningJobThePlanDropsTrainsOnWithIdleCapacityInsteadOfStalling() throws {
        // Given a class-shift stream, a 12-epoch head configuration, and re-plans that drop the running job
        let pool = try FashionMNIST.load(.train)
        var settings = Self.settings(windows: 1)
        settings.scenarios = [.classShift]
        settings.profilesInBackground = false
        settings.configurations = [RetrainingConfiguration(name: "head-12", epochs: 12, layers: .headOnly)]
        // A seed and learning rate at which profiling predicts a clear gain (0.23 → 0.87), so the plan offers
        // the configuration (an option predicted no better than the serving model is never offered).
        (settings.seed, settings.learningRate) = (2, 0.03)
        var lines: [String] = []
        let continued = try LiveRuntime(settings: settings, pool: pool)
            .run(scheduler: RetrainsEveryStream(dropsRunningJobs: true), progress: { lines.append($0) })
        settings.refinesWithIdleCapacity = false
        let stalled = try LiveRuntime(settings: settings, pool: pool)
            .run(scheduler: RetrainsEveryStream(dropsRunningJobs: true))
        let record = try #require(continued.windows.first?.streams.first)
        let idle = try #require(stalled.windows.first?.streams.first)
        // Then the dropped job still finishes (on the capacity the plan leaves idle) and is validated,
        #expect(record.configuration == "head-12", "\(lines.joined(separator: "\n"))")
        #expect(record.realisedCost != nil && record.realisedEndAccuracy != nil)
        #expect(record.shareError < 0.05)
        // while without idle-capacity training (Ekya's behaviour) it stalls at share 0 until the window ends.
        #expect(idle.configuration == "head-12")
        #expect(idle.realisedCost == nil)
    }

    @Test(.enabled(if: hasDataset, "needs the Debian package dataset-fashion-mnist"))
    func aRetrainingJobStartsFromTheServingModelOrOnRequestFromTheWindowsFirst() throws {
        // Given a class-shift stream whose profiled model serves before the plan, and one head configuration
        // that every plan starts
        let pool = try FashionMNIST.load(.train)
        var settings = Self.settings(windows: 1)
        settings.scenarios = [.classShift]
        settings.configurations = [RetrainingConfiguration(name: "head-12", epochs: 12, layers: .headOnly)]
        settings.refinesWithIdleCapacity = false
        // A seed and learning rate at which profiling clearly gains (0.23 → 0.48) and predicts more (0.87).
        (settings.seed, settings.learningRate) = (2, 0.03)
        let fromServing = try LiveRuntime(settings: settings, pool: pool).run(scheduler: RetrainsEveryStream())
        settings.retrainsServingModel = false
        let fromStart = try LiveRuntime(settings: settings, pool: pool).run(scheduler: RetrainsEveryStream())
        let served = try #require(fromServing.windows.first?.streams.first)
        let started = try #require(fromStart.windows.first?.streams.first)
        // Then by default the job starts from the profiled model that serves when it starts,
        #expect(served.configuration == "head-12")
        let profiled = try #require(served.profiledAccuracy)
        #expect(profiled > served.startAccuracy)
        #expect(served.retrainedFromAccuracy == profiled)
        // and on request (Ekya's behaviour) from the window's starting model.
        #expect(started.configuration == "head-12")
        #expect(started.retrainedFromAccuracy == started.startAccuracy)
    }

    @Test(.enabled(if: hasDataset, "needs the Debian package dataset-fashion-mnist"))
    func theOtherLayerGroupsProfileInTheBackgroundAndJoinTheOptionsAfterThePlan() throws {
        // Given two real streams, a head-only and an all-layer configuration, and a 60 s window
        let pool = try FashionMNIST.load(.train)
        var settings = Self.settings(windows: 1)
        settings.windowSeconds = 60
        var lines: [String] = []
        let staged = try LiveRuntime(settings: settings, pool: pool)
            .run(scheduler: ThiefScheduler(), progress: { lines.append($0) })
        settings.profilesInBackground = false
        let upFront = try LiveRuntime(settings: settings, pool: pool).run(scheduler: ThiefScheduler())
        let window = try #require(staged.windows.first)
        let before = try #require(upFront.windows.first)
        // Then the plan comes sooner (only the head's runs precede it),
        #expect(window.delay < before.delay)
        // the all-layer run of every stream profiles after the plan, under a share like any job,
        let background = lines.filter { $0.contains("profiled all-3 in the background") }
        #expect(background.count == 2, "\(lines.joined(separator: "\n"))")
        #expect(window.streams.allSatisfy { $0.shareError < 0.05 })
        // its cost is charged, and every configuration was profiled in the end.
        #expect(window.profilingCost > window.delay)
        #expect(window.profiledConfigurations == before.profiledConfigurations)
        #expect(!lines.contains { $0.contains("background profiling failed") })
    }

    @Test(.enabled(if: hasDataset, "needs the Debian package dataset-fashion-mnist"))
    func aFixedBaselineIsNeitherProfiledNorChargedForProfiling() throws {
        let pool = try FashionMNIST.load(.train)
        let runtime = try LiveRuntime(settings: Self.settings(windows: 1), pool: pool)
        let uniform = try runtime.run(scheduler: UniformScheduler(configuration: "head-2", inferenceFraction: 0.5))
        let thief = try runtime.run(scheduler: ThiefScheduler())
        let fixed = try #require(uniform.windows.first)
        #expect(fixed.profilingCost == 0)
        #expect(fixed.profiledConfigurations == 0)
        #expect(fixed.delay < 1, "labelling only: \(fixed.delay) s")
        // It still retrains with its configuration, with no prediction on record.
        #expect(fixed.streams.allSatisfy { $0.configuration == "head-2" && $0.predictedEndAccuracy == nil })
        let ekya = try #require(thief.windows.first)
        #expect(ekya.profilingCost > 0)
        #expect(ekya.delay > fixed.delay)
    }

    @Test(.enabled(if: hasDataset, "needs the Debian package dataset-fashion-mnist"))
    func aModelTeacherLabelsTheWindowAndItsComputeIsCharged() throws {
        // Given a "teacher" network that is really a weak model: the starting model of a drifting stream
        var settings = Self.settings(windows: 1)
        settings.teacher = .model
        let pool = try FashionMNIST.load(.train)
        let runtime = try LiveRuntime(settings: settings, pool: pool)
        // When no teacher network is loaded, the window fails with a message naming the problem
        #expect {
            try runtime.run(scheduler: UniformScheduler(configuration: "head-2", inferenceFraction: 0.5))
        } throws: { error in
            String(describing: error).contains("no teacher model is loaded")
        }
        try runtime.prepare()
        runtime.teacherModel = try runtime.copy(try runtime.initialSnapshot(1))
        let labelled = try runtime.run(scheduler: UniformScheduler(configuration: "head-2", inferenceFraction: 0.5))
        // Then its labels (its predictions) are partly wrong, and labelling took measured device time
        var truth = settings
        truth.teacher = .groundTruth
        let exact = try LiveRuntime(settings: truth, pool: pool)
            .run(scheduler: UniformScheduler(configuration: "head-2", inferenceFraction: 0.5))
        let window = try #require(labelled.windows.first)
        let reference = try #require(exact.windows.first)
        #expect(reference.streams.allSatisfy { $0.labelAccuracy == 1 })
        #expect(window.streams.contains { $0.labelAccuracy < 0.95 }, "\(window.streams.map(\.labelAccuracy))")
        #expect(window.streams.allSatisfy { $0.labelAccuracy > 0.1 })
        #expect(window.labellingCost > reference.labellingCost)
        #expect(window.delay > reference.delay)
    }

    @Test(arguments: [
        // (labelled crops, profile fraction, configuration's data fraction, expected profiling fraction)
        (600, 0.1, 1.0, 0.2),  // 10 % of 480 trainable crops is 48: raised to 3 batches of 32 = 96
        (6_000, 0.1, 1.0, 0.1),  // big windows keep Ekya's 10 %
        (600, 0.5, 1.0, 0.5),
        (600, 0.1, 0.1, 0.1),  // never more than the configuration itself trains on
        (0, 0.1, 1.0, 1.0),
    ])
    func profilingTrainsOnAtLeastThreeMiniBatchesPerEpoch(images: Int, fraction: Double, data: Double, expected: Double)
    {
        var settings = Self.settings()
        settings.profileFraction = fraction
        let configuration = RetrainingConfiguration(name: "x", epochs: 4, layers: .all, dataFraction: data)
        let value = settings.profilingFraction(for: configuration, images: images)
        #expect(abs(value - expected) < 1e-9, "\(value)")
    }

    @Test func thePaperGridSpansEpochsLayersAndDataAndSharesProfilingRunsThatWouldBeIdentical() {
        let grid = RetrainingConfiguration.paperGrid
        #expect(grid.count == 18 && Set(grid.map(\.name)).count == 18)
        #expect(Set(grid.map(\.epochs)) == [1, 4, 10] && Set(grid.map(\.dataFraction)) == [0.25, 0.5, 1])
        // The full-data configurations keep the default grid's names.
        #expect(Set(RetrainingConfiguration.defaultGrid.map(\.name)).isSubset(of: Set(grid.map(\.name))))
        // With Ekya's 10 % on a 600-crop window every data fraction profiles on the same 96 crops (the
        // 3-batch floor), so one profiling run per layer group serves all 9 of its configurations.
        var settings = Self.settings()
        settings.profileFraction = 0.1
        let fractions = Set(grid.map { settings.profilingFraction(for: $0, images: 600) })
        #expect(fractions == [0.2])
    }

    @Test func pruningDropsTheDominatedAndWorstPredictedFractionButKeepsTwo() {
        var settings = Self.settings()
        settings.pruneFraction = 0.34
        // (predicted accuracy, predicted cost); 5 is dominated by 1 and 4 (less accurate, costlier).
        let predictions: [(accuracy: Double, cost: Double)?] = [
            (0.70, 2), (0.90, 10), (0.60, 1), nil, (0.80, 5), (0.75, 20),
        ]
        // 6 × 0.34 → 2 dropped: the unprofiled one and the dominated one. The cheapest (2) stays although
        // it predicts the least: a scarce device can still finish it.
        #expect(settings.pruned(Set(0..<6), predictions: predictions) == [0, 1, 2, 4])
        // Never fewer than two left.
        #expect(settings.pruned([1, 4], predictions: predictions) == [1, 4])
        // Among the undominated, the lowest predicted accuracy goes first.
        settings.pruneFraction = 0.9
        #expect(settings.pruned(Set(0..<6), predictions: predictions) == [1, 4])
        // Ties are broken by position, not by Set order (which changes from process to process).
        let tied: [(accuracy: Double, cost: Double)?] = Array(repeating: (0.5, 1), count: 6)
        #expect(settings.pruned(Set(0..<6), predictions: tied) == [4, 5])
        settings.pruneFraction = 0
        #expect(settings.pruned(Set(0..<6), predictions: predictions) == Set(0..<6))
    }

    @Test(.enabled(if: hasDataset, "needs the Debian package dataset-fashion-mnist"))
    func badSettingsAreRejectedWithAClearMessage() throws {
        let pool = try FashionMNIST.load(.test)
        var settings = Self.settings()
        settings.clock = .wall
        settings.devices = 2
        #expect {
            try LiveRuntime(settings: settings, pool: pool)
        } throws: { error in
            String(describing: error).contains("--clock wall runs on this one device")
        }
        settings = Self.settings(windows: 0)
        #expect(throws: RuntimeError.self) { try LiveRuntime(settings: settings, pool: pool) }
    }

    @Test(.enabled(if: hasDataset, "needs the Debian package dataset-fashion-mnist"))
    func pruningDropsTheWorstConfigurationsEveryTwoWindows() throws {
        var settings = Self.settings(windows: 3)
        settings.scenarios = [.dayNight]
        settings.configurations = RetrainingConfiguration.defaultGrid
        let runtime = try LiveRuntime(settings: settings, pool: try FashionMNIST.load(.train))
        let report = try runtime.run(scheduler: ThiefScheduler())
        #expect(report.windows.map(\.profiledConfigurations) == [6, 6, 4])
        #expect(report.windows.allSatisfy { $0.totalConfigurations == 6 })
    }

    @Test(.enabled(if: hasDataset, "needs the Debian package dataset-fashion-mnist"))
    func profileEvaluationComparesPredictionsWithFullTraining() throws {
        var settings = Self.settings(windows: 1)
        settings.configurations = [
            RetrainingConfiguration(name: "head-1", epochs: 1, layers: .headOnly),
            RetrainingConfiguration(name: "head-3", epochs: 3, layers: .headOnly),
        ]
        let evaluation = try ProfileEvaluation(
            settings: settings,
            pool: try FashionMNIST.load(.train),
            scenario: .classShift,
            windows: 1...1,
            predictors: [EkyaOptimusPredictor(), OptimusFitAllPredictor(), OptimusWorkPredictor()]
        )
        #expect(evaluation.rows.count == 2)
        #expect(evaluation.predictors == ["ekya-optimus", "optimus-all", "optimus-work", "ekya-optimus+history"])
        for row in evaluation.rows {
            #expect(row.predictedAccuracy.count == 4)
            #expect(row.layers == .head)
            #expect((0...1).contains(row.actualAccuracy) && row.actualCost > 0 && row.predictedCost > 0)
        }
        // Profiling two epochs of a quarter of the data costs less than training both fully.
        #expect(evaluation.profilingCostFraction < 1)
        #expect(evaluation.summaries.count == 4)
        // Only optimus-work, the predictor the intervals are calibrated for, reports their coverage.
        let covered = evaluation.rows.filter {
            let best = $0.observed.map(\.accuracy).reduce($0.startAccuracy, max)
            return PredictionInterval(prediction: $0.predictedAccuracy[2], group: .head, bestSeen: best)
                .contains($0.actualAccuracy)
        }
        #expect(evaluation.summaries.map(\.intervalCoverage) == [nil, nil, Double(covered.count) / 2, nil])
        #expect(evaluation.canonicalTrace.profiles.first?.configurations.count == 2)
        // The JSON-lines dump has one object per row with the profiled points and the full run's curve.
        let lines = evaluation.rowsJSONLines.split(separator: "\n")
        #expect(lines.count == 2)
        for (line, row) in zip(lines, evaluation.rows) {
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            )
            #expect(object["config"] as? String == row.configuration)
            #expect((object["observed"] as? [[Double]])?.count == row.observed.count && !row.observed.isEmpty)
            #expect((object["curve"] as? [Double])?.count == row.epochs)
            #expect((object["predicted"] as? [String: Double])?.count == 4)
            #expect((0...1).contains(object["actual_test"] as? Double ?? -1))
        }
    }
}
