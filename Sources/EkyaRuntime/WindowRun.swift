import EkyaCore
import EkyaData
import EkyaDataML
import EkyaML

/// One retraining window of a live run: label, micro-profile, schedule, execute, swap, re-allocate.
///
/// A class owned by one caller for one window: its mutable state is the window's state machine.
final class WindowRun {
    struct Profile {
        var predictedAccuracy: Double
        var predictedCost: Double
    }

    /// Pruned configurations have no profile.
    typealias Profiles = [Profile?]

    struct Result {
        var record: LiveWindowRecord
        var serving: [TorchModel]
        var carried: [Int?]
        var outcomes: [RealisedOutcome]
        /// Per stream, accuracy over each second of the window.
        var perSecond: [[Double]]
        /// Per stream and configuration, the predicted end accuracy and cost (nil when pruned).
        var predictions: [[(accuracy: Double, cost: Double)?]]
    }

    let runtime: LiveRuntime
    let window: Int
    let data: [StreamWindow]
    let initialServing: [TorchModel]
    let carriedIn: [Int?]
    let history: [RealisedOutcome]
    let scheduler: any Scheduler
    let predictor: any AccuracyPredictor
    /// Per stream, the configurations not pruned yet.
    let active: [Set<Int>]

    // Window state.
    var names: [String] = []
    var count = 0
    var seed: UInt64 = 0
    var datasets: [TorchDataset] = []
    /// Per stream: fraction of the teacher's labels that are right (this window).
    var labelAccuracy: [Double] = []
    var validation: [[Int]] = []
    var profiles: [Profiles] = []
    var executor = ShareExecutor()
    var inference: [InferenceJob] = []
    var retraining: [RetrainingJob?] = []
    var finished: [Bool] = []
    var current: [Double] = []
    var records: [LiveStreamRecord] = []
    var outcomes: [RealisedOutcome] = []
    var serving: [TorchModel] = []
    /// Per stream, every model swapped in during the window after the start model, in time order.
    var swaps: [[(time: Double, model: TorchModel)]] = []
    /// Per stream, the job refining the serving model with capacity the plan leaves idle.
    var refinement: [RetrainingJob?] = []
    /// Per stream, when the running retraining job's best epoch so far was swapped in, and its validation accuracy.
    var servedEpoch: [(time: Double, accuracy: Double)?] = []
    /// Streams whose refinement failed this window (not restarted).
    var refinementStopped: Set<Int> = []
    /// Per stream, device-seconds of profiling done when its own profiling ended (streams run one after another).
    var profiledAt: [Double] = []
    /// Per stream, the best model micro-profiling trained, if it validated above the serving model.
    var profiledModels: [(model: TorchModel, accuracy: Double)?] = []
    /// Profiling runs left for the background (stream, configurations the run serves), in start order.
    var pendingProfiling: [(index: Int, group: [Int])] = []
    /// The background profiling run in progress, if any.
    var profiling: ProfilingJob?
    /// Device-seconds of background profiling done, and what training its configurations fully would cost.
    var backgroundProfilingCost = 0.0
    var backgroundExhaustiveCost = 0.0
    /// Per stream, configurations whose profiles arrived from the background (after the plan).
    var lateOptions: [Set<Int>] = []
    /// Per stream, the layer groups of the retraining jobs started this window (one job per group).
    var startedLayers: [Set<TrainableLayers>] = []
    var shareLog: [[(time: Double, share: Double)]] = []
    var retiredAccounting: [[ShareExecutor.Accounting]] = []
    var capacity: Capacity
    var timing: WindowTiming
    var scaling: InferenceScaling = .ekyaDefault
    var nextCheckpoint = Double.infinity
    var nextStatus = Double.infinity

    init(
        runtime: LiveRuntime,
        window: Int,
        data: [StreamWindow],
        serving: [TorchModel],
        carried: [Int?],
        history: [RealisedOutcome],
        scheduler: any Scheduler,
        predictor: any AccuracyPredictor,
        active: [Set<Int>]
    ) throws {
        self.runtime = runtime
        self.window = window
        self.data = data
        self.initialServing = serving
        self.carriedIn = carried
        self.history = history
        self.scheduler = scheduler
        self.predictor = predictor
        self.active = active
        self.capacity = try Capacity(devices: runtime.settings.devices, quantum: runtime.settings.quantum)
        self.timing = try WindowTiming(length: Int(runtime.settings.windowSeconds.rounded()), labellingDelay: 0)
    }

    var settings: RuntimeSettings { runtime.settings }

