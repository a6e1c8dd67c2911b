import EkyaCore
import EkyaDataML
import EkyaML

/// Completions, validated swaps and re-allocation after each executor step.
extension WindowRun {
    /// Handles completions (validate, swap or refuse), re-allocation and the progress display.
    func afterTick(_ now: Double, progress: (String) -> Void) throws {
        try harvestEpochs(now, progress: progress)
        try harvestRefinements(now, progress: progress)
        var freed: [(Int, Double)] = []
        for index in streams.indices {
            guard let job = streams[index].retraining, !job.hasWork(at: now) else { continue }
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
            progress("  t=\(Int(now))s " + streams.indices.map(statusLine).joined(separator: " | "))
        }
    }

    /// Stream `index`'s shares and jobs, for the progress display.
    func statusLine(_ index: Int) -> String {
        let stream = streams[index]
        let share = executor.share(of: stream.inference.id) ?? 0
        let training =
            stream.retraining.map {
                " train \(TextFormat.fixed2(executor.share(of: $0.id) ?? 0)) \($0.configuration.name) "
                    + "\(Int($0.progress * 100))%"
            } ?? ""
        let refining =
            stream.refinement.map {
                " refine \(TextFormat.fixed2(executor.share(of: $0.id) ?? 0)) epoch \(Int($0.progress * Double($0.job.plan.epochs)))"
            } ?? ""
        let profilingNow =
            profiling.flatMap {
                $0.stream == index ? " profile \(TextFormat.fixed2(executor.share(of: $0.id) ?? 0))" : nil
            } ?? ""
        return "\(stream.name) inf \(TextFormat.fixed2(share))\(training)\(refining)\(profilingNow)"
    }

    /// Swaps in each running retraining job's best epoch so far when it validated above the serving model.
    ///
    /// The job trains on; when it finishes, its best epoch is the retrained model (already serving, or
    /// swapped in then if a later epoch validated better still).
    func harvestEpochs(_ now: Double, progress: (String) -> Void) throws {
        guard settings.servesImprovedEpochs, scheduler.usesProfiles else { return }
        for index in streams.indices {
            guard let job = streams[index].retraining, job.failure == nil, job.hasWork(at: now),
                let accuracy = try serveBestEpoch(
                    of: job.job,
                    index,
                    what: "\(job.configuration.name)'s best epoch so far",
                    at: now,
                    progress: progress
                )
            else { continue }
            streams[index].record.epochSwapTimes.append(now)
            streams[index].servedEpoch = (now, accuracy)
        }
    }

    /// Swaps in each refinement job's best epoch when it validated above the serving model.
    func harvestRefinements(_ now: Double, progress: (String) -> Void) throws {
        for index in streams.indices {
            guard let job = streams[index].refinement else { continue }
            if let failure = job.failure {
                stopRefining(index)
                streams[index].refinementStopped = true
                progress("  \(streams[index].name): refinement failed (\(failure)); inference keeps the old model")
                continue
            }
            if try serveBestEpoch(of: job.job, index, what: "a refined model", at: now, progress: progress) != nil {
                streams[index].record.refinedSwapTimes.append(now)
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
        let current = streams[index].current
        guard let accuracy = job.bestValidationAccuracy, accuracy > current, let snapshot = job.bestSnapshot
        else { return nil }
        serve(try context.copy(snapshot), index, what: what, from: current, to: accuracy, at: now, progress: progress)
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
        streams[index].inference.swap(to: model)
        // Whatever served from a running job's epochs is replaced now (an epoch swap records itself after this).
        streams[index].servedEpoch = nil
        progress(
            "  t=\(Int(now))s \(streams[index].name): swapped in \(what) "
                + "(validation \(TextFormat.percent(before)) → \(TextFormat.percent(accuracy)))"
        )
        streams[index].serving = model
        streams[index].current = accuracy
        streams[index].swaps.append((now, model))
    }

    /// When its profiling ends, serves stream `index`'s best profiled model if it validated above the serving one.
    ///
    /// The swap does not pause inference. The scheduler then plans against the profiled model's accuracy,
    /// and a retraining job that finishes later must beat it to be swapped in.
    func swapInProfiledModel(_ index: Int, at now: Double, progress: (String) -> Void) {
        guard let profiled = streams[index].profiledModel, profiled.accuracy > streams[index].current else { return }
        serve(
            profiled.model,
            index,
            what: "the profiled model",
            from: streams[index].current,
            to: profiled.accuracy,
            at: now,
            progress: progress
        )
        streams[index].record.profileSwapTime = now
        streams[index].record.profiledAccuracy = profiled.accuracy
    }

    /// A finished (or failed) retraining job: validate against the serving model, swap only if better.
    func complete(_ job: RetrainingJob, index: Int, at now: Double, progress: (String) -> Void) throws {
        retire(job.id, of: index)
        streams[index].retraining = nil
        streams[index].finished = true
        streams[index].record.realisedCost = job.deviceTime
        let name = streams[index].name
        if let failure = job.failure {
            streams[index].record.failure = failure
            progress("  \(name): retraining failed (\(failure)); inference keeps the old model")
            return
        }
        let accuracy = try job.job.finish() ?? 0
        let before = try streams[index].serving.accuracy(
            on: streams[index].dataset,
            indices: streams[index].validation
        )
        streams[index].record.realisedEndAccuracy = accuracy
        let profile = streams[index].profiles[job.option]
        outcomes.append(
            RealisedOutcome(
                stream: name,
                window: window,
                configuration: job.configuration.name,
                predicted: RetrainingOutcome(
                    endAccuracy: profile?.predictedAccuracy ?? streams[index].current,
                    gpuSeconds: profile?.predictedCost ?? 0
                ),
                actual: RetrainingOutcome(endAccuracy: accuracy, gpuSeconds: job.deviceTime)
            )
        )
        switch SwapDecision.decide(finished: accuracy, servedEpoch: streams[index].servedEpoch, serving: before) {
        case .keepServedEpoch(let since):
            // The job's best epoch has served since then: that is the retrained model's swap.
            streams[index].record.swapTime = since
            stopRefining(index)
        case .swap:
            serve(
                job.job.model,
                index,
                what: job.configuration.name,
                from: before,
                to: accuracy,
                at: now,
                progress: progress
            )
            streams[index].record.swapTime = now
            // A running refinement refines the model this one replaced; the next plan restarts it from this one.
            stopRefining(index)
        case .refuse:
            streams[index].record.refusedSwap = true
            progress(
                "  t=\(Int(now))s \(name): refused \(job.configuration.name) "
                    + "(validation \(TextFormat.percent(accuracy)) ≤ \(TextFormat.percent(before)))"
            )
        }
    }
}
