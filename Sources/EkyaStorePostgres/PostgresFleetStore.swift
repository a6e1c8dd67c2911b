import EkyaStore
import Foundation
import PostgresKit

/// The fleet's shared state in PostgreSQL: nodes and heartbeats (`fleet_nodes`), stream leases
/// (`stream_leases`, one row per stream, taken under `SELECT … FOR UPDATE`), every grant (`lease_grants`) and
/// model files (`model_files`, `bytea`).
///
/// It has its own connection, so heartbeats are not queued behind the API's and the window loop's queries.
/// Every time is the database server's `clock_timestamp()`: nodes' clocks need not agree.
public final class PostgresFleetStore: FleetStoring {
    let session: PostgresSession

    /// Connects to the store at `url` (migrated by ``PostgresServiceStore``'s initialiser first).
    public init(url: String, schema: String = "ekya") throws {
        session = try PostgresSession(url: url, schema: schema)
        try PostgresMigrations.migrate(session)
    }

    static func interval(_ seconds: Double) -> SQLQueryString {
        "(\(bind: seconds) * interval '1 second')"
    }

    public func join(_ node: NodeRegistration, incarnation: String, ttl: Double) throws -> NodeJoin {
        try session.transaction { sql in
            if let current = try Self.nodes(sql, where: "id = \(bind: node.id) FOR UPDATE").first,
                current.incarnation != incarnation, current.isAlive(ttl: ttl)
            {
                return .inUse(by: current)
            }
            try sql.raw(
                """
                INSERT INTO fleet_nodes (id, address, devices, "inferenceCost", incarnation, status, "startedAt",
                "heartbeatAt") VALUES (\(bind: node.id), \(bind: node.address), \(bind: node.devices),
                \(bind: node.inferenceCost), \(bind: incarnation), 'live', clock_timestamp(), clock_timestamp())
                ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, devices = EXCLUDED.devices,
                "inferenceCost" = EXCLUDED."inferenceCost", incarnation = EXCLUDED.incarnation, status = 'live',
                "startedAt" = EXCLUDED."startedAt", "heartbeatAt" = EXCLUDED."heartbeatAt"
                """
            ).run().wait()
            return .joined
        }
    }

    public func heartbeat(node: String, incarnation: String, ttl: Double) throws -> Set<String>? {
        try session.transaction { sql in
            let own = try sql.raw(
                """
                UPDATE fleet_nodes SET "heartbeatAt" = clock_timestamp(), status = 'live'
                WHERE id = \(bind: node) AND incarnation = \(bind: incarnation) RETURNING id
                """
            ).all().wait()
            guard !own.isEmpty else { return nil }
            let renewed = try Self.renew(sql, node: node, ttl: ttl)
            return Set(renewed)
        }
    }

    /// Extends the node's unexpired leases, and their grants with them; returns their streams.
    static func renew(_ sql: any SQLDatabase, node: String, ttl: Double, stream: String? = nil) throws -> [String] {
        let only: SQLQueryString = stream.map { "AND stream = \(bind: $0)" } ?? ""
        let onlyLease: SQLQueryString = stream.map { "AND l.stream = \(bind: $0)" } ?? ""
        let streams = try sql.raw(
            """
            UPDATE stream_leases SET "expiresAt" = clock_timestamp() + \(interval(ttl))
            WHERE node = \(bind: node) AND "expiresAt" > clock_timestamp() \(only) RETURNING stream
            """
        ).all(decodingColumn: "stream", as: String.self).wait()
        try sql.raw(
            """
            UPDATE lease_grants g SET "endedAt" = l."expiresAt" FROM stream_leases l
            WHERE l."grantId" = g.id AND l.node = \(bind: node) AND g."endedAt" <> l."expiresAt" \(onlyLease)
            """
        ).run().wait()
        return streams
    }