    /// Runs the window: label, profile, schedule, execute with swaps and re-allocation, measure.
    func execute(pace: (Double) throws -> Void, progress: (String) -> Void) throws -> Result {
        names = runtime.streamNames
        count = data.count
        seed = settings.seed &+ UInt64(window) &* 1_000_003
        serving = initialServing
        retraining = Array(repeating: nil, count: count)
        finished = Array(repeating: false, count: count)
        swaps = Array(repeating: [], count: count)
        refinement = Array(repeating: nil, count: count)
        servedEpoch = Array(repeating: nil, count: count)
        pendingProfiling = []
        profiling = nil
        backgroundProfilingCost = 0
        backgroundExhaustiveCost = 0
        lateOptions = Array(repeating: [], count: count)
        startedLayers = Array(repeating: [], count: count)
        refinementStopped = []
        retiredAccounting = Array(repeating: [], count: count)
        let labellingCost = try label()
        let (profilingCost, exhaustiveCost) = try profile()
        let devices = Double(settings.devices)
        let delay = min(settings.windowSeconds / 2, (labellingCost + profilingCost) / devices)
        timing = try WindowTiming(length: Int(settings.windowSeconds.rounded()), labellingDelay: delay)
        scaling = .linear(cap: runtime.fullRateShare)

        // Inference starts at once, on a fair share until the plan is ready.
        executor = ShareExecutor(tick: settings.tick)
        inference = (0..<count).map { index in
            InferenceJob(
                id: "infer-\(names[index])",
                model: serving[index],
                frames: data[index].test,
                windowStart: data[index].start,
                meter: settings.meter,
                resolution: nil
            )
        }
        let backlog = InferenceJob.backlog(cropsPerSecond: settings.cropsPerSecond, tick: settings.tick)
        for job in inference { job.maximumBacklog = backlog }
        let fair = min(devices / Double(count), 1)
        for job in inference { executor.add(job, share: fair) }
        shareLog = (0..<count).map { _ in [(0, fair)] }
        records = (0..<count).map { index in
            LiveStreamRecord(
                stream: names[index],
                window: window,
                startAccuracy: current[index],
                measuredAccuracy: 0,
                simulatedAccuracy: 0,
                refusedSwap: false,
                labelAccuracy: labelAccuracy[index],
                initialInferenceShare: fair,
                initialTrainingShare: 0,
                shareError: 0
            )
        }
        // Each stream's profiled model serves from the end of its own profiling run (after labelling).
        for index in (0..<count).sorted(by: { (profiledAt[$0], $0) < (profiledAt[$1], $1) }) {
            let ready = min(delay, (labellingCost + profiledAt[index]) / devices)
            try executor.run(until: ready, pace: pace)
            swapInProfiledModel(index, at: ready, progress: progress)
        }
        try executor.run(until: delay, pace: pace)
        // What a frame costs now, inside the running executor (measured, not the start-up figure).
        let processed = inference.map(\.processed).reduce(0, +)
        if processed >= 20 {
            let perFrame = inference.map(\.deviceTime).reduce(0, +) / Double(processed)
            let fullRate = perFrame * settings.cropsPerSecond * settings.testFraction
            scaling = .linear(cap: max(settings.quantum, runtime.fullRateShare, fullRate))
        }

        // Schedule.
        let clock = ContinuousClock()
        let started = clock.now
        let initialProblem = problem(at: delay)
        let initialPlan = scheduler.plan(initialProblem)
        let decision = started.duration(to: clock.now)
        try apply(initialPlan, problem: initialProblem, at: delay)
        for index in 0..<count {
            records[index].initialInferenceShare = initialPlan.streams[index].inference
            records[index].initialTrainingShare = initialPlan.streams[index].training
        }
        let planned = initialPlan.streams.enumerated().map { index, plan in
            plan.option.map {
                "\(names[index]):\(initialProblem.streams[index].options[$0].name)@\(TextFormat.fixed2(plan.training))"
            } ?? "\(names[index]):-"
        }
        progress(
            "window \(window) [\(scheduler.name)] t=\(Int(delay))s plan: \(planned.joined(separator: " ")) "
                + "(profiling \(Int(profilingCost)) device-s; full frame rate \(TextFormat.fixed2(scaling.saturationShare)))"
        )

        // Execute; on each completion validate, swap or refuse, and re-allocate.
        nextCheckpoint = scheduler.replanInterval.map { delay + $0 } ?? .infinity
        nextStatus = delay + settings.windowSeconds / 4
        try executor.run(until: settings.windowSeconds, pace: pace) { now in
            try self.afterTick(now, progress: progress)
        }

        // Measure what users got, and what the window-accuracy model says about the executed plan.
        let (carried, perSecond) = try measure()
        return Result(
            record: LiveWindowRecord(
                window: window,
                streams: records,
                delay: delay,
                labellingCost: labellingCost,
                profilingCost: profilingCost + backgroundProfilingCost,
                exhaustiveCost: exhaustiveCost + backgroundExhaustiveCost,
                decisionMilliseconds: decision.inMilliseconds,
                profiledConfigurations: scheduler.usesProfiles ? active.map(\.count).reduce(0, +) : 0,
                totalConfigurations: settings.configurations.count * count
            ),
            serving: serving,
            carried: carried,
            outcomes: outcomes,
            perSecond: perSecond,
            // A baseline has no predictions (its pruning is moot: it profiles nothing).
            predictions: profiles.map {
                $0.map { profile in
                    profile.flatMap { scheduler.usesProfiles ? ($0.predictedAccuracy, $0.predictedCost) : nil }
                }
            }
        )
    }

