import Foundation

/// The service's durable state, whatever holds it: runs, streams, windows, plans, profiling, model versions
/// and the command queue.
///
/// Two backends implement it, SQLite (``ServiceStore``, embedded, the default) and PostgreSQL
/// (`PostgresServiceStore` in `EkyaStorePostgres`, shared by a fleet); both pass the same store suite.
/// Every method is one transaction: it commits entirely or not at all. Calls block the calling thread.
public protocol ServiceStoring: Sendable {
    /// Marks windows left `running` by a dead process as interrupted and unfinished runs as crashed.
    func recover(now: Date) throws -> Recovery
    func beginRun(configuration: String, now: Date) throws -> Int64
    func endRun(id: Int64, status: RunRecord.Status, now: Date) throws
    func runs() throws -> [RunRecord]

    /// Streams, in creation order (removed ones only when asked).
    func streams(includeRemoved: Bool) throws -> [StreamRecord]
    func stream(_ id: String) throws -> StreamRecord?
    /// Queues a new stream; it starts at the next window boundary.
    func requestAdd(id: String, scenario: String, seed: Int64, source: String?, now: Date) throws -> StreamRecord
    /// Queues the removal of a stream; it leaves at the next window boundary.
    func requestRemove(id: String, now: Date) throws -> StreamRecord
    /// Queues a rollback of a stream's serving model to `version`, or by default to the newest accepted
    /// version older than the serving one. Returns the versions it goes from and to.
    func requestRollback(stream: String, to version: Int?, now: Date) throws -> (from: Int, to: Int)
    func pendingCommands() throws -> [CommandRecord]
    /// Applies an `add`: the stream is active and serves its starting model (already in the model store).
    func activate(stream: String, model: ModelVersionRecord, window: Int, command: Int64?, now: Date) throws
    /// Applies a `remove`.
    func finishRemoval(stream: String, window: Int, command: Int64?, now: Date) throws
    /// Applies a `rollback`: newer accepted versions are marked rolled back, `version` serves.
    func applyRollback(stream: String, to version: Int, command: Int64?, now: Date) throws
    func reject(command: Int64, note: String, now: Date) throws

    /// The number of the next window: one more than any window ever started.
    func nextWindowNumber() throws -> Int
    /// Records a window as running (committed before its work starts); the returned record has its id.
    func beginWindow(_ window: WindowRecord) throws -> WindowRecord
    /// Records a completed window, its per-stream results, plan, profiling and accepted models atomically.
    func complete(_ completion: WindowCompletion) throws
    /// Records a window as interrupted (a graceful stop in the middle of it) or failed.
    func end(windowID: Int64, status: WindowRecord.Status, note: String, now: Date) throws
    /// Windows, newest first.
    func windows(limit: Int) throws -> [WindowRecord]
    func window(number: Int) throws -> WindowRecord?
    /// A stream's windows (those it took part in), newest first, with its results and plan where completed.
    func windows(stream: String, limit: Int) throws -> [StreamWindowSummary]
    /// The newest window for which `stream` has a result, with that result and its plan.
    func latestResult(stream: String) throws -> StreamWindowSummary?
    func profiling(windowID: Int64) throws -> [ProfilingRecord]

    /// A stream's model versions, newest first.
    func modelVersions(stream: String) throws -> [ModelVersionRecord]
    func modelVersion(stream: String, version: Int) throws -> ModelVersionRecord?
    /// The next version number of a stream's model (versions are never reused).
    func nextModelVersion(stream: String) throws -> Int
    /// Retention: marks all but the newest `keep` accepted or rolled-back versions of a stream as pruned
    /// (never the serving one) and returns their numbers, for the caller to delete from the model store.
    func pruneModelVersions(stream: String, keep: Int, now: Date) throws -> [Int]
}

extension ServiceStoring {
    public func recover() throws -> Recovery { try recover(now: Date()) }
    public func beginRun(configuration: String) throws -> Int64 {
        try beginRun(configuration: configuration, now: Date())
    }
    public func endRun(id: Int64, status: RunRecord.Status) throws { try endRun(id: id, status: status, now: Date()) }
    public func streams() throws -> [StreamRecord] { try streams(includeRemoved: false) }

    @discardableResult
    public func requestAdd(id: String, scenario: String, seed: Int64, source: String? = nil) throws -> StreamRecord {
        try requestAdd(id: id, scenario: scenario, seed: seed, source: source, now: Date())
    }

    @discardableResult
    public func requestRemove(id: String) throws -> StreamRecord { try requestRemove(id: id, now: Date()) }

    public func requestRollback(stream: String, to version: Int? = nil) throws -> (from: Int, to: Int) {
        try requestRollback(stream: stream, to: version, now: Date())
    }

    public func activate(stream: String, model: ModelVersionRecord, window: Int, command: Int64?) throws {
        try activate(stream: stream, model: model, window: window, command: command, now: Date())
    }

    public func finishRemoval(stream: String, window: Int, command: Int64?) throws {
        try finishRemoval(stream: stream, window: window, command: command, now: Date())
    }

    public func applyRollback(stream: String, to version: Int, command: Int64?) throws {
        try applyRollback(stream: stream, to: version, command: command, now: Date())
    }

    public func reject(command: Int64, note: String) throws { try reject(command: command, note: note, now: Date()) }

    public func end(windowID: Int64, status: WindowRecord.Status, note: String) throws {
        try end(windowID: windowID, status: status, note: note, now: Date())
    }

    public func windows() throws -> [WindowRecord] { try windows(limit: 50) }
    public func windows(stream: String) throws -> [StreamWindowSummary] { try windows(stream: stream, limit: 50) }

    public func pruneModelVersions(stream: String, keep: Int) throws -> [Int] {
        try pruneModelVersions(stream: stream, keep: keep, now: Date())
    }

    /// Whether a version on disk is one the database still keeps (accepted or rolled back).
    public func keeps(stream: String, version: Int) throws -> Bool {
        guard let record = try modelVersion(stream: stream, version: version) else { return false }
        return record.status != .pruned
    }
}

/// Rules both backends apply inside their transactions.
public enum StoreRules {
    /// The version a rollback goes to: `requested` when it is an accepted version other than the serving one,
    /// by default the newest accepted version older than `serving`.
    public static func rollbackTarget(stream: String, serving: Int, requested: Int?, accepted: [Int]) throws -> Int {
        if let requested {
            guard accepted.contains(requested), requested != serving else {
                throw StoreError.conflict(
                    "version \(requested) of stream '\(stream)' is not an accepted version other than the serving one"
                )
            }
            return requested
        }
        guard let older = accepted.filter({ $0 < serving }).max() else {
            throw StoreError.conflict("stream '\(stream)' has no earlier accepted model than version \(serving)")
        }
        return older
    }
}
