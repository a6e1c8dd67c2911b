import EkyaCore
import EkyaData
import EkyaDataML
import EkyaML

/// Labelling and micro-profiling: before the plan, and in the background after it.
extension WindowRun {
    /// Labels each stream's window sample with the teacher and makes the streams' states; returns the
    /// labelling cost in device-seconds.
    func label() throws -> Double {
        var cost = 0.0
        streams = []
        for (index, input) in inputs.enumerated() {
            let stream = input.data
            let labels: [Int]
            switch settings.teacher {
            case .groundTruth:
                let labeler = try GroundTruthLabeler(
                    errorRate: settings.labelErrorRate,
                    classCount: context.classCount,
                    seed: seed &+ UInt64(index)
                )
                let (labeling, deviceSeconds) = settings.meter.charge(.none) { labeler.label(stream.train) }
                // A video camera's labels are its detector's, whose measured compute the window pays for.
                cost +=
                    max(labeling.computeTime.inSeconds * settings.slowdown, deviceSeconds)
                    + stream.teacherSeconds * settings.slowdown
                labels = labeling.labels
            case .model:
                guard let teacher = context.teacherModel else {
                    throw RuntimeError.invalidSettings("the model teacher was chosen but no teacher model is loaded")
                }
                let (predicted, deviceSeconds) = try settings.meter.charge(
                    ComputeWork(teacherImages: stream.train.count)
                ) { try CropModels.predict(teacher, stream.train) }
                cost += deviceSeconds
                labels = predicted
            }
            let name = context.names[index]
            let labelAccuracy = Labeling(labels: labels, computeTime: .zero).accuracy(against: stream.train.labels)
            streams.append(
                StreamState(
                    name: name,
                    data: stream,
                    initialServing: input.serving,
                    active: input.active,
                    dataset: try CropModels.dataset(stream.train, labels: labels),
                    inference: InferenceJob(
                        id: "infer-\(name)",
                        model: input.serving,
                        frames: stream.test,
                        windowStart: stream.start,
                        meter: settings.meter,
                        resolution: nil
                    ),
                    serving: input.serving,
                    record: LiveStreamRecord(
                        stream: name,
                        window: window,
                        startAccuracy: 0,
                        measuredAccuracy: 0,
                        simulatedAccuracy: 0,
                        refusedSwap: false,
                        labelAccuracy: labelAccuracy,
                        initialInferenceShare: 0,
                        initialTrainingShare: 0,
                        shareError: 0
                    )
                )
            )
        }
        return cost
    }

    var profiler: MicroProfiler {
        MicroProfiler(settings: settings, predictors: [predictor], copy: { [context] in try context.copy($0) })
    }

    /// Measures start accuracy and micro-profiles every configuration (Ekya §4).
    func profile() throws -> (profiling: Double, exhaustive: Double) {
        for index in streams.indices {
            let probe = try TrainingJob(
                model: try context.copy(try streams[index].serving.snapshot()),
                dataset: streams[index].dataset,
                plan: settings.trainingPlan(settings.configurations[0], epochs: 1, fraction: 1, seed: seed)
            )
            streams[index].validation = probe.validationIndices
            streams[index].current = try streams[index].serving.accuracy(
                on: streams[index].dataset,
                indices: probe.validationIndices
            )
        }
        guard scheduler.usesProfiles else {
            // A fixed baseline knows its configuration already: nothing to profile, nothing to charge.
            // (An unknown gain, just above the current accuracy, keeps every option on offer.)
            for index in streams.indices {
                let a0 = streams[index].current
                streams[index].profiles = settings.configurations.map { _ in
                    Profile(predictedAccuracy: a0.nextUp, predictedCost: 1)
                }
            }
            return (0, 0)
        }
        let profiler = self.profiler
        var profilingCost = 0.0
        var exhaustiveCost = 0.0
        // Staged: only the head (the cheapest runs) before the plan; the other groups run in the background.
        let configurations = settings.configurations
        let head = Set(configurations.indices.filter { configurations[$0].layers == .headOnly })
        let staged = settings.profilesInBackground && !head.isEmpty
        // The least accurate streams first: their profiled models, which serve as soon as their own profiling
        // ends, are likely to gain the most.
        let order = streams.indices.sorted(by: { (streams[$0].current, $0) < (streams[$1].current, $1) })
        for index in order {
            let a0 = streams[index].current
            let profiled = try profiler.profile(
                model: streams[index].serving,
                dataset: streams[index].dataset,
                startAccuracy: a0,
                seed: seed,
                active: staged ? streams[index].active.intersection(head) : streams[index].active
            )
            profilingCost += profiled.cost
            streams[index].profiledAt = profilingCost
            exhaustiveCost += profiled.estimates.compactMap { $0?.predictedCost }.reduce(0, +)
            if settings.servesProfiledModels { streams[index].profiledModel = profiled.bestModel }
            streams[index].profiles = profiled.estimates.map {
                $0.map {
                    Profile(predictedAccuracy: $0.predictedAccuracy.first ?? a0, predictedCost: $0.predictedCost)
                }
            }
        }
        if staged {
            for index in order {
                var rest = streams[index].active.subtracting(head)
                while let first = rest.min() {
                    let group = profiler.runGroup(of: first, active: rest, images: streams[index].dataset.count)
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
        let stream = streams[index]
        let configuration = settings.configurations[first]
        let fraction = settings.profilingFraction(for: configuration, images: stream.dataset.count)
        let job = ProfilingJob(
            id: "profile-\(stream.name)",
            stream: index,
            group: group,
            fraction: fraction,
            job: try TrainingJob(
                model: try context.copy(try stream.initialServing.snapshot()),
                dataset: stream.dataset,
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
        retire(job.id, of: index)
        profiling = nil
        backgroundProfilingCost += job.deviceTime
        let name = streams[index].name
        if let failure = job.failure {
            progress("  \(name): background profiling failed (\(failure)); its configurations are not offered")
            return
        }
        let accuracy = try job.job.finish()
        let startAccuracy = streams[index].record.startAccuracy
        let estimates = try profiler.estimates(
            group: job.group,
            model: job.job.model,
            dataset: streams[index].dataset,
            fraction: job.fraction,
            observed: job.observed,
            stepSeconds: job.stepSeconds,
            deviceSeconds: job.deviceTime,
            startAccuracy: startAccuracy,
            seed: seed
        )
        for (option, estimate) in estimates {
            streams[index].profiles[option] = Profile(
                predictedAccuracy: estimate.predictedAccuracy.first ?? startAccuracy,
                predictedCost: estimate.predictedCost
            )
            backgroundExhaustiveCost += estimate.predictedCost
            streams[index].lateOptions.insert(option)
        }
        progress(
            "  t=\(Int(now))s \(name): profiled \(job.group.map { settings.configurations[$0].name }.joined(separator: ",")) "
                + "in the background (\(TextFormat.fixed2(job.deviceTime)) device-s)"
        )
        if settings.servesProfiledModels, let accuracy, accuracy > streams[index].current {
            streams[index].profiledModel = (job.job.model, accuracy)
            swapInProfiledModel(index, at: now, progress: progress)
        }
    }

    /// Removes job `id` of stream `index` from the executor, keeping its accounting for the share report.
    func retire(_ id: String, of index: Int) {
        if let accounting = executor.accounting(of: id) { streams[index].retiredAccounting.append(accounting) }
        executor.remove(id: id)
    }
}
