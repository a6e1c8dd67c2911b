// Over 400 lines: the SQLite store is one conformance to `ServiceStoring`; splitting it would scatter the
// transactions of one protocol over files.

import Foundation
import GRDB

/// Errors of the durable store; `description` is meant for API clients and logs.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case notFound(String)
    case conflict(String)
    case corrupt(String)
    /// The database server cannot be reached or refused the session (a PostgreSQL store).
    case unavailable(String)

    public var description: String {
        switch self {
        case .notFound(let message), .conflict(let message): message
        case .corrupt(let message): "store corrupt: \(message)"
        case .unavailable(let message): "database unavailable: \(message)"
        }
    }
}

/// Everything a completed window writes, in one transaction.
public struct WindowCompletion: Sendable {
    public var window: WindowRecord
    public var streams: [StreamWindowRecord]
    public var plans: [PlanRecord]
    public var profiling: [ProfilingRecord]
    /// Newly accepted model versions (already in the model store); each becomes its stream's serving version.
    public var acceptedModels: [ModelVersionRecord]

    public init(
        window: WindowRecord,
        streams: [StreamWindowRecord],
        plans: [PlanRecord],
        profiling: [ProfilingRecord],
        acceptedModels: [ModelVersionRecord]
    ) {
        self.window = window
        self.streams = streams
        self.plans = plans
        self.profiling = profiling
        self.acceptedModels = acceptedModels
    }
}

/// What recovery found at start-up.
public struct Recovery: Sendable, Equatable {
    /// Windows that were running when the previous process died, now recorded as interrupted.
    public var interruptedWindows: [Int]
    /// Runs that never ended (killed), now recorded as crashed.
    public var crashedRuns: Int

    public init(interruptedWindows: [Int], crashedRuns: Int) {
        self.interruptedWindows = interruptedWindows
        self.crashedRuns = crashedRuns
    }
}

/// A stream's row in one window, with the window's number and status.
public struct StreamWindowSummary: Sendable, Equatable {
    public var window: WindowRecord
    public var result: StreamWindowRecord?
    public var plan: PlanRecord?

    public init(window: WindowRecord, result: StreamWindowRecord?, plan: PlanRecord?) {
        self.window = window
        self.result = result
        self.plan = plan
    }

    /// One stream's windows joined with its results and plans (fetched for all of them at once), by window id.
    public static func join(
        _ windows: [WindowRecord],
        results: [StreamWindowRecord],
        plans: [PlanRecord]
    ) -> [StreamWindowSummary] {
        let results = Dictionary(results.map { ($0.windowId, $0) }, uniquingKeysWith: { first, _ in first })
        let plans = Dictionary(plans.map { ($0.windowId, $0) }, uniquingKeysWith: { first, _ in first })
        return windows.map { window in
            let id = window.id ?? -1
            return StreamWindowSummary(window: window, result: results[id], plan: plans[id])
        }
    }
}

/// The service's durable state in SQLite: runs, streams, windows, plans, profiling, model versions, commands.
///
/// On disk it is a WAL-mode `DatabasePool` with `synchronous = FULL`, so a committed transaction survives a
/// crash or a power cut and readers (the HTTP API) never block the window loop.
public final class ServiceStore: ServiceStoring {
    public let writer: any DatabaseWriter