    /// Labels each stream's window sample with the teacher; returns the labelling cost in device-seconds.
    func label() throws -> Double {
        var cost = 0.0
        datasets = []
        labelAccuracy = []
        for (index, stream) in data.enumerated() {
            let labels: [Int]
            switch settings.teacher {
            case .groundTruth:
                let labeler = try GroundTruthLabeler(
                    errorRate: settings.labelErrorRate,
                    classCount: runtime.classCount,
                    seed: seed &+ UInt64(index)
                )
                let (labeling, deviceSeconds) = settings.meter.charge(.none) { labeler.label(stream.train) }
                // A video camera's labels are its detector's, whose measured compute the window pays for.
                cost +=
                    max(labeling.computeTime.inSeconds * settings.slowdown, deviceSeconds)
                    + stream.teacherSeconds * settings.slowdown
                labels = labeling.labels
            case .model:
                guard let teacher = runtime.teacherModel else {
                    throw RuntimeError.invalidSettings("the model teacher was chosen but no teacher model is loaded")
                }
                let (predicted, deviceSeconds) = try settings.meter.charge(
                    ComputeWork(teacherImages: stream.train.count)
                ) { try CropModels.predict(teacher, stream.train) }
                cost += deviceSeconds
                labels = predicted
            }
            labelAccuracy.append(Labeling(labels: labels, computeTime: .zero).accuracy(against: stream.train.labels))
            datasets.append(try CropModels.dataset(stream.train, labels: labels))
        }
        return cost
    }

    /// Measures start accuracy and micro-profiles every configuration (Ekya §4).
    func profile() throws -> (profiling: Double, exhaustive: Double) {
        let profiler = MicroProfiler(
            settings: settings,
            predictors: [predictor],
            copy: { try self.runtime.copy($0) }
        )
        var profilingCost = 0.0
        var exhaustiveCost = 0.0
        validation = []
        current = []
        profiledModels = Array(repeating: nil, count: count)
        profiledAt = Array(repeating: 0, count: count)
        for index in 0..<count {
            let probe = try TrainingJob(
                model: try runtime.copy(try serving[index].snapshot()),
                dataset: datasets[index],
                plan: settings.trainingPlan(settings.configurations[0], epochs: 1, fraction: 1, seed: seed)
            )
            validation.append(probe.validationIndices)
            current.append(try serving[index].accuracy(on: datasets[index], indices: probe.validationIndices))
        }
        guard scheduler.usesProfiles else {
            // A fixed baseline knows its configuration already: nothing to profile, nothing to charge.
            // (An unknown gain, just above the current accuracy, keeps every option on offer.)
            profiles = current.map { a0 in
                settings.configurations.map { _ in Profile(predictedAccuracy: a0.nextUp, predictedCost: 1) }
            }
            return (0, 0)
        }
        profiles = Array(repeating: [], count: count)
        // Staged: only the head (the cheapest runs) before the plan; the other groups run in the background.
        let configurations = settings.configurations
        let head = Set(configurations.indices.filter { configurations[$0].layers == .headOnly })
        let staged = settings.profilesInBackground && !head.isEmpty
        // The least accurate streams first: their profiled models, which serve as soon as their own profiling
        // ends, are likely to gain the most.
        let order = (0..<count).sorted(by: { (current[$0], $0) < (current[$1], $1) })
        for index in order {
            let a0 = current[index]
            let profiled = try profiler.profile(
                model: serving[index],
                dataset: datasets[index],
                startAccuracy: a0,
                seed: seed,
                active: staged ? active[index].intersection(head) : active[index]
            )
            profilingCost += profiled.cost
            profiledAt[index] = profilingCost
            exhaustiveCost += profiled.estimates.compactMap { $0?.predictedCost }.reduce(0, +)
            if settings.servesProfiledModels { profiledModels[index] = profiled.bestModel }
            profiles[index] = profiled.estimates.map {
                $0.map {
                    Profile(predictedAccuracy: $0.predictedAccuracy.first ?? a0, predictedCost: $0.predictedCost)
                }
            }
        }
        if staged {
            for index in order {
                var rest = active[index].subtracting(head)
                while let first = rest.min() {
                    let group = profiler.runGroup(of: first, active: rest, images: datasets[index].count)
                    pendingProfiling.append((index, group))
                    rest.subtract(group)
                    rest.remove(first)
                }
            }
        }
        return (profilingCost, exhaustiveCost)
    }

