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

/// The service's window loop: recovery, stream changes at window boundaries, windows, durable records.
///
/// Synchronous (libtorch work stays on one thread); ``RuntimeService`` runs
/// it on a dedicated thread so the HTTP server stays responsive.
///
/// Durability: a window is recorded `running` before its work starts; at its end the accepted models are
/// written to the model store (atomically) and then the window's results and the new serving versions are
/// committed in one transaction. A process killed at any moment therefore restarts with every stream on its
/// last committed model, and the window it was in is marked interrupted by ``ServiceStore/recover(now:)``.
public final class WindowLoop: @unchecked Sendable {
    // @unchecked: the mutable state (session, versions) is touched only by the loop's own thread; the stop
    // flag is atomic; the store, state and metrics are Sendable.
    let configuration: ServiceConfiguration
    let store: any ServiceStoring
    let models: ModelStore
    let state: ServiceState
    let metrics: ServiceMetrics
    let logger: Logger
    /// Opens video cameras' recordings (streams with a `source`).
    let videoStreams: VideoStreamMaker?
    /// Live cameras' ingest, stopped when their stream is removed or the loop ends.
    let liveSources: LiveSources?
    /// This node's membership of a fleet (a PostgreSQL store shared by several servers); nil: the server runs
    /// every stream of its store.
    let fleet: FleetMembership?
    private let stopFlag = Atomic<Bool>(false)
    private var servingVersions: [String: Int] = [:]
    /// Windows that failed while the store was unreachable, to be closed once it answers again (else they would
    /// stay `running` until the next start's recovery).
    private var unclosedWindows: [(id: Int64, note: String)] = []
    private var runID: Int64 = 0

    public init(
        configuration: ServiceConfiguration,
        store: any ServiceStoring,
        models: ModelStore,
        state: ServiceState,
        metrics: ServiceMetrics,
        logger: Logger,
        videoStreams: VideoStreamMaker? = nil,
        liveSources: LiveSources? = nil,
        fleet: FleetMembership? = nil
    ) {
        self.fleet = fleet
        self.videoStreams = videoStreams
        self.liveSources = liveSources
        self.configuration = configuration
        self.store = store
        self.models = models
        self.state = state
        self.metrics = metrics
        self.logger = logger
        state.update { $0.stallSeconds = configuration.stallSeconds }
    }

    /// Asks the loop to stop at the next executor step (the window in progress is recorded as interrupted).
    public func requestStop() {
        stopFlag.store(true, ordering: .sequentiallyConsistent)
    }

    var stopping: Bool { stopFlag.load(ordering: .sequentiallyConsistent) }

    /// A write (or read) of the database or the model store failed: the service degrades and retries, where
    /// any other error is the window's or the command's own.
    struct PersistenceFailure: Error, CustomStringConvertible {
        var underlying: any Error
        var description: String { "\(underlying)" }
    }

