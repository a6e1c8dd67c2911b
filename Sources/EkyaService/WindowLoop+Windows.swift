import EkyaCore
import EkyaData
import EkyaDataML
import EkyaFleet
import EkyaML
import EkyaRuntime
import EkyaStore
import Foundation
import Logging
import Synchronization

/// A window's run and its durable record: models first, then one transaction; retention of model versions.
extension WindowLoop {
    func saveModel(
        _ model: TorchModel,
        stream: String,
        window: Int?,
        configuration: String?,
        accuracy: Double?
    )
        throws -> ModelVersionRecord
    {
        try persisting {
            try writeModel(model, stream: stream, window: window, configuration: configuration, accuracy: accuracy)
        }
    }

    func writeModel(
        _ model: TorchModel,
        stream: String,
        window: Int?,
        configuration: String?,
        accuracy: Double?
    )
        throws -> ModelVersionRecord
    {
        let version = try store.nextModelVersion(stream: stream)
        let now = Date()
        try models.write(
            ModelMetadata(
                stream: stream,
                version: version,
                createdAt: now,
                window: window,
                configuration: configuration,
                validationAccuracy: accuracy
            )
        ) { path in try model.saveCheckpoint(to: path) }
        if let fleet {
            // The fleet's copy: whichever node takes the stream next continues from this version.
            let bytes = try Data(contentsOf: URL(fileURLWithPath: models.modelPath(stream: stream, version: version)))
            try fleet.store.putModelFile(stream: stream, version: version, bytes: [UInt8](bytes))
        }
        return ModelVersionRecord(
            stream: stream,
            version: version,
            createdAt: now,
            window: window,
            configuration: configuration,
            validationAccuracy: accuracy,
            path: models.relativePath(stream: stream, version: version)
        )
    }

    func runWindow(_ session: RuntimeSession, scheduler: any Scheduler) throws {
        let ids = session.streams.map(\.id)
        let window = try persisting {
            try store.beginWindow(
                WindowRecord(
                    runId: runID,
                    number: try store.nextWindowNumber(),
                    status: .running,
                    scheduler: scheduler.name,
                    streams: ids.joined(separator: ","),
                    startedAt: Date(),
                    windowSeconds: configuration.windowSeconds
                )
            )
        }
        // The store numbers the window (in a fleet, nodes beginning windows together get distinct numbers).
        let number = window.number
        state.update {
            $0.phase = .window
            $0.window = number
            $0.live = nil
            $0.lastProgress = ContinuousClock.now
        }
        metrics.windowStarted(number)
        let clock = ContinuousClock()
        let started = clock.now
        let result: SessionWindowResult
        do {
            result = try session.runWindow(
                number,
                scheduler: scheduler,
                predictor: configuration.features.predictor.predictor,
                shouldStop: {
                    // Polled at every executor tick: the heartbeat of the stall detector.
                    self.state.update { $0.lastProgress = ContinuousClock.now }
                    return self.stopping
                },
                observe: { status in
                    self.state.update { $0.live = status }
                    self.metrics.observe(status)
                },
                progress: { line in
                    self.state.update { $0.lastProgress = ContinuousClock.now }
                    self.logger.debug("\(line)")
                }
            )
        } catch RuntimeSessionError.stopped {
            try persisting {
                try store.end(
                    windowID: window.id ?? -1,
                    status: .interrupted,
                    note: "interrupted: graceful shutdown at a step boundary"
                )
            }
            metrics.windowEnded(status: .interrupted)
            logger.info("window interrupted by shutdown", metadata: ["window": "\(number)"])
            return
        } catch {
            try persisting { try store.end(windowID: window.id ?? -1, status: .failed, note: "failed: \(error)") }
            metrics.windowEnded(status: .failed)
            logger.error("window failed", metadata: ["window": "\(number)", "error": "\(error)"])
            state.update { $0.lastError = "window \(number): \(error)" }
            idle(seconds: 5)
            return
        }
        // Models first (atomic directories), then one transaction that makes them serve. If either fails, the
        // versions recorded as serving stay the committed ones (the swapped models serve on from memory).
        let committedVersions = servingVersions
        do {
            try persisting {
                try persist(result, window: window, number: number, ids: ids, started: started, clock: clock)
            }
        } catch {
            servingVersions = committedVersions
            let note = "not persisted: \(error)"
            do {
                try store.end(windowID: window.id ?? -1, status: .failed, note: note)
            } catch {
                unclosedWindows.append((window.id ?? -1, note))
            }
            metrics.windowEnded(status: .failed)
            throw error
        }
    }