    /// Starts the next background profiling run (from the window's starting model, as before the plan).
    func startNextProfiling() throws {
        guard profiling == nil, !pendingProfiling.isEmpty else { return }
        let (index, group) = pendingProfiling.removeFirst()
        guard let first = group.first else { return }
        let configuration = settings.configurations[first]
        let fraction = settings.profilingFraction(for: configuration, images: datasets[index].count)
        let job = ProfilingJob(
            id: "profile-\(names[index])",
            stream: index,
            group: group,
            fraction: fraction,
            job: try TrainingJob(
                model: try runtime.copy(try initialServing[index].snapshot()),
                dataset: datasets[index],
                plan: settings.trainingPlan(
                    configuration,
                    epochs: settings.profileEpochs,
                    fraction: fraction,
                    seed: seed,
                    subset: settings.profilingSubset
                )
            ),
            meter: settings.meter
        )
        profiling = job
        executor.add(job, share: 0)
    }

    /// A finished background profiling run: its configurations join the stream's options, and its best
    /// model serves if it validates above the serving one.
    func completeProfiling(_ job: ProfilingJob, at now: Double, progress: (String) -> Void) throws {
        let index = job.stream
        if let accounting = executor.accounting(of: job.id) { retiredAccounting[index].append(accounting) }
        executor.remove(id: job.id)
        profiling = nil
        backgroundProfilingCost += job.deviceTime
        if let failure = job.failure {
            progress("  \(names[index]): background profiling failed (\(failure)); its configurations are not offered")
            return
        }
        let accuracy = try job.job.finish()
        let profiler = MicroProfiler(settings: settings, predictors: [predictor], copy: { try self.runtime.copy($0) })
        let estimates = try profiler.estimates(
            group: job.group,
            model: job.job.model,
            dataset: datasets[index],
            fraction: job.fraction,
            observed: job.observed,
            stepSeconds: job.stepSeconds,
            deviceSeconds: job.deviceTime,
            startAccuracy: records[index].startAccuracy,
            seed: seed
        )
        for (option, estimate) in estimates {
            profiles[index][option] = Profile(
                predictedAccuracy: estimate.predictedAccuracy.first ?? records[index].startAccuracy,
                predictedCost: estimate.predictedCost
            )
            backgroundExhaustiveCost += estimate.predictedCost
            lateOptions[index].insert(option)
        }
        progress(
            "  t=\(Int(now))s \(names[index]): profiled \(job.group.map { settings.configurations[$0].name }.joined(separator: ",")) "
                + "in the background (\(TextFormat.fixed2(job.deviceTime)) device-s)"
        )
        if settings.servesProfiledModels, let accuracy, accuracy > current[index] {
            profiledModels[index] = (job.job.model, accuracy)
            swapInProfiledModel(index, at: now, progress: progress)
        }
    }

    /// What the scheduler may know now: predictions, finished jobs' outcomes, running jobs' progress.
    func problem(at time: Double) -> PlanningProblem {
        let configurations = settings.configurations
        let streams = (0..<count).map { index -> PlanningStream in
            if let job = retraining[index], let profile = profiles[index][job.option] {
                return PlanningStream(
                    id: names[index],
                    currentAccuracy: current[index],
                    options: [
                        PlanningOption(
                            name: job.configuration.name,
                            endAccuracy: profile.predictedAccuracy,
                            cost: max(profile.predictedCost - job.deviceTime, 0.01 * profile.predictedCost)
                        )
                    ],
                    isRunning: true,
                    progress: JobProgress(
                        workDone: job.deviceTime,
                        fractionComplete: job.progress,
                        predictedTotalCost: profile.predictedCost
                    )
                )
            }
            // One job per layer group; a stream whose job finished may still take a configuration profiled
            // in the background after its job started.
            let offered = configurations.indices.filter { option in
                !startedLayers[index].contains(configurations[option].layers)
                    && (!finished[index] || lateOptions[index].contains(option))
            }
            let options =
                offered.compactMap { option in
                    profiles[index][option].map {
                        PlanningOption(
                            name: configurations[option].name,
                            endAccuracy: $0.predictedAccuracy,
                            cost: $0.predictedCost
                        )
                    }
                }
            return PlanningStream(id: names[index], currentAccuracy: current[index], options: options)
        }
        return PlanningProblem(
            streams: streams,
            capacity: capacity,
            timing: timing,
            now: time,
            scaling: scaling,
            window: window,
            history: history + outcomes
        )
    }