    public func acquire(stream: String, node: String, incarnation: String, ttl: Double) throws -> Bool {
        try session.transaction { sql in
            // Only a live incarnation takes streams (a displaced process cannot).
            guard
                let member = try Self.nodes(sql, where: "id = \(bind: node) FOR SHARE").first,
                member.incarnation == incarnation, member.isAlive(ttl: ttl)
            else { return false }
            struct Current: Decodable {
                var node: String
                var valid: Bool
            }
            let current = try sql.raw(
                """
                SELECT node, "expiresAt" > clock_timestamp() AS valid FROM stream_leases
                WHERE stream = \(bind: stream) FOR UPDATE
                """
            ).first(decoding: Current.self).wait()
            if let current, current.valid {
                guard current.node == node else { return false }
                return !(try Self.renew(sql, node: node, ttl: ttl, stream: stream)).isEmpty
            }
            let grant = try sql.raw(
                """
                INSERT INTO lease_grants (stream, node, "startedAt", "endedAt")
                VALUES (\(bind: stream), \(bind: node), clock_timestamp(), clock_timestamp() + \(Self.interval(ttl)))
                RETURNING id, "endedAt"
                """
            ).first().wait()
            guard let id = try grant?.decode(column: "id", as: Int64.self),
                let ends = try grant?.decode(column: "endedAt", as: Date.self)
            else { throw StoreError.corrupt("a lease grant was not recorded") }
            try sql.raw(
                """
                INSERT INTO stream_leases (stream, node, "grantId", "acquiredAt", "expiresAt")
                VALUES (\(bind: stream), \(bind: node), \(bind: id), clock_timestamp(), \(bind: ends))
                ON CONFLICT (stream) DO UPDATE SET node = EXCLUDED.node, "grantId" = EXCLUDED."grantId",
                "acquiredAt" = EXCLUDED."acquiredAt", "expiresAt" = EXCLUDED."expiresAt"
                """
            ).run().wait()
            return true
        }
    }

    public func release(stream: String, node: String, incarnation: String) throws {
        try session.transaction { sql in
            guard try Self.isCurrent(sql, node: node, incarnation: incarnation) else { return }
            try Self.end(sql, node: node, stream: stream)
        }
    }

    /// Whether `incarnation` is the node's (locks its row until the transaction ends).
    static func isCurrent(_ sql: any SQLDatabase, node: String, incarnation: String) throws -> Bool {
        try Self.nodes(sql, where: "id = \(bind: node) FOR UPDATE").first?.incarnation == incarnation
    }

    /// Ends the node's unexpired leases (one stream's, or all) now.
    static func end(_ sql: any SQLDatabase, node: String, stream: String?) throws {
        let only: SQLQueryString = stream.map { "AND stream = \(bind: $0)" } ?? ""
        try sql.raw(
            """
            UPDATE stream_leases SET "expiresAt" = clock_timestamp()
            WHERE node = \(bind: node) AND "expiresAt" > clock_timestamp() \(only)
            """
        ).run().wait()
        try Self.renewGrants(sql, node: node)
    }

    static func renewGrants(_ sql: any SQLDatabase, node: String) throws {
        try sql.raw(
            """
            UPDATE lease_grants g SET "endedAt" = l."expiresAt" FROM stream_leases l
            WHERE l."grantId" = g.id AND l.node = \(bind: node) AND g."endedAt" > l."expiresAt"
            """
        ).run().wait()
    }

    public func report(node: String, incarnation: String, inferenceCost: Double) throws {
        try session.transaction { sql in
            try sql.raw(
                """
                UPDATE fleet_nodes SET "inferenceCost" = \(bind: inferenceCost)
                WHERE id = \(bind: node) AND incarnation = \(bind: incarnation)
                """
            ).run().wait()
        }
    }

    public func leave(node: String, incarnation: String) throws {
        try session.transaction { sql in
            guard try Self.isCurrent(sql, node: node, incarnation: incarnation) else { return }
            try Self.end(sql, node: node, stream: nil)
            try sql.raw(
                "UPDATE fleet_nodes SET status = 'left' WHERE id = \(bind: node) AND incarnation = \(bind: incarnation)"
            ).run().wait()
        }
    }

    public func reapLostNodes(ttl: Double) throws -> [String] {
        try session.transaction { sql in
            let lost = try sql.raw(
                """
                UPDATE fleet_nodes SET status = 'lost'
                WHERE status = 'live' AND "heartbeatAt" < clock_timestamp() - \(Self.interval(ttl)) RETURNING id
                """
            ).all(decodingColumn: "id", as: String.self).wait()
            guard !lost.isEmpty else { return [] }
            try sql.raw(
                """
                UPDATE windows SET status = \(bind: WindowRecord.Status.interrupted.rawValue), "endedAt" = now(),
                note = 'interrupted: its node stopped renewing its heartbeat (crash, kill or lost network)'
                WHERE status = \(bind: WindowRecord.Status.running.rawValue)
                AND "runId" IN (SELECT id FROM runs WHERE node = ANY(\(bind: lost)))
                """
            ).run().wait()
            try sql.raw(
                """
                UPDATE runs SET status = \(bind: RunRecord.Status.crashed.rawValue), "endedAt" = now()
                WHERE status = \(bind: RunRecord.Status.running.rawValue) AND node = ANY(\(bind: lost))
                """
            ).run().wait()
            return lost.sorted()
        }
    }