    /// Opens (creating if needed) the database file and migrates it to the current schema.
    public convenience init(path: String) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        configuration.busyMode = .timeout(10)
        let pool = try DatabasePool(path: path, configuration: configuration)
        try self.init(writer: pool)
    }

    /// Wraps a database (an in-memory `DatabaseQueue` in tests) and migrates it.
    public init(writer: any DatabaseWriter) throws {
        self.writer = writer
        try StoreMigrations.migrator.migrate(writer)
    }

    /// An in-memory store (tests).
    public static func inMemory() throws -> ServiceStore {
        try ServiceStore(writer: try DatabaseQueue())
    }

    // MARK: - Runs and recovery

    /// Marks windows left `running` by a dead process as interrupted and unfinished runs as crashed.
    public func recover(now: Date) throws -> Recovery {
        try writer.write { db in
            let running = try WindowRecord.filter(Column("status") == WindowRecord.Status.running.rawValue)
                .order(Column("number")).fetchAll(db)
            for var window in running {
                window.status = .interrupted
                window.endedAt = now
                window.note = "interrupted: the service stopped before the window ended (crash or kill)"
                try window.update(db)
            }
            let crashed = try RunRecord.filter(Column("status") == RunRecord.Status.running.rawValue).fetchAll(db)
            for var run in crashed {
                run.status = .crashed
                try run.update(db)
            }
            return Recovery(interruptedWindows: running.map(\.number), crashedRuns: crashed.count)
        }
    }

    public func beginRun(configuration: String, now: Date) throws -> Int64 {
        try writer.write { db in
            var run = RunRecord(startedAt: now, status: .running, configuration: configuration)
            try run.insert(db)
            return run.id ?? db.lastInsertedRowID
        }
    }

    public func endRun(id: Int64, status: RunRecord.Status, now: Date) throws {
        try writer.write { db in
            guard var run = try RunRecord.fetchOne(db, key: id) else { return }
            run.status = status
            run.endedAt = now
            try run.update(db)
        }
    }

    public func runs() throws -> [RunRecord] {
        try writer.read { db in try RunRecord.order(Column("id")).fetchAll(db) }
    }

    // MARK: - Streams and commands

    /// Streams, in creation order (removed ones only when asked): the order rows were inserted, not their
    /// timestamps, which a wall clock stepped back or forward would reorder.
    public func streams(includeRemoved: Bool) throws -> [StreamRecord] {
        try writer.read { db in
            var request = StreamRecord.order(Column.rowID)
            if !includeRemoved { request = request.filter(Column("status") != StreamRecord.Status.removed.rawValue) }
            return try request.fetchAll(db)
        }
    }

    public func stream(_ id: String) throws -> StreamRecord? {
        try writer.read { db in try StreamRecord.fetchOne(db, key: id) }
    }

    /// Queues a new stream; it starts at the next window boundary.
    public func requestAdd(
        id: String,
        scenario: String,
        seed: Int64,
        source: String?,
        now: Date
    ) throws -> StreamRecord {
        try writer.write { db in
            if let existing = try StreamRecord.fetchOne(db, key: id), existing.status != .removed {
                throw StoreError.conflict("stream '\(id)' already exists (\(existing.status.rawValue))")
            }
            let record = StreamRecord(
                id: id,
                scenario: scenario,
                seed: seed,
                status: .pending,
                createdAt: now,
                source: source
            )
            try record.save(db)
            var command = CommandRecord(kind: .add, stream: id, status: .pending, createdAt: now)
            try command.insert(db)
            return record
        }
    }

    /// Queues the removal of a stream; it leaves at the next window boundary.
    public func requestRemove(id: String, now: Date) throws -> StreamRecord {
        try writer.write { db in
            guard var record = try StreamRecord.fetchOne(db, key: id), record.status != .removed else {
                throw StoreError.notFound("no stream '\(id)'")
            }
            guard record.status != .removing else {
                throw StoreError.conflict("stream '\(id)' is already being removed")
            }
            record.status = .removing
            try record.update(db)
            var command = CommandRecord(kind: .remove, stream: id, status: .pending, createdAt: now)
            try command.insert(db)
            return record
        }
    }

    /// Queues a rollback of a stream's serving model.
    ///
    /// The target is `version`, or by default the newest accepted version older than the serving one.
    /// Returns the versions it goes from and to.
    public func requestRollback(
        stream: String,
        to version: Int?,
        now: Date
    ) throws -> (
        from: Int, to: Int
    ) {
        try writer.write { db in
            guard let record = try StreamRecord.fetchOne(db, key: stream), record.status != .removed else {
                throw StoreError.notFound("no stream '\(stream)'")
            }
            guard record.status == .active, let serving = record.servingVersion else {
                throw StoreError.conflict("stream '\(stream)' has no serving model yet")
            }
            let accepted = try ModelVersionRecord.filter(Column("stream") == stream)
                .filter(Column("status") == ModelVersionRecord.Status.accepted.rawValue)
                .order(Column("version").desc).fetchAll(db)
            let target = try StoreRules.rollbackTarget(
                stream: stream,
                serving: serving,
                requested: version,
                accepted: accepted.map(\.version)
            )
            var command = CommandRecord(
                kind: .rollback,
                stream: stream,
                version: target,
                status: .pending,
                createdAt: now
            )
            try command.insert(db)
            return (serving, target)
        }
    }

    public func pendingCommands() throws -> [CommandRecord] {
        try writer.read { db in
            try CommandRecord.filter(Column("status") == CommandRecord.Status.pending.rawValue).order(Column("id"))
                .fetchAll(db)
        }
    }

    /// Applies an `add`: the stream is active and serves its starting model (already in the model store).
    public func activate(
        stream: String,
        model: ModelVersionRecord,
        window: Int,
        command: Int64?,
        now: Date
    )
        throws
    {
        try writer.write { db in
            guard var record = try StreamRecord.fetchOne(db, key: stream) else {
                throw StoreError.notFound("no stream '\(stream)'")
            }
            try model.save(db)
            record.status = .active
            record.servingVersion = model.version
            record.addedWindow = window
            try record.update(db)
            try Self.close(command: command, status: .applied, note: nil, now: now, in: db)
        }
    }

    /// Applies a `remove`.
    public func finishRemoval(stream: String, window: Int, command: Int64?, now: Date) throws {
        try writer.write { db in
            if var record = try StreamRecord.fetchOne(db, key: stream) {
                record.status = .removed
                record.removedWindow = window
                try record.update(db)
            }
            try Self.close(command: command, status: .applied, note: nil, now: now, in: db)
        }
    }

    /// Applies a `rollback`: newer accepted versions are marked rolled back, `version` serves.
    public func applyRollback(stream: String, to version: Int, command: Int64?, now: Date) throws {
        try writer.write { db in
            guard var record = try StreamRecord.fetchOne(db, key: stream) else {
                throw StoreError.notFound("no stream '\(stream)'")
            }
            try db.execute(
                sql: "UPDATE model_versions SET status = ? WHERE stream = ? AND version > ? AND status = ?",
                arguments: [
                    ModelVersionRecord.Status.rolledBack.rawValue, stream, version,
                    ModelVersionRecord.Status.accepted.rawValue,
                ]
            )
            record.servingVersion = version
            try record.update(db)
            try Self.close(command: command, status: .applied, note: nil, now: now, in: db)
        }
    }

    public func reject(command: Int64, note: String, now: Date) throws {
        try writer.write { db in try Self.close(command: command, status: .rejected, note: note, now: now, in: db) }
    }

    private static func close(
        command: Int64?,
        status: CommandRecord.Status,
        note: String?,
        now: Date,
        in db: Database
    ) throws {
        guard let command, var record = try CommandRecord.fetchOne(db, key: command) else { return }
        record.status = status
        record.appliedAt = now
        record.note = note
        try record.update(db)
    }

    // MARK: - Windows

    /// The number of the next window: one more than any window ever started.
    public func nextWindowNumber() throws -> Int {
        try writer.read { db in
            (try Int.fetchOne(db, sql: "SELECT MAX(number) FROM windows") ?? 0) + 1
        }
    }

    /// Records a window as running (committed before its work starts).
    public func beginWindow(_ window: WindowRecord) throws -> WindowRecord {
        try writer.write { db in
            var record = window
            record.status = .running
            try record.insert(db)
            return record
        }
    }

    /// Records a completed window, its per-stream results, plan, profiling and accepted models atomically.
    public func complete(_ completion: WindowCompletion) throws {
        try writer.write { db in
            var window = completion.window
            window.status = .completed
            try window.update(db)
            for row in completion.streams { try row.insert(db) }
            for row in completion.plans { try row.insert(db) }
            for row in completion.profiling { try row.insert(db) }
            for model in completion.acceptedModels {
                try model.save(db)
                try db.execute(
                    sql: "UPDATE streams SET servingVersion = ? WHERE id = ?",
                    arguments: [model.version, model.stream]
                )
            }
        }
    }

    /// Records a window as interrupted (a graceful stop in the middle of it) or failed.
    public func end(windowID: Int64, status: WindowRecord.Status, note: String, now: Date) throws {
        try writer.write { db in
            guard var window = try WindowRecord.fetchOne(db, key: windowID) else { return }
            window.status = status
            window.endedAt = now
            window.note = note
            try window.update(db)
        }
    }

    /// Windows, newest first.
    public func windows(limit: Int) throws -> [WindowRecord] {
        try writer.read { db in try WindowRecord.order(Column("number").desc).limit(limit).fetchAll(db) }
    }

    public func window(number: Int) throws -> WindowRecord? {
        try writer.read { db in try WindowRecord.filter(Column("number") == number).fetchOne(db) }
    }

    /// A stream's windows (those it took part in), newest first, with its results and plan where completed.
    public func windows(stream: String, limit: Int) throws -> [StreamWindowSummary] {
        try writer.read { db in
            let windows = try WindowRecord.fetchAll(
                db,
                sql: """
                    SELECT * FROM windows WHERE ',' || streams || ',' LIKE '%,' || ? || ',%'
                    ORDER BY number DESC LIMIT ?
                    """,
                arguments: [stream, limit]
            )
            // Two queries for all the windows' results and plans, not two per window.
            let ids = windows.compactMap(\.id)
            return StreamWindowSummary.join(
                windows,
                results: try StreamWindowRecord.filter(Column("stream") == stream && ids.contains(Column("windowId")))
                    .fetchAll(db),
                plans: try PlanRecord.filter(Column("stream") == stream && ids.contains(Column("windowId")))
                    .fetchAll(db)
            )
        }
    }

    /// The newest window for which `stream` has a result, with that result and its plan (indexed lookups).
    public func latestResult(stream: String) throws -> StreamWindowSummary? {
        try writer.read { db in
            guard
                let result = try StreamWindowRecord.filter(Column("stream") == stream)
                    .order(Column("windowId").desc).fetchOne(db),
                let window = try WindowRecord.fetchOne(db, key: result.windowId)
            else { return nil }
            let plan = try PlanRecord.filter(Column("windowId") == result.windowId && Column("stream") == stream)
                .fetchOne(db)
            return StreamWindowSummary(window: window, result: result, plan: plan)
        }
    }

    public func profiling(windowID: Int64) throws -> [ProfilingRecord] {
        try writer.read { db in try ProfilingRecord.filter(Column("windowId") == windowID).fetchAll(db) }
    }

    // MARK: - Model versions

    /// A stream's model versions, newest first.
    public func modelVersions(stream: String) throws -> [ModelVersionRecord] {
        try writer.read { db in
            try ModelVersionRecord.filter(Column("stream") == stream).order(Column("version").desc).fetchAll(db)
        }
    }

    public func modelVersion(stream: String, version: Int) throws -> ModelVersionRecord? {
        try writer.read { db in
            try ModelVersionRecord.filter(Column("stream") == stream && Column("version") == version).fetchOne(db)
        }
    }

    /// The next version number of a stream's model (versions are never reused).
    public func nextModelVersion(stream: String) throws -> Int {
        try writer.read { db in
            (try Int.fetchOne(db, sql: "SELECT MAX(version) FROM model_versions WHERE stream = ?", arguments: [stream])
                ?? 0) + 1
        }
    }

    /// Retention: marks all but the newest `keep` accepted or rolled-back versions of a stream as pruned
    /// (never the serving one) and returns their numbers, for the caller to delete from the model store.
    public func pruneModelVersions(stream: String, keep: Int, now: Date) throws -> [Int] {
        try writer.write { db in
            let serving = try StreamRecord.fetchOne(db, key: stream)?.servingVersion
            let kept = try ModelVersionRecord.filter(Column("stream") == stream)
                .filter(Column("status") != ModelVersionRecord.Status.pruned.rawValue)
                .order(Column("version").desc).fetchAll(db)
            let old = kept.dropFirst(max(1, keep)).filter { $0.version != serving }
            for var record in old {
                record.status = .pruned
                try record.update(db)
            }
            return old.map(\.version)
        }
    }

    /// SQLite's `PRAGMA integrity_check` ("ok" when sound).
    public func integrityCheck() throws -> String {
        try writer.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "no answer" }
    }
}