    /// Applies a plan: shares change at the next step; newly chosen retraining jobs start now.
    func apply(_ plan: Plan, problem: PlanningProblem, at time: Double) throws {
        let configurations = settings.configurations
        // Work-conserving: capacity the plan leaves unallocated goes to inference in equal parts. φ gives it
        // no value, but frame costs vary from step to step, and a stream held at exactly its full-rate share
        // drops frames whenever a step runs long.
        let used = plan.streams.reduce(0) { $0 + $1.inference + ($1.option == nil ? 0 : $1.training) }
        var spare = max(0, capacity.total - used)
        // Streams without a retraining job (none planned now, none running) can refine their serving model.
        let refining = (0..<count).filter { index in
            settings.refinesWithIdleCapacity && scheduler.usesProfiles && !refinementStopped.contains(index)
                && retraining[index] == nil && plan.streams[index].option == nil
        }
        // A running job the plan gives no share (its best epoch already serves above the job's prediction, so the
        // scheduler sees no gain left) trains on with idle capacity, like refinement, instead of stalling: while
        // it runs, its stream cannot refine.
        let continuing = (0..<count).filter { index in
            settings.refinesWithIdleCapacity && scheduler.usesProfiles && retraining[index] != nil
                && (plan.streams[index].option == nil || plan.streams[index].training <= 0)
        }
        let idleSharers = refining.count + continuing.count
        try startNextProfiling()
        var inferenceShares = plan.streams.map(\.inference)
        if idleSharers > 0 || profiling != nil {
            // Inference keeps headroom (`fullRateHeadroom` times its full-rate share); what a plan gives it beyond
            // that (φ is flat there) and what it leaves unallocated goes to refinement.
            let headroom = min(1, settings.fullRateHeadroom * scaling.saturationShare)
            spare += inferenceShares.map { max(0, $0 - headroom) }.reduce(0, +)
            inferenceShares = inferenceShares.map { min($0, headroom) }
            let extra = inferenceShares.map { max(0, headroom - $0) }
            let scale = min(1, spare / max(extra.reduce(0, +), 1e-12))
            for index in 0..<count { inferenceShares[index] += extra[index] * scale }
            spare = max(0, spare - extra.reduce(0, +) * scale)
        } else {
            inferenceShares = inferenceShares.map { $0 + spare / Double(max(1, count)) }
            spare = 0
        }
        // A stream the plan serves at its full frame rate keeps some headroom even when the plan gives every
        // other share to retraining: per-frame compute rises while training runs beside it.
        let guaranteed = Self.guaranteeingHeadroom(
            inference: inferenceShares,
            training: plan.streams.reduce(0) { $0 + ($1.option == nil ? 0 : $1.training) },
            fullRate: scaling.saturationShare,
            headroom: settings.fullRateHeadroom
        )
        inferenceShares = guaranteed.inference
        let trainingScale = guaranteed.trainingScale
        // Background profiling comes first: its configurations may beat anything refinement can give.
        if let job = profiling {
            let share = min(1, spare)
            executor.setShare(share, for: job.id)
            spare -= share
        }
        for index in 0..<count {
            let decision = plan.streams[index]
            let share = min(1, inferenceShares[index])
            executor.setShare(share, for: inference[index].id)
            shareLog[index].append((time, share))
            if refining.contains(index) {
                try refine(index, share: min(1, spare / Double(idleSharers)))
            } else {
                stopRefining(index)
            }
            if let job = retraining[index] {
                let share =
                    continuing.contains(index)
                    ? min(1, spare / Double(idleSharers))
                    : decision.option == nil ? 0 : decision.training * trainingScale
                executor.setShare(share, for: job.id)
            } else if let choice = decision.option, decision.training > 0 {
                let name = problem.streams[index].options[choice].name
                guard let option = configurations.firstIndex(where: { $0.name == name }) else { continue }
                let configuration = configurations[option]
                // From the serving model (continuous learning retrains the current model), or from the window's
                // starting model, which the micro-profiler's predictions are about.
                let start = settings.retrainsServingModel ? serving[index] : initialServing[index]
                let model = try runtime.copy(try start.snapshot())
                let job = RetrainingJob(
                    id: "train-\(names[index])",
                    stream: index,
                    option: option,
                    configuration: configuration,
                    job: try TrainingJob(
                        model: model,
                        dataset: datasets[index],
                        plan: settings.trainingPlan(
                            configuration,
                            epochs: configuration.epochs,
                            fraction: configuration.dataFraction,
                            seed: seed
                        )
                    ),
                    meter: settings.meter
                )
                retraining[index] = job
                startedLayers[index].insert(configuration.layers)
                servedEpoch[index] = nil
                executor.add(job, share: decision.training * trainingScale)
                records[index].configuration = configuration.name
                records[index].retrainedFromAccuracy =
                    settings.retrainsServingModel ? current[index] : records[index].startAccuracy
                records[index].predictedEndAccuracy =
                    scheduler.usesProfiles ? profiles[index][option]?.predictedAccuracy : nil
                records[index].predictedCost = scheduler.usesProfiles ? profiles[index][option]?.predictedCost : nil
            }
        }
    }