    public func snapshot() throws -> FleetSnapshot {
        try session.transaction(.readCommitted) { sql in
            let nodes = try Self.nodes(sql, where: "TRUE ORDER BY id")
            let leases = try sql.raw(
                """
                SELECT stream, node, EXTRACT(EPOCH FROM clock_timestamp() - "acquiredAt")::float8 AS age,
                EXTRACT(EPOCH FROM "expiresAt" - clock_timestamp())::float8 AS "expiresIn"
                FROM stream_leases WHERE "expiresAt" > clock_timestamp() ORDER BY stream
                """
            ).all(decoding: StreamLease.self).wait()
            let streams = try sql.raw(
                "SELECT * FROM streams WHERE status IN ('pending', 'active', 'removing') ORDER BY position"
            ).all(decoding: StreamRecord.self).wait()
            struct Latest: Decodable {
                var stream: String
                var accuracy: Double
            }
            // Each served stream's newest window (window ids grow with time across nodes; numbers are per
            // run), one index probe per stream on stream_windows_by_stream instead of a scan of the history.
            let latest = try sql.raw(
                """
                SELECT s.id AS stream, l.accuracy FROM streams s CROSS JOIN LATERAL (
                    SELECT sw."measuredAccuracy" AS accuracy FROM stream_windows sw
                    WHERE sw.stream = s.id ORDER BY sw."windowId" DESC LIMIT 1) l
                WHERE s.status IN ('pending', 'active', 'removing')
                """
            ).all(decoding: Latest.self).wait()
            return FleetSnapshot(
                nodes: nodes,
                leases: leases,
                streams: streams,
                accuracy: Dictionary(latest.map { ($0.stream, $0.accuracy) }, uniquingKeysWith: { first, _ in first })
            )
        }
    }

    public func grants() throws -> [LeaseGrantRecord] {
        try session.transaction(.readCommitted) { sql in
            try sql.raw(#"SELECT id, stream, node, "startedAt", "endedAt" FROM lease_grants ORDER BY id"#)
                .all(decoding: LeaseGrantRecord.self).wait()
        }
    }

    public func doubleOwnership() throws -> Int {
        try session.transaction(.readCommitted) { sql in
            try sql.raw(
                """
                SELECT count(*)::bigint AS pairs FROM lease_grants a JOIN lease_grants b
                ON a.stream = b.stream AND a.id < b.id AND a.node <> b.node
                AND a."startedAt" < b."endedAt" AND b."startedAt" < a."endedAt"
                """
            ).first(decodingColumn: "pairs", as: Int.self).wait() ?? 0
        }
    }

    public func putModelFile(stream: String, version: Int, bytes: [UInt8]) throws {
        try session.transaction { sql in
            try sql.raw(
                """
                INSERT INTO model_files (stream, version, bytes) VALUES (\(bind: stream), \(bind: version),
                \(bind: Data(bytes))) ON CONFLICT (stream, version) DO UPDATE SET bytes = EXCLUDED.bytes
                """
            ).run().wait()
        }
    }

    public func modelFile(stream: String, version: Int) throws -> [UInt8]? {
        try session.transaction(.readCommitted) { sql in
            try sql.raw(
                "SELECT bytes FROM model_files WHERE stream = \(bind: stream) AND version = \(bind: version)"
            ).first(decodingColumn: "bytes", as: Data.self).wait().map { [UInt8]($0) }
        }
    }

    /// Nodes matching `condition` (a WHERE clause, optionally with ORDER BY or a locking clause).
    static func nodes(_ sql: any SQLDatabase, where condition: SQLQueryString) throws -> [FleetNodeRecord] {
        try sql.raw(
            """
            SELECT id, address, devices, "inferenceCost", incarnation, status, "startedAt", "heartbeatAt",
            EXTRACT(EPOCH FROM clock_timestamp() - "heartbeatAt")::float8 AS "heartbeatAge"
            FROM fleet_nodes WHERE \(condition)
            """
        ).all(decoding: FleetNodeRecord.self).wait()
    }

    /// Closes the connection; a later call opens a new one.
    public func close() { session.close() }
}