    /// Writes a finished window: its accepted models, then one transaction with its records.
    func persist(
        _ result: SessionWindowResult,
        window: WindowRecord,
        number: Int,
        ids: [String],
        started: ContinuousClock.Instant,
        clock: ContinuousClock
    ) throws {
        if let fleet {
            // Fencing: results are written only for streams whose lease this node still holds (just renewed, so
            // held well past the commit); a window in which one was taken over is not committed (the next rebalance drops that stream).
            let held = try fleet.renew()
            if let lost = Set(ids).subtracting(held).sorted().first {
                throw StoreError.conflict("the lease of stream '\(lost)' was lost during the window; not committed")
            }
        }
        var window = window
        var accepted: [ModelVersionRecord] = []
        for (index, record) in result.record.streams.enumerated() {
            guard let model = result.swapped[ids[index]] else { continue }
            let saved = try saveModel(
                model,
                stream: ids[index],
                window: number,
                configuration: record.configuration,
                accuracy: record.realisedEndAccuracy
            )
            accepted.append(saved)
            servingVersions[ids[index]] = saved.version
        }
        let windowID = window.id ?? -1
        window.endedAt = Date()
        window.wallSeconds = started.duration(to: clock.now).inSeconds
        window.delay = result.record.delay
        window.profilingCost = result.record.profilingCost
        window.labellingCost = result.record.labellingCost
        window.exhaustiveCost = result.record.exhaustiveCost
        window.decisionMilliseconds = result.record.decisionMilliseconds
        window.utilisation = result.utilisation
        let streams = result.record.streams.enumerated().map { index, record in
            StreamWindowRecord(
                windowId: windowID,
                stream: ids[index],
                startAccuracy: record.startAccuracy,
                measuredAccuracy: record.measuredAccuracy,
                simulatedAccuracy: record.simulatedAccuracy,
                configuration: record.configuration,
                predictedEndAccuracy: record.predictedEndAccuracy,
                realisedEndAccuracy: record.realisedEndAccuracy,
                predictedCost: record.predictedCost,
                realisedCost: record.realisedCost,
                swapTime: record.lastSwapTime,
                refusedSwap: record.refusedSwap,
                failure: record.failure,
                shareError: record.shareError,
                modelVersion: servingVersions[ids[index]],
                timeline: Self.timeline(result.perSecond[index]),
                labelAccuracy: record.labelAccuracy
            )
        }
        let plans = result.record.streams.enumerated().map { index, record in
            PlanRecord(
                windowId: windowID,
                stream: ids[index],
                inferenceShare: record.initialInferenceShare,
                trainingShare: record.initialTrainingShare,
                configuration: record.configuration
            )
        }
        let profiling = result.profiles.enumerated().flatMap { index, profiles in
            profiles.map {
                ProfilingRecord(
                    windowId: windowID,
                    stream: ids[index],
                    configuration: $0.configuration,
                    predictedAccuracy: $0.accuracy,
                    predictedCost: $0.cost
                )
            }
        }
        let completion = WindowCompletion(
            window: window,
            streams: streams,
            plans: plans,
            profiling: profiling,
            acceptedModels: accepted
        )
        try store.complete(completion)
        metrics.record(completion)
        do {
            try applyRetention(streams: ids)
        } catch {
            // The window is committed; directories left now are removed by the sweep at the next start.
            logger.warning("retention could not remove old model versions", metadata: ["error": "\(error)"])
        }
        state.update {
            $0.lastCompletedWindow = number
            $0.window = nil
        }
        let summary = streams.map { "\($0.stream) \(Int(($0.measuredAccuracy * 1000).rounded()) / 10)%" }
        logger.info(
            "window \(number) completed: \(summary.joined(separator: ", "))",
            metadata: ["swaps": "\(accepted.map(\.stream))", "wall_s": "\(Int(window.wallSeconds ?? 0))"]
        )
    }

    func closeUnclosedWindows() throws {
        while let window = unclosedWindows.first {
            try persisting { try store.end(windowID: window.id, status: .failed, note: window.note) }
            unclosedWindows.removeFirst()
        }
    }

    /// Keeps the newest `keepModelVersions` versions per stream on disk: the database marks the others
    /// pruned first, then their directories go (a crash in between leaves directories the start-up sweep
    /// removes).
    func applyRetention(streams: [String]) throws {
        for stream in streams {
            for version in try store.pruneModelVersions(stream: stream, keep: configuration.keepModelVersions) {
                try models.remove(stream: stream, version: version)
            }
        }
    }

    /// Removes version directories the database does not keep (pruned, or written before a crash and never
    /// committed); returns how many.
    func sweepModelStore() throws -> Int {
        var removed = 0
        for stream in models.streams() {
            for version in models.versions(stream: stream) where try !store.keeps(stream: stream, version: version) {
                try models.remove(stream: stream, version: version)
                removed += 1
            }
        }
        return removed
    }
}