    /// Raises each inference share a plan set at full frame rate (at least `fullRate`) but below `headroom` ×
    /// `fullRate` to that, taking the difference from the retraining jobs' shares (`training` in all), never
    /// more than half of them; shares below `fullRate` (the plan traded frames for training) stay as they are.
    ///
    /// Returns the new inference shares and the factor every retraining job's planned share is scaled by.
    static func guaranteeingHeadroom(
        inference: [Double],
        training: Double,
        fullRate: Double,
        headroom: Double
    ) -> (inference: [Double], trainingScale: Double) {
        let target = min(1, headroom * fullRate)
        let short = inference.map { $0 >= fullRate * (1 - 1e-6) ? max(0, target - $0) : 0 }
        let need = short.reduce(0, +)
        guard need > 0, training > 0 else { return (inference, 1) }
        let taken = min(need, training / 2)
        return (zip(inference, short).map { $0 + $1 * taken / need }, (training - taken) / training)
    }

    /// Gives stream `index`'s refinement job `share`, starting it from the serving model if none runs.
    func refine(_ index: Int, share: Double) throws {
        if let job = refinement[index] {
            executor.setShare(share, for: job.id)
            return
        }
        guard share > 0 else { return }
        // The head (all layers often lose accuracy in their first epochs; measured equal over 4 seeds), the
        // window's labelled data, the same validation split, epochs until the window ends.
        let configuration = RetrainingConfiguration(name: "refine", epochs: 1_000, layers: .headOnly)
        let job = RetrainingJob(
            id: "refine-\(names[index])",
            stream: index,
            option: -1,
            configuration: configuration,
            job: try TrainingJob(
                model: try runtime.copy(try serving[index].snapshot()),
                dataset: datasets[index],
                plan: settings.trainingPlan(configuration, epochs: configuration.epochs, fraction: 1, seed: seed)
            ),
            meter: settings.meter
        )
        refinement[index] = job
        executor.add(job, share: share)
    }

    /// Stops stream `index`'s refinement job, if any (its accounting is kept for the share report).
    func stopRefining(_ index: Int) {
        guard let job = refinement[index] else { return }
        if let accounting = executor.accounting(of: job.id) { retiredAccounting[index].append(accounting) }
        executor.remove(id: job.id)
        refinement[index] = nil
    }

    /// Swaps in each running retraining job's best epoch so far when it validated above the serving model.
    ///
    /// The job trains on; when it finishes, its best epoch is the retrained model (already serving, or
    /// swapped in then if a later epoch validated better still).
    func harvestEpochs(_ now: Double, progress: (String) -> Void) throws {
        guard settings.servesImprovedEpochs, scheduler.usesProfiles else { return }
        for index in 0..<count {
            guard let job = retraining[index], job.failure == nil, job.hasWork(at: now),
                let accuracy = try serveBestEpoch(
                    of: job.job,
                    index,
                    what: "\(job.configuration.name)'s best epoch so far",
                    at: now,
                    progress: progress
                )
            else { continue }
            records[index].epochSwapTimes.append(now)
            servedEpoch[index] = (now, accuracy)
        }
    }

    /// Swaps in each refinement job's best epoch when it validated above the serving model.
    func harvestRefinements(_ now: Double, progress: (String) -> Void) throws {
        for index in 0..<count {
            guard let job = refinement[index] else { continue }
            if let failure = job.failure {
                stopRefining(index)
                refinementStopped.insert(index)
                progress("  \(names[index]): refinement failed (\(failure)); inference keeps the old model")
                continue
            }
            if try serveBestEpoch(of: job.job, index, what: "a refined model", at: now, progress: progress) != nil {
                records[index].refinedSwapTimes.append(now)
            }
        }
    }

    /// Serves a copy of `job`'s best epoch so far for stream `index` if it validated above the serving model;
    /// returns its validation accuracy, or nil when nothing was swapped.
    func serveBestEpoch(
        of job: TrainingJob,
        _ index: Int,
        what: String,
        at now: Double,
        progress: (String) -> Void
    ) throws -> Double? {
        guard let accuracy = job.bestValidationAccuracy, accuracy > current[index], let snapshot = job.bestSnapshot
        else { return nil }
        serve(
            try runtime.copy(snapshot),
            index,
            what: what,
            from: current[index],
            to: accuracy,
            at: now,
            progress: progress
        )
        return accuracy
    }

