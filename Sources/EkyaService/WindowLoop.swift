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
    var servingVersions: [String: Int] = [:]
    /// Windows that failed while the store was unreachable, to be closed once it answers again (else they would
    /// stay `running` until the next start's recovery).
    var unclosedWindows: [(id: Int64, note: String)] = []
    var runID: Int64 = 0

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
    func start() throws -> Int64 {
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
    func reportStorageFault(_ error: any Error, retryIn seconds: Double) {
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

    func clearStorageFault() {
        guard state.snapshot.storageFault != nil else { return }
        state.update { $0.storageFault = nil }
        metrics.storageFault(false)
        logger.notice("persistence works again")
    }

    func loop() throws {
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

    static func timeline(_ values: [Double]) -> String {
        "[" + values.map { "\(($0 * 10000).rounded() / 10000)" }.joined(separator: ",") + "]"
    }

    /// Sleeps up to `seconds`, waking early when asked to stop.
    func idle(seconds: Double) {
        var left = seconds
        while left > 0, !stopping {
            Thread.sleep(forTimeInterval: min(0.1, left))
            left -= 0.1
        }
    }
}