    /// Runs a database or model-store operation; its errors become ``PersistenceFailure``.
    func persisting<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let failure as PersistenceFailure {
            throw failure
        } catch {
            throw PersistenceFailure(underlying: error)
        }
    }

    /// Back-off between attempts while persistence fails.
    static let firstRetrySeconds = 2.0
    static let lastRetrySeconds = 60.0

    /// Runs until ``requestStop()``.
    public func run() throws {
        // Start-up writes too (recovery marks, the run record): on a full or read-only disk the API already
        // answers, reports the fault, and start-up is retried until the disk accepts writes again.
        var retryDelay = Self.firstRetrySeconds
        var started: Int64?
        while started == nil {
            do {
                started = try start()
            } catch let collision as FleetMembership.NodeIDInUse {
                throw collision
            } catch {
                guard !stopping else { return }
                reportStorageFault(error, retryIn: retryDelay)
                idle(seconds: retryDelay)
                retryDelay = min(Self.lastRetrySeconds, retryDelay * 2)
            }
        }
        guard let run = started else { return }
        clearStorageFault()
        runID = run
        fleet?.startHeartbeat()
        do {
            try loop()
            do {
                try store.endRun(id: run, status: .stopped)
            } catch {
                // The next start marks an unfinished run as crashed; nothing else is lost.
                logger.warning("cannot record the end of the run", metadata: ["error": "\(error)"])
            }
            fleet?.leave()
        } catch {
            try? store.endRun(id: run, status: .failed)
            fleet?.leave()
            throw error
        }
        state.update { $0.phase = .stopped }
    }

    /// Recovers from an unclean stop and records the run; returns its id.
    private func start() throws -> Int64 {
        try fleet?.join()
        let recovery = try store.recover()
        let removed = models.removeTemporaries() + (try sweepModelStore())
        if !recovery.interruptedWindows.isEmpty || removed > 0 {
            logger.notice(
                "recovered after an unclean stop",
                metadata: [
                    "interrupted_windows": "\(recovery.interruptedWindows)",
                    "uncommitted_model_dirs_removed": "\(removed)",
                ]
            )
        }
        state.update { $0.interruptedAtStart = recovery.interruptedWindows }
        return try store.beginRun(configuration: configuration.summaryJSON)
    }

    /// The database or the model store refused a write: report it, the models in memory serve on.
    private func reportStorageFault(_ error: any Error, retryIn seconds: Double) {
        let message = "\(error)"
        state.update {
            $0.storageFault = message
            $0.lastError = message
            $0.phase = .degraded
        }
        metrics.storageFault(true)
        logger.error(
            "persistence failed; serving on with the models in memory",
            metadata: ["error": "\(message)", "retry_s": "\(Int(seconds))"]
        )
    }

    private func clearStorageFault() {
        guard state.snapshot.storageFault != nil else { return }
        state.update { $0.storageFault = nil }
        metrics.storageFault(false)
        logger.notice("persistence works again")
    }

    private func loop() throws {
        state.update { $0.phase = .loading }
        let pool = try FashionMNIST.loadAll(from: configuration.fashionMNISTDirectory)
        let session = try RuntimeSession(
            settings: configuration.runtimeSettings,
            pool: pool,
            cycle: configuration.cycle
        )
        session.videoStreams = videoStreams
        let scheduler = try SchedulerSpec.make(configuration.scheduler)
        if configuration.teacher == .model {
            state.update { $0.phase = .loadingTeacher }
            do {
                session.teacherModel = try ModelTeacher.trainedModel(
                    trainingPool: try FashionMNIST.load(.train, from: configuration.fashionMNISTDirectory),
                    cacheDirectory: configuration.teacherCache ?? ModelTeacher.defaultCacheDirectory,
                    log: { line in self.logger.info("\(line)") }
                )
            } catch {
                throw ServiceError.invalidConfiguration("cannot load or train the model teacher: \(error)")
            }
        }
        if fleet == nil { try restoreStreams(session) }
        if try store.streams(includeRemoved: true).isEmpty {
            for spec in configuration.streams {
                do {
                    try store.requestAdd(
                        id: spec.id,
                        scenario: spec.scenario.rawValue,
                        seed: Int64(spec.seed),
                        source: spec.source
                    )
                } catch StoreError.conflict(_) where fleet != nil {
                    // Another node of the fleet seeded it first.
                }
            }
        }
        var retryDelay = Self.firstRetrySeconds
        while !stopping {
            if let fleet, fleet.isDisplaced { throw FleetMembership.NodeIDTaken(node: fleet.node) }
            do {
                if let fleet { try rebalance(session, fleet) }
                try applyCommands(session)
                try closeUnclosedWindows()
                metrics.streams(session.streams.count)
                guard !session.streams.isEmpty, !stopping else {
                    state.update { $0.phase = .idle }
                    idle(seconds: 0.5)
                    continue
                }
                try runWindow(session, scheduler: scheduler)
                // A node's capacity in the fleet: the measured inference cost of a stream at the full frame rate.
                try persisting { try fleet?.report(inferenceCost: session.frameCost * configuration.cropsPerSecond) }
                clearStorageFault()
                retryDelay = Self.firstRetrySeconds
            } catch let failure as PersistenceFailure {
                // The database or the model store refused a write (read-only, full, gone): what was committed
                // stays, the models in memory keep serving, and the next window tries again, later each time.
                reportStorageFault(failure.underlying, retryIn: retryDelay)
                idle(seconds: retryDelay)
                retryDelay = min(Self.lastRetrySeconds, retryDelay * 2)
                continue
            } catch {
                // Not a storage fault (a stream that cannot be restored or added, a runtime error): reported as
                // the last error; the loop goes on with the next window after the same back-off.
                state.update { $0.lastError = "\(error)" }
                logger.error("window loop error", metadata: ["error": "\(error)", "retry_s": "\(Int(retryDelay))"])
                idle(seconds: retryDelay)
                retryDelay = min(Self.lastRetrySeconds, retryDelay * 2)
                continue
            }
            if !stopping {
                state.update { $0.phase = .idle }
                idle(seconds: configuration.pauseSeconds)
            }
        }
        state.update { $0.phase = .stopping }
    }

    /// Streams that were serving before the restart serve their last accepted model again.
    private func restoreStreams(_ session: RuntimeSession) throws {
        for stream in try store.streams() where stream.status == .active || stream.status == .removing {
            try adopt(stream, session)
        }
    }

    /// Starts serving a stream that was serving before (here, or on another node of the fleet) from its serving
    /// model version; retrains a starting model only when that version cannot be loaded.
    private func adopt(_ stream: StreamRecord, _ session: RuntimeSession) throws {
        guard let scenario = ScenarioPreset(rawValue: stream.scenario) else { return }
        let spec = StreamSpec(id: stream.id, scenario: scenario, seed: UInt64(stream.seed), source: stream.source)
        var model: TorchModel?
        if let version = stream.servingVersion {
            do {
                try fetchFromFleet(stream: stream.id, version: version)
                model = try session.loadModel(contentsOf: models.modelPath(stream: stream.id, version: version))
                servingVersions[stream.id] = version
            } catch let failure as PersistenceFailure {
                throw failure
            } catch {
                logger.error(
                    "cannot load the serving model; retraining a starting model",
                    metadata: ["stream": "\(stream.id)", "version": "\(version)", "error": "\(error)"]
                )
            }
        }
        if let model {
            try session.add(spec, serving: model)
        } else {
            state.update { $0.phase = .training(stream: stream.id) }
            let trained = try session.trainStartingModel(spec)
            let record = try saveModel(trained, stream: stream.id, window: nil, configuration: nil, accuracy: nil)
            try store.activate(stream: stream.id, model: record, window: try store.nextWindowNumber(), command: nil)
            try session.add(spec, serving: trained)
        }
        metrics.register(stream: stream.id)
    }

    /// In a fleet the database's copy of a model version is the authoritative one: it replaces the local copy.
    private func fetchFromFleet(stream: String, version: Int) throws {
        guard let fleet, let bytes = try persisting({ try fleet.store.modelFile(stream: stream, version: version) })
        else { return }
        let record = try persisting { try store.modelVersion(stream: stream, version: version) }
        try persisting {
            try models.write(
                ModelMetadata(
                    stream: stream,
                    version: version,
                    createdAt: record?.createdAt ?? Date(),
                    window: record?.window,
                    configuration: record?.configuration,
                    validationAccuracy: record?.validationAccuracy
                )
            ) { path in try Data(bytes).write(to: URL(fileURLWithPath: path)) }
        }
    }

    /// At a window boundary: drops streams whose lease was lost, hands over those the assignment moves, and
    /// takes free streams assigned here (from their newest model version).
    private func rebalance(_ session: RuntimeSession, _ fleet: FleetMembership) throws {
        let (moves, snapshot) = try persisting { try fleet.plan() }
        let held = fleet.streams
        for stream in session.streams.map(\.id) where !held.contains(stream) {
            try session.remove(stream)
            servingVersions[stream] = nil
            logger.warning("lease lost; the stream is no longer served here", metadata: ["stream": "\(stream)"])
        }
        for stream in moves.release {
            if session.streams.contains(where: { $0.id == stream }) { try session.remove(stream) }
            servingVersions[stream] = nil
            try persisting { try fleet.release(stream) }
            logger.info("stream handed over", metadata: ["stream": "\(stream)"])
        }
        for id in moves.acquire {
            guard !stopping, let stream = snapshot.streams.first(where: { $0.id == id }),
                try persisting({ try fleet.acquire(id) })
            else { continue }
            logger.info("stream taken", metadata: ["stream": "\(id)", "status": "\(stream.status.rawValue)"])
            // A pending stream starts with its `add` command; the others continue from their serving model.
            guard stream.status != .pending, !session.streams.contains(where: { $0.id == id }) else { continue }
            guard let current = try persisting({ try store.stream(id) }) else { continue }
            try adopt(current, session)
        }
    }

    /// Applies the queued API changes (add, remove, rollback) at a window boundary.
    private func applyCommands(_ session: RuntimeSession) throws {
        let held = fleet?.streams
        for command in try persisting({ try store.pendingCommands() }) {
            guard !stopping else { return }
            // In a fleet a stream's commands are applied by the node holding its lease.
            if let held, !held.contains(command.stream) { continue }
            let window = try persisting { try store.nextWindowNumber() }
            do {
                switch command.kind {
                case .add:
                    guard let stream = try store.stream(command.stream), stream.status == .pending,
                        let scenario = ScenarioPreset(rawValue: stream.scenario)
                    else {
                        try store.reject(command: command.id ?? -1, note: "the stream is no longer pending")
                        continue
                    }
                    let spec = StreamSpec(
                        id: stream.id,
                        scenario: scenario,
                        seed: UInt64(stream.seed),
                        source: stream.source
                    )
                    state.update { $0.phase = .training(stream: stream.id) }
                    let model = try session.trainStartingModel(spec)
                    let record = try saveModel(model, stream: stream.id, window: nil, configuration: nil, accuracy: nil)
                    try persisting {
                        try store.activate(stream: stream.id, model: record, window: window, command: command.id)
                    }
                    try session.add(spec, serving: model)
                    metrics.register(stream: stream.id)
                    logger.info("stream added", metadata: ["stream": "\(stream.id)", "window": "\(window)"])
                case .remove:
                    if session.streams.contains(where: { $0.id == command.stream }) {
                        try session.remove(command.stream)
                    }
                    liveSources?.remove(command.stream)
                    servingVersions[command.stream] = nil
                    try persisting {
                        try store.finishRemoval(stream: command.stream, window: window, command: command.id)
                    }
                    try persisting { try fleet?.release(command.stream) }
                    logger.info("stream removed", metadata: ["stream": "\(command.stream)", "window": "\(window)"])
                case .rollback:
                    guard let version = command.version else {
                        try store.reject(command: command.id ?? -1, note: "no version given")
                        continue
                    }
                    let model = try session.loadModel(
                        contentsOf: models.modelPath(stream: command.stream, version: version)
                    )
                    try session.replaceModel(command.stream, with: model)
                    try persisting { try store.applyRollback(stream: command.stream, to: version, command: command.id) }
                    servingVersions[command.stream] = version
                    logger.info(
                        "model rolled back",
                        metadata: ["stream": "\(command.stream)", "version": "\(version)"]
                    )
                }
            } catch let failure as PersistenceFailure {
                // The command stays queued and is applied once the storage accepts writes again.
                throw failure
            } catch {
                if command.kind == .add {
                    // A stream that cannot start is not left pending forever.
                    try store.finishRemoval(stream: command.stream, window: window, command: nil)
                    try fleet?.release(command.stream)
                }
                logger.warning(
                    "command rejected",
                    metadata: [
                        "command": "\(command.kind.rawValue)", "stream": "\(command.stream)", "error": "\(error)",
                    ]
                )
                try store.reject(command: command.id ?? -1, note: "\(error)")
            }
        }
    }

    private func saveModel(
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

    private func writeModel(
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

    private func runWindow(_ session: RuntimeSession, scheduler: any Scheduler) throws {
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
    private func persist(
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

    private func closeUnclosedWindows() throws {
        while let window = unclosedWindows.first {
            try persisting { try store.end(windowID: window.id, status: .failed, note: window.note) }
            unclosedWindows.removeFirst()
        }
    }

    /// Keeps the newest `keepModelVersions` versions per stream on disk: the database marks the others
    /// pruned first, then their directories go (a crash in between leaves directories the start-up sweep
    /// removes).
    private func applyRetention(streams: [String]) throws {
        for stream in streams {
            for version in try store.pruneModelVersions(stream: stream, keep: configuration.keepModelVersions) {
                try models.remove(stream: stream, version: version)
            }
        }
    }

    /// Removes version directories the database does not keep (pruned, or written before a crash and never
    /// committed); returns how many.
    private func sweepModelStore() throws -> Int {
        var removed = 0
        for stream in models.streams() {
            for version in models.versions(stream: stream) where try !store.keeps(stream: stream, version: version) {
                try models.remove(stream: stream, version: version)
                removed += 1
            }
        }
        return removed
    }

    static func timeline(_ values: [Double]) -> String {
        "[" + values.map { "\(($0 * 10000).rounded() / 10000)" }.joined(separator: ",") + "]"
    }

    /// Sleeps up to `seconds`, waking early when asked to stop.
    private func idle(seconds: Double) {
        var left = seconds
        while left > 0, !stopping {
            Thread.sleep(forTimeInterval: min(0.1, left))
            left -= 0.1
        }
    }
}