    /// Serves `model` for stream `index` from `now` (inference does not pause) and logs the validated swap.
    func serve(
        _ model: TorchModel,
        _ index: Int,
        what: String,
        from before: Double,
        to accuracy: Double,
        at now: Double,
        progress: (String) -> Void
    ) {
        inference[index].swap(to: model)
        // Whatever served from a running job's epochs is replaced now (an epoch swap records itself after this).
        servedEpoch[index] = nil
        progress(
            "  t=\(Int(now))s \(names[index]): swapped in \(what) "
                + "(validation \(TextFormat.percent(before)) → \(TextFormat.percent(accuracy)))"
        )
        serving[index] = model
        current[index] = accuracy
        swaps[index].append((now, model))
    }

    /// Handles completions (validate, swap or refuse), re-allocation and the progress display.
    func afterTick(_ now: Double, progress: (String) -> Void) throws {
        try harvestEpochs(now, progress: progress)
        try harvestRefinements(now, progress: progress)
        var freed: [(Int, Double)] = []
        for index in 0..<count {
            guard let job = retraining[index], !job.hasWork(at: now) else { continue }
            freed.append((index, executor.share(of: job.id) ?? 0))
            try complete(job, index: index, at: now, progress: progress)
        }
        var revealed = false
        if let job = profiling, !job.hasWork(at: now) {
            try completeProfiling(job, at: now, progress: progress)
            revealed = true
        }
        let checkpointDue = now >= nextCheckpoint - 1e-9
        if checkpointDue { nextCheckpoint += scheduler.replanInterval ?? .infinity }
        if !freed.isEmpty || checkpointDue || revealed, now < settings.windowSeconds - 1e-9 {
            if settings.policy == .paper || checkpointDue || revealed {
                let replanProblem = problem(at: now)
                try apply(scheduler.plan(replanProblem), problem: replanProblem, at: now)
            } else {
                redistribute(freed, at: now)
            }
        }
        if now >= nextStatus - 1e-9 {
            nextStatus += settings.windowSeconds / 4
            let status = (0..<count).map { index -> String in
                let share = executor.share(of: inference[index].id) ?? 0
                let training =
                    retraining[index].map {
                        " train \(TextFormat.fixed2(executor.share(of: $0.id) ?? 0)) \($0.configuration.name) "
                            + "\(Int($0.progress * 100))%"
                    } ?? ""
                let refining =
                    refinement[index].map {
                        " refine \(TextFormat.fixed2(executor.share(of: $0.id) ?? 0)) epoch \(Int($0.progress * Double($0.job.plan.epochs)))"
                    } ?? ""
                let profilingNow =
                    profiling.flatMap {
                        $0.stream == index ? " profile \(TextFormat.fixed2(executor.share(of: $0.id) ?? 0))" : nil
                    } ?? ""
                return "\(names[index]) inf \(TextFormat.fixed2(share))\(training)\(refining)\(profilingNow)"
            }
            progress("  t=\(Int(now))s " + status.joined(separator: " | "))
        }
    }

    /// When its profiling ends, serves stream `index`'s best profiled model if it validated above the serving one.
    ///
    /// The swap does not pause inference. The scheduler then plans against the profiled model's accuracy,
    /// and a retraining job that finishes later must beat it to be swapped in.
    func swapInProfiledModel(_ index: Int, at now: Double, progress: (String) -> Void) {
        guard let profiled = profiledModels[index], profiled.accuracy > current[index] else { return }
        serve(
            profiled.model,
            index,
            what: "the profiled model",
            from: current[index],
            to: profiled.accuracy,
            at: now,
            progress: progress
        )
        records[index].profileSwapTime = now
        records[index].profiledAccuracy = profiled.accuracy
    }

    /// A finished (or failed) retraining job: validate against the serving model, swap only if better.
    func complete(_ job: RetrainingJob, index: Int, at now: Double, progress: (String) -> Void) throws {
        if let accounting = executor.accounting(of: job.id) { retiredAccounting[index].append(accounting) }
        executor.remove(id: job.id)
        retraining[index] = nil
        finished[index] = true
        records[index].realisedCost = job.deviceTime
        if let failure = job.failure {
            records[index].failure = failure
            progress("  \(names[index]): retraining failed (\(failure)); inference keeps the old model")
            return
        }
        let accuracy = try job.job.finish() ?? 0
        let before = try serving[index].accuracy(on: datasets[index], indices: validation[index])
        records[index].realisedEndAccuracy = accuracy
        outcomes.append(
            RealisedOutcome(
                stream: names[index],
                window: window,
                configuration: job.configuration.name,
                predicted: RetrainingOutcome(
                    endAccuracy: profiles[index][job.option]?.predictedAccuracy ?? current[index],
                    gpuSeconds: profiles[index][job.option]?.predictedCost ?? 0
                ),
                actual: RetrainingOutcome(endAccuracy: accuracy, gpuSeconds: job.deviceTime)
            )
        )
        if let served = servedEpoch[index], accuracy <= served.accuracy {
            // The job's best epoch has served since `served.time`: that is the retrained model's swap.
            records[index].swapTime = served.time
            stopRefining(index)
        } else if accuracy > before {
            serve(
                job.job.model,
                index,
                what: job.configuration.name,
                from: before,
                to: accuracy,
                at: now,
                progress: progress
            )
            records[index].swapTime = now
            // A running refinement refines the model this one replaced; the next plan restarts it from this one.
            stopRefining(index)
        } else {
            records[index].refusedSwap = true
            progress(
                "  t=\(Int(now))s \(names[index]): refused \(job.configuration.name) "
                    + "(validation \(TextFormat.percent(accuracy)) ≤ \(TextFormat.percent(before)))"
            )
        }
    }

