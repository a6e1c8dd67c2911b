// Over 400 lines: the PostgreSQL store is one conformance to `ServiceStoring`, method for method beside the
// SQLite one.

import EkyaStore
import Foundation
import PostgresKit

/// The service's durable state in PostgreSQL, with the same semantics as the SQLite ``ServiceStore``: every
/// method is one `SERIALIZABLE` transaction, so several nodes of a fleet can share one database.
///
/// Tables and migrations mirror the SQLite schema (``PostgresMigrations``). The connection is opened on first
/// use and re-opened after it is lost; while the server is unreachable calls throw
/// ``StoreError/unavailable(_:)``, which the window loop treats as a storage fault (models in memory serve on,
/// the write is retried at the next window).
public final class PostgresServiceStore: ServiceStoring {
    let session: PostgresSession
    /// The fleet node this store writes runs for ("" for a server of its own): recovery touches its runs only.
    public let node: String

    /// Connects to `url`, creates `schema` if needed and migrates it.
    ///
    /// `url` is `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=require][&schema=NAME]`; a
    /// `schema` in the URL wins over the argument. Throws ``StoreError/unavailable(_:)`` with the reason when the
    /// server cannot be reached, refuses the login or the database does not exist.
    public init(url: String, schema: String = "ekya", node: String = "") throws {
        self.node = node
        session = try PostgresSession(url: url, schema: schema)
        try PostgresMigrations.migrate(session)
    }

    /// The schema it lives in.
    public var schema: String { session.schema }

    /// Where the server is (host, port, database; never the password).
    public var address: String { session.address }

    /// The migrations recorded in the database, by identifier.
    public func appliedMigrations() throws -> [String] { try PostgresMigrations.applied(session) }

    /// Closes the connection; a later call opens a new one.
    public func close() { session.close() }

    /// Drops the store's schema and everything in it (tests).
    public func dropSchema() throws {
        try session.withConnection { connection in
            try connection.sql(queryLogLevel: nil).raw("DROP SCHEMA IF EXISTS \(ident: session.schema) CASCADE").run()
                .wait()
        }
        session.close()
    }

    // MARK: - Runs and recovery

    public func recover(now: Date) throws -> Recovery {
        try session.transaction { sql in
            let interrupted = try sql.raw(
                """
                UPDATE windows SET status = \(bind: WindowRecord.Status.interrupted.rawValue), "endedAt" = \(bind: now),
                note = 'interrupted: the service stopped before the window ended (crash or kill)'
                WHERE status = \(bind: WindowRecord.Status.running.rawValue)
                AND "runId" IN (SELECT id FROM runs WHERE node = \(bind: node)) RETURNING number
                """
            ).all(decodingColumn: "number", as: Int.self).wait()
            let crashed = try sql.raw(
                """
                UPDATE runs SET status = \(bind: RunRecord.Status.crashed.rawValue)
                WHERE status = \(bind: RunRecord.Status.running.rawValue) AND node = \(bind: node) RETURNING id
                """
            ).all(decodingColumn: "id", as: Int64.self).wait()
            return Recovery(interruptedWindows: interrupted.sorted(), crashedRuns: crashed.count)
        }
    }

    public func beginRun(configuration: String, now: Date) throws -> Int64 {
        try session.transaction { sql in
            let run = RunRecord(startedAt: now, status: .running, configuration: configuration, node: node)
            return try Self.insertReturningID(sql, into: "runs", run)
        }
    }

    public func endRun(id: Int64, status: RunRecord.Status, now: Date) throws {
        try session.transaction { sql in
            try sql.raw(
                #"UPDATE runs SET status = \#(bind: status.rawValue), "endedAt" = \#(bind: now) WHERE id = \#(bind: id)"#
            )
            .run().wait()
        }
    }

    public func runs() throws -> [RunRecord] {
        try session.transaction { sql in
            try sql.raw("SELECT * FROM runs ORDER BY id").all(decoding: RunRecord.self).wait()
        }
    }

