import EkyaCore
import EkyaDataML
import EkyaML

/// What the scheduler sees, and how its plans become jobs and shares.
extension WindowRun {
    /// What the scheduler may know now: predictions, finished jobs' outcomes, running jobs' progress.
    func problem(at time: Double) -> PlanningProblem {
        let configurations = settings.configurations
        let planning = streams.map { stream -> PlanningStream in
            if let job = stream.retraining, let profile = stream.profiles[job.option] {
                return PlanningStream(
                    id: stream.name,
                    currentAccuracy: stream.current,
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
                !stream.startedLayers.contains(configurations[option].layers)
                    && (!stream.finished || stream.lateOptions.contains(option))
            }
            let options = offered.compactMap { option in
                stream.profiles[option].map {
                    PlanningOption(
                        name: configurations[option].name,
                        endAccuracy: $0.predictedAccuracy,
                        cost: $0.predictedCost
                    )
                }
            }
            return PlanningStream(id: stream.name, currentAccuracy: stream.current, options: options)
        }
        return PlanningProblem(
            streams: planning,
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
        let usesIdle = settings.refinesWithIdleCapacity && scheduler.usesProfiles
        let idle = streams.indices.map { index -> ShareAllocation.IdleUse in
            let stream = streams[index]
            let decision = plan.streams[index]
            guard usesIdle else { return .none }
            if stream.retraining == nil {
                // Streams without a retraining job (none planned now, none running) can refine their serving model.
                return !stream.refinementStopped && decision.option == nil ? .refines : .none
            }
            // A running job the plan gives no share (its best epoch already serves above the job's prediction, so
            // the scheduler sees no gain left) trains on with idle capacity, like refinement, instead of stalling:
            // while it runs, its stream cannot refine.
            return decision.option == nil || decision.training <= 0 ? .continuesRetraining : .none
        }
        try startNextProfiling()
        let allocation = ShareAllocation.allocate(
            plan.streams.map {
                ShareAllocation.Planned(inference: $0.inference, training: $0.training, retrains: $0.option != nil)
            },
            idle: idle,
            capacity: capacity.total,
            profiling: profiling != nil,
            fullRate: scaling.saturationShare,
            headroom: settings.fullRateHeadroom
        )
        if let job = profiling { executor.setShare(allocation.profiling, for: job.id) }
        for index in streams.indices {
            let decision = plan.streams[index]
            let shares = allocation.streams[index]
            executor.setShare(shares.inference, for: streams[index].inference.id)
            streams[index].shareLog.append((time, shares.inference))
            if idle[index] == .refines {
                try refine(index, share: shares.refinement)
            } else {
                stopRefining(index)
            }
            if let job = streams[index].retraining {
                executor.setShare(shares.training, for: job.id)
            } else if let choice = decision.option, decision.training > 0 {
                let name = problem.streams[index].options[choice].name
                guard let option = configurations.firstIndex(where: { $0.name == name }) else { continue }
                try startRetraining(index, option: option, share: shares.training)
            }
        }
    }

    /// Starts stream `index`'s retraining job for configuration `option` at `share`.
    func startRetraining(_ index: Int, option: Int, share: Double) throws {
        let configuration = settings.configurations[option]
        let stream = streams[index]
        // From the serving model (continuous learning retrains the current model), or from the window's
        // starting model, which the micro-profiler's predictions are about.
        let start = settings.retrainsServingModel ? stream.serving : stream.initialServing
        let job = RetrainingJob(
            id: "train-\(stream.name)",
            stream: index,
            option: option,
            configuration: configuration,
            job: try TrainingJob(
                model: try context.copy(try start.snapshot()),
                dataset: stream.dataset,
                plan: settings.trainingPlan(
                    configuration,
                    epochs: configuration.epochs,
                    fraction: configuration.dataFraction,
                    seed: seed
                )
            ),
            meter: settings.meter
        )
        streams[index].retraining = job
        streams[index].startedLayers.insert(configuration.layers)
        streams[index].servedEpoch = nil
        executor.add(job, share: share)
        streams[index].record.configuration = configuration.name
        streams[index].record.retrainedFromAccuracy =
            settings.retrainsServingModel ? stream.current : stream.record.startAccuracy
        let profile = scheduler.usesProfiles ? stream.profiles[option] : nil
        streams[index].record.predictedEndAccuracy = profile?.predictedAccuracy
        streams[index].record.predictedCost = profile?.predictedCost
    }

    /// Gives stream `index`'s refinement job `share`, starting it from the serving model if none runs.
    func refine(_ index: Int, share: Double) throws {
        if let job = streams[index].refinement {
            executor.setShare(share, for: job.id)
            return
        }
        guard share > 0 else { return }
        // The head (all layers often lose accuracy in their first epochs; measured equal over 4 seeds), the
        // window's labelled data, the same validation split, epochs until the window ends.
        let configuration = RetrainingConfiguration(name: "refine", epochs: 1_000, layers: .headOnly)
        let job = RetrainingJob(
            id: "refine-\(streams[index].name)",
            stream: index,
            option: -1,
            configuration: configuration,
            job: try TrainingJob(
                model: try context.copy(try streams[index].serving.snapshot()),
                dataset: streams[index].dataset,
                plan: settings.trainingPlan(configuration, epochs: configuration.epochs, fraction: 1, seed: seed)
            ),
            meter: settings.meter
        )
        streams[index].refinement = job
        executor.add(job, share: share)
    }

    /// Stops stream `index`'s refinement job, if any (its accounting is kept for the share report).
    func stopRefining(_ index: Int) {
        guard let job = streams[index].refinement else { return }
        retire(job.id, of: index)
        streams[index].refinement = nil
    }

    /// The non-`paper` re-allocation policies of spec §2.
    func redistribute(_ freed: [(Int, Double)], at now: Double) {
        let inference = streams.map(\.inference.id)
        for (index, share) in freed {
            var recipients: [String]
            switch settings.policy {
            case .ownStream, .paper: recipients = [inference[index]]
            case .codeSystem: recipients = inference.filter { (executor.share(of: $0) ?? 0) > 0 }
            case .codeSimulator: recipients = inference + streams.compactMap { $0.retraining?.id }
            }
            for id in recipients {
                let updated = min(1, (executor.share(of: id) ?? 0) + share / Double(max(1, recipients.count)))
                executor.setShare(updated, for: id)
            }
        }
        for index in streams.indices {
            streams[index].shareLog.append((now, executor.share(of: streams[index].inference.id) ?? 0))
        }
    }
}