    /// The non-`paper` re-allocation policies of spec §2.
    func redistribute(_ freed: [(Int, Double)], at now: Double) {
        for (index, share) in freed {
            var recipients: [String]
            switch settings.policy {
            case .ownStream, .paper: recipients = [inference[index].id]
            case .codeSystem: recipients = inference.map(\.id).filter { (executor.share(of: $0) ?? 0) > 0 }
            case .codeSimulator:
                recipients = inference.map(\.id) + retraining.compactMap { $0?.id }
            }
            for id in recipients {
                let updated = min(1, (executor.share(of: id) ?? 0) + share / Double(max(1, recipients.count)))
                executor.setShare(updated, for: id)
            }
        }
        for index in 0..<count { shareLog[index].append((now, executor.share(of: inference[index].id) ?? 0)) }
    }

    /// Per-frame accuracy users got, per-second series, the model's prediction, and share errors.
    func measure() throws -> (carried: [Int?], perSecond: [[Double]]) {
        var carried = carriedIn
        var perSecond: [[Double]] = []
        for index in 0..<count {
            let (correct, last) = inference[index].correctness(carryingIn: carried[index])
            carried[index] = last
            records[index].measuredAccuracy =
                correct.isEmpty ? 0 : Double(correct.filter { $0 }.count) / Double(correct.count)
            var seconds: [Double] = []
            var position = 0
            let arrivals = inference[index].arrivals
            for second in 0..<Int(settings.windowSeconds) {
                var total = 0
                var right = 0
                while position < arrivals.count, arrivals[position] < Double(second + 1) {
                    total += 1
                    if correct[position] { right += 1 }
                    position += 1
                }
                seconds.append(total > 0 ? Double(right) / Double(total) : (seconds.last ?? 0))
            }
            perSecond.append(seconds)
            // Spec §2's model on the executed plan: base(k) · φ(share(k)) over integer seconds k.
            // The models that served, with the time each took over: the window's start model, the
            // profiled model (if swapped in when profiling ended), the retrained model (if swapped in).
            var served: [(time: Double, accuracy: Double)] = [
                (0, try frameAccuracy(of: initialServing[index], index: index))
            ]
            for swap in swaps[index] {
                served.append((swap.time, try frameAccuracy(of: swap.model, index: index)))
            }
            var total = 0.0
            let samples = Int(settings.windowSeconds)
            for second in 0...samples {
                let time = Double(second)
                let share = shareLog[index].last { $0.time <= time }?.share ?? 0
                let accuracy = served.last { $0.time <= time }?.accuracy ?? served[0].accuracy
                total += accuracy * scaling.factor(share: share)
            }
            records[index].simulatedAccuracy = total / Double(samples + 1)
            var accountings = retiredAccounting[index]
            if let accounting = executor.accounting(of: inference[index].id) { accountings.append(accounting) }
            if let job = refinement[index], let accounting = executor.accounting(of: job.id) {
                accountings.append(accounting)
            }
            if let job = profiling, job.stream == index, let accounting = executor.accounting(of: job.id) {
                accountings.append(accounting)
            }
            // Achieved vs allocated share over the window (device-seconds over the window's length).
            records[index].shareError =
                accountings.map { abs($0.used - $0.allocated) / settings.windowSeconds }.max() ?? 0
        }
        return (carried, perSecond)
    }

    /// Accuracy of `model` on the window's inference frames of stream `index`.
    func frameAccuracy(of model: TorchModel, index: Int) throws -> Double {
        let frames = data[index].test
        guard !frames.isEmpty,
            let batch = ImageBatch(
                count: frames.count,
                channels: 1,
                height: CropBatch.side,
                width: CropBatch.side,
                pixels: frames.pixels
            )
        else { return 0 }
        let predictions = try model.predict(batch, batchSize: 256)
        return Double(zip(predictions, frames.labels).filter { $0.0.classIndex == $0.1 }.count) / Double(frames.count)
    }
}