    // MARK: - Streams and commands

    public func streams(includeRemoved: Bool) throws -> [StreamRecord] {
        try session.transaction { sql in
            let query: SQLQueryString =
                includeRemoved
                ? "SELECT * FROM streams ORDER BY position"
                : "SELECT * FROM streams WHERE status <> \(bind: StreamRecord.Status.removed.rawValue) ORDER BY position"
            return try sql.raw(query).all(decoding: StreamRecord.self).wait()
        }
    }

    public func stream(_ id: String) throws -> StreamRecord? {
        try session.transaction { sql in try Self.stream(sql, id) }
    }

    public func requestAdd(id: String, scenario: String, seed: Int64, source: String?, now: Date) throws -> StreamRecord
    {
        try session.transaction { sql in
            if let existing = try Self.stream(sql, id), existing.status != .removed {
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
            try sql.insert(into: "streams").model(record, nilEncodingStrategy: .asNil)
                .onConflict(with: "id") { try $0.set(excludedContentOf: record, nilEncodingStrategy: .asNil) }
                .run().wait()
            try Self.insertCommand(sql, CommandRecord(kind: .add, stream: id, status: .pending, createdAt: now))
            return record
        }
    }

    public func requestRemove(id: String, now: Date) throws -> StreamRecord {
        try session.transaction { sql in
            guard var record = try Self.stream(sql, id), record.status != .removed else {
                throw StoreError.notFound("no stream '\(id)'")
            }
            guard record.status != .removing else {
                throw StoreError.conflict("stream '\(id)' is already being removed")
            }
            record.status = .removing
            try sql.raw("UPDATE streams SET status = \(bind: record.status.rawValue) WHERE id = \(bind: id)").run()
                .wait()
            try Self.insertCommand(sql, CommandRecord(kind: .remove, stream: id, status: .pending, createdAt: now))
            return record
        }
    }

    public func requestRollback(stream: String, to version: Int?, now: Date) throws -> (from: Int, to: Int) {
        try session.transaction { sql in
            guard let record = try Self.stream(sql, stream), record.status != .removed else {
                throw StoreError.notFound("no stream '\(stream)'")
            }
            guard record.status == .active, let serving = record.servingVersion else {
                throw StoreError.conflict("stream '\(stream)' has no serving model yet")
            }
            let accepted = try sql.raw(
                """
                SELECT * FROM model_versions WHERE stream = \(bind: stream)
                AND status = \(bind: ModelVersionRecord.Status.accepted.rawValue) ORDER BY version DESC
                """
            ).all(decoding: ModelVersionRecord.self).wait()
            let target = try StoreRules.rollbackTarget(
                stream: stream,
                serving: serving,
                requested: version,
                accepted: accepted.map(\.version)
            )
            var command = CommandRecord(kind: .rollback, stream: stream, status: .pending, createdAt: now)
            command.version = target
            try Self.insertCommand(sql, command)
            return (serving, target)
        }
    }

    public func pendingCommands() throws -> [CommandRecord] {
        try session.transaction { sql in
            try sql.raw(
                "SELECT * FROM commands WHERE status = \(bind: CommandRecord.Status.pending.rawValue) ORDER BY id"
            ).all(decoding: CommandRecord.self).wait()
        }
    }

    public func activate(stream: String, model: ModelVersionRecord, window: Int, command: Int64?, now: Date) throws {
        try session.transaction { sql in
            guard try Self.stream(sql, stream) != nil else { throw StoreError.notFound("no stream '\(stream)'") }
            try Self.saveModel(sql, model)
            try sql.raw(
                """
                UPDATE streams SET status = \(bind: StreamRecord.Status.active.rawValue),
                "servingVersion" = \(bind: model.version), "addedWindow" = \(bind: window) WHERE id = \(bind: stream)
                """
            ).run().wait()
            try Self.close(sql, command: command, status: .applied, note: nil, now: now)
        }
    }

    public func finishRemoval(stream: String, window: Int, command: Int64?, now: Date) throws {
        try session.transaction { sql in
            try sql.raw(
                """
                UPDATE streams SET status = \(bind: StreamRecord.Status.removed.rawValue),
                "removedWindow" = \(bind: window) WHERE id = \(bind: stream)
                """
            ).run().wait()
            try Self.close(sql, command: command, status: .applied, note: nil, now: now)
        }
    }

    public func applyRollback(stream: String, to version: Int, command: Int64?, now: Date) throws {
        try session.transaction { sql in
            guard try Self.stream(sql, stream) != nil else { throw StoreError.notFound("no stream '\(stream)'") }
            try sql.raw(
                """
                UPDATE model_versions SET status = \(bind: ModelVersionRecord.Status.rolledBack.rawValue)
                WHERE stream = \(bind: stream) AND version > \(bind: version)
                AND status = \(bind: ModelVersionRecord.Status.accepted.rawValue)
                """
            ).run().wait()
            try sql.raw(#"UPDATE streams SET "servingVersion" = \#(bind: version) WHERE id = \#(bind: stream)"#).run()
                .wait()
            try Self.close(sql, command: command, status: .applied, note: nil, now: now)
        }
    }

    public func reject(command: Int64, note: String, now: Date) throws {
        try session.transaction { sql in try Self.close(sql, command: command, status: .rejected, note: note, now: now)
        }
    }

    // MARK: - Windows

    public func nextWindowNumber() throws -> Int {
        try session.transaction { sql in
            try sql.raw("SELECT COALESCE(MAX(number), 0) + 1 AS next FROM windows")
                .first(decodingColumn: "next", as: Int.self).wait() ?? 1
        }
    }

    public func beginWindow(_ window: WindowRecord) throws -> WindowRecord {
        try session.transaction { sql in
            var record = window
            record.status = .running
            // Numbered inside the transaction: nodes of a fleet that begin windows together get distinct numbers
            // (one of two concurrent transactions fails to serialise and is retried).
            record.number = max(
                window.number,
                try sql.raw("SELECT COALESCE(MAX(number), 0) + 1 AS next FROM windows")
                    .first(decodingColumn: "next", as: Int.self).wait() ?? 1
            )
            record.id = try Self.insertReturningID(sql, into: "windows", record)
            return record
        }
    }

    public func complete(_ completion: WindowCompletion) throws {
        try session.transaction { sql in
            var window = completion.window
            window.status = .completed
            guard let id = window.id else { throw StoreError.notFound("the window to complete has no id") }
            try sql.update("windows").set(model: window, nilEncodingStrategy: .asNil).where("id", .equal, id).run()
                .wait()
            // One statement per table, not one per row: each statement is a round trip to the server.
            if !completion.streams.isEmpty {
                try sql.insert(into: "stream_windows").models(completion.streams, nilEncodingStrategy: .asNil).run()
                    .wait()
            }
            if !completion.plans.isEmpty {
                try sql.insert(into: "plans").models(completion.plans, nilEncodingStrategy: .asNil).run().wait()
            }
            if !completion.profiling.isEmpty {
                try sql.insert(into: "profiling").models(completion.profiling).run().wait()
            }
            try Self.saveModels(sql, completion.acceptedModels)
            if !completion.acceptedModels.isEmpty {
                try sql.raw(
                    """
                    UPDATE streams SET "servingVersion" = accepted.version
                    FROM unnest(\(bind: completion.acceptedModels.map(\.stream))::text[],
                                \(bind: completion.acceptedModels.map(\.version))::bigint[]) AS accepted(stream, version)
                    WHERE streams.id = accepted.stream
                    """
                ).run().wait()
            }
        }
    }

    public func end(windowID: Int64, status: WindowRecord.Status, note: String, now: Date) throws {
        try session.transaction { sql in
            try sql.raw(
                """
                UPDATE windows SET status = \(bind: status.rawValue), "endedAt" = \(bind: now), note = \(bind: note)
                WHERE id = \(bind: windowID)
                """
            ).run().wait()
        }
    }

    public func windows(limit: Int) throws -> [WindowRecord] {
        try session.transaction { sql in
            try sql.raw("SELECT * FROM windows ORDER BY number DESC, id DESC LIMIT \(bind: limit)")
                .all(decoding: WindowRecord.self).wait()
        }
    }

    public func window(number: Int) throws -> WindowRecord? {
        try session.transaction { sql in
            try sql.raw("SELECT * FROM windows WHERE number = \(bind: number) ORDER BY id LIMIT 1")
                .first(decoding: WindowRecord.self).wait()
        }
    }

    public func windows(stream: String, limit: Int) throws -> [StreamWindowSummary] {
        try session.transaction { sql in
            let windows = try sql.raw(
                """
                SELECT * FROM windows WHERE strpos(',' || streams || ',', ',' || \(bind: stream) || ',') > 0
                ORDER BY number DESC, id DESC LIMIT \(bind: limit)
                """
            ).all(decoding: WindowRecord.self).wait()
            let ids = windows.compactMap(\.id)
            // Two queries for all the windows' results and plans, not two per window.
            return StreamWindowSummary.join(
                windows,
                results: try sql.raw(
                    #"SELECT * FROM stream_windows WHERE stream = \#(bind: stream) AND "windowId" = ANY(\#(bind: ids))"#
                ).all(decoding: StreamWindowRecord.self).wait(),
                plans: try sql.raw(
                    #"SELECT * FROM plans WHERE stream = \#(bind: stream) AND "windowId" = ANY(\#(bind: ids))"#
                ).all(decoding: PlanRecord.self).wait()
            )
        }
    }

    public func latestResult(stream: String) throws -> StreamWindowSummary? {
        try session.transaction { sql in
            guard
                let result = try sql.raw(
                    #"SELECT * FROM stream_windows WHERE stream = \#(bind: stream) ORDER BY "windowId" DESC LIMIT 1"#
                ).first(decoding: StreamWindowRecord.self).wait(),
                let window = try sql.raw("SELECT * FROM windows WHERE id = \(bind: result.windowId)")
                    .first(decoding: WindowRecord.self).wait()
            else { return nil }
            let plan = try sql.raw(
                #"SELECT * FROM plans WHERE "windowId" = \#(bind: result.windowId) AND stream = \#(bind: stream)"#
            ).first(decoding: PlanRecord.self).wait()
            return StreamWindowSummary(window: window, result: result, plan: plan)
        }
    }

    public func profiling(windowID: Int64) throws -> [ProfilingRecord] {
        try session.transaction { sql in
            try sql.raw(
                #"SELECT * FROM profiling WHERE "windowId" = \#(bind: windowID) ORDER BY stream, configuration"#
            )
            .all(decoding: ProfilingRecord.self).wait()
        }
    }

    // MARK: - Model versions

    public func modelVersions(stream: String) throws -> [ModelVersionRecord] {
        try session.transaction { sql in
            try sql.raw("SELECT * FROM model_versions WHERE stream = \(bind: stream) ORDER BY version DESC")
                .all(decoding: ModelVersionRecord.self).wait()
        }
    }

    public func modelVersion(stream: String, version: Int) throws -> ModelVersionRecord? {
        try session.transaction { sql in
            try sql.raw("SELECT * FROM model_versions WHERE stream = \(bind: stream) AND version = \(bind: version)")
                .first(decoding: ModelVersionRecord.self).wait()
        }
    }

    public func nextModelVersion(stream: String) throws -> Int {
        try session.transaction { sql in
            try sql.raw(
                "SELECT COALESCE(MAX(version), 0) + 1 AS next FROM model_versions WHERE stream = \(bind: stream)"
            ).first(decodingColumn: "next", as: Int.self).wait() ?? 1
        }
    }

    public func pruneModelVersions(stream: String, keep: Int, now: Date) throws -> [Int] {
        try session.transaction { sql in
            let serving = try Self.stream(sql, stream)?.servingVersion
            let kept = try sql.raw(
                """
                SELECT version FROM model_versions WHERE stream = \(bind: stream)
                AND status <> \(bind: ModelVersionRecord.Status.pruned.rawValue) ORDER BY version DESC
                """
            ).all(decodingColumn: "version", as: Int.self).wait()
            let old = kept.dropFirst(max(1, keep)).filter { $0 != serving }
            if !old.isEmpty {
                try sql.raw(
                    """
                    UPDATE model_versions SET status = \(bind: ModelVersionRecord.Status.pruned.rawValue)
                    WHERE stream = \(bind: stream) AND version = ANY(\(bind: Array(old)))
                    """
                ).run().wait()
                // The fleet's copies of the files go with them.
                try sql.raw(
                    "DELETE FROM model_files WHERE stream = \(bind: stream) AND version = ANY(\(bind: Array(old)))"
                ).run().wait()
            }
            return Array(old)
        }
    }

    // MARK: - Statements shared by the transactions

    static func stream(_ sql: any SQLDatabase, _ id: String) throws -> StreamRecord? {
        try sql.raw("SELECT * FROM streams WHERE id = \(bind: id)").first(decoding: StreamRecord.self).wait()
    }

    static func insertReturningID(
        _ sql: any SQLDatabase,
        into table: String,
        _ model: some Encodable & Sendable
    ) throws
        -> Int64
    {
        guard
            let id = try sql.insert(into: table).model(model).returning("id")
                .first(decodingColumn: "id", as: Int64.self).wait()
        else { throw StoreError.corrupt("PostgreSQL returned no id for the new row of \(table)") }
        return id
    }

    static func insertCommand(_ sql: any SQLDatabase, _ command: CommandRecord) throws {
        _ = try insertReturningID(sql, into: "commands", command)
    }

    /// Inserts a model version, or replaces the row of the same stream and version.
    static func saveModel(_ sql: any SQLDatabase, _ model: ModelVersionRecord) throws {
        try saveModels(sql, [model])
    }

    /// Inserts model versions in one statement, replacing rows of the same stream and version.
    static func saveModels(_ sql: any SQLDatabase, _ models: [ModelVersionRecord]) throws {
        guard let first = models.first else { return }
        try sql.insert(into: "model_versions").models(models, nilEncodingStrategy: .asNil)
            .onConflict(with: ["stream", "version"]) {
                try $0.set(excludedContentOf: first, nilEncodingStrategy: .asNil)
            }
            .run().wait()
    }

    static func close(
        _ sql: any SQLDatabase,
        command: Int64?,
        status: CommandRecord.Status,
        note: String?,
        now: Date
    ) throws {
        guard let command else { return }
        try sql.raw(
            #"UPDATE commands SET status = \#(bind: status.rawValue), "appliedAt" = \#(bind: now), note = \#(bind: note) WHERE id = \#(bind: command)"#
        ).run().wait()
    }
}

extension PostgresServiceStore {
    /// The server process of this store's connection (`pg_backend_pid()`).
    public func serverProcessID() throws -> Int32 {
        try session.transaction(.readCommitted) { sql in
            try sql.raw("SELECT pg_backend_pid() AS pid").first(decodingColumn: "pid", as: Int32.self).wait() ?? 0
        }
    }

    /// Ends another session on the server, as a restart or failover would (tests of reconnection), and waits
    /// up to 5 s until its server process has exited, so that its client sees a closed connection, not one
    /// that is being closed while it sends the next query.
    public func terminate(serverProcessID pid: Int32) throws {
        try session.transaction(.readCommitted) { sql in
            try sql.raw("SELECT pg_terminate_backend(\(bind: pid), 5000)").run().wait()
        }
    }
}
