import EkyaStore
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import Synchronization

/// One connection to a PostgreSQL server, opened on first use and re-opened after it is lost, used by one
/// caller at a time; every unit of work runs as a `SERIALIZABLE` transaction, retried when the server
/// reports a serialization conflict or a deadlock.
///
/// Calls block the calling thread on the connection's event loop (never call it from an event loop).
final class PostgresSession: Sendable {
    let configuration: PostgresConnection.Configuration
    /// Where the server is, for messages (never the password).
    let address: String
    /// The schema every statement runs in (`search_path`), so that several stores can share one database.
    let schema: String
    private let connection = Mutex<PostgresConnection?>(nil)
    private let logger: Logger
    private let counter = Atomic<Int>(0)

    static let serializationRetries = 8

    /// A transaction's isolation level.
    enum Isolation: String {
        case serializable = "SERIALIZABLE"
        /// Each statement sees what committed before it (after waiting on a lock, say).
        case readCommitted = "READ COMMITTED"
    }

    init(url: String, schema: String) throws {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
            ["postgres", "postgresql"].contains(scheme)
        else {
            throw StoreError.unavailable(
                "'\(Self.redacted(url))' is not a PostgreSQL URL; expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
            )
        }
        guard parsed.user != nil else {
            throw StoreError.unavailable(
                "'\(Self.redacted(url))' names no user; expected postgres://USER@HOST/DATABASE"
            )
        }
        // `?schema=NAME` picks the schema (several services or fleets in one database); it is ours, not
        // PostgreSQL's, so it is taken out of the URL.
        var query = URLComponents(url: parsed, resolvingAgainstBaseURL: false)?.queryItems ?? []
        let schema = query.last(where: { $0.name == "schema" })?.value ?? schema
        query.removeAll { $0.name == "schema" }
        guard schema.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            throw StoreError.unavailable("schema '\(schema)' must be lower-case letters, digits and '_'")
        }
        // TLS when the URL asks for it (sslmode=require…), none otherwise: a loopback or cluster-internal
        // server is the common case and "prefer" would hide a missing certificate.
        if !query.contains(where: { ["sslmode", "tlsmode", "ssl", "tls"].contains($0.name.lowercased()) }) {
            query.append(URLQueryItem(name: "sslmode", value: "disable"))
        }
        var components = URLComponents(url: parsed, resolvingAgainstBaseURL: false)
        components?.queryItems = query
        do {
            guard let withMode = components?.url else { throw URLError(.badURL) }
            var configuration = try SQLPostgresConfiguration(url: withMode).coreConfiguration
            // Visible in pg_stat_activity: which store a server session belongs to.
            configuration.options.additionalStartupParameters = [("application_name", "ekya \(schema)")]
            self.configuration = configuration
        } catch {
            throw StoreError.unavailable("cannot read the database URL '\(Self.redacted(url))' (\(error))")
        }
        self.address = "\(parsed.host ?? "?"):\(parsed.port ?? 5432)\(parsed.path)"
        self.schema = schema
        var logger = Logger(label: "ekya.postgres")
        logger.logLevel = .critical
        self.logger = logger
    }

    /// The URL with its password replaced by `***`.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "postgres://***"
    }

    /// Runs `body` in one transaction, committing it, or rolling it back when `body` throws.
    func transaction<T>(
        _ isolation: Isolation = .serializable,
        _ body: (any SQLDatabase) throws -> T
    ) throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try withConnection { connection in
                    let sql = connection.sql(queryLogLevel: nil)
                    try sql.raw("BEGIN ISOLATION LEVEL \(unsafeRaw: isolation.rawValue)").run().wait()
                    do {
                        let result = try body(sql)
                        try sql.raw("COMMIT").run().wait()
                        return result
                    } catch {
                        try? sql.raw("ROLLBACK").run().wait()
                        throw error
                    }
                }
            } catch let error as PSQLError where Self.isRetryable(error) && attempt < Self.serializationRetries {
                continue
            } catch let error as PSQLError {
                throw translate(error)
            }
        }
    }

    /// Runs statements outside a transaction (DDL that takes its own locks, checks).
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try connection.withLock { current in
            let open: PostgresConnection
            if let existing = current, !existing.isClosed {
                open = existing
            } else {
                current = nil
                open = try connect()
                current = open
            }
            do {
                return try body(open)
            } catch let error as PSQLError where Self.losesConnection(error) {
                try? open.close().wait()
                current = nil
                throw error
            }
        }
    }

    deinit {
        // postgres-nio requires a connection to be closed before it is released: waited for, unless the last
        // reference goes on an event loop (where waiting would deadlock).
        connection.withLock { current in
            guard let open = current else { return }
            if MultiThreadedEventLoopGroup.currentEventLoop == nil {
                try? open.close().wait()
            } else {
                let future: EventLoopFuture<Void> = open.close()
                _ = future
            }
        }
    }

    /// Closes the connection (the next call opens a new one).
    func close() {
        connection.withLock { current in
            try? current?.close().wait()
            current = nil
        }
    }

    private func connect() throws -> PostgresConnection {
        let id = counter.add(1, ordering: .relaxed).newValue
        do {
            let connection = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(),
                configuration: configuration,
                id: id,
                logger: logger
            ).wait()
            do {
                let sql = connection.sql(queryLogLevel: nil)
                // CREATE SCHEMA IF NOT EXISTS races with itself (nodes starting together): one at a time.
                try sql.raw("BEGIN").run().wait()
                try sql.raw("SELECT pg_advisory_xact_lock(\(bind: PostgresMigrations.lockKey))").run().wait()
                try sql.raw("CREATE SCHEMA IF NOT EXISTS \(ident: schema)").run().wait()
                try sql.raw("COMMIT").run().wait()
                try sql.raw("SET search_path TO \(ident: schema)").run().wait()
                try sql.raw("SET TIME ZONE 'UTC'").run().wait()
            } catch {
                try? connection.close().wait()
                throw error
            }
            return connection
        } catch let error as PSQLError {
            throw translate(error)
        } catch {
            throw StoreError.unavailable("cannot connect to PostgreSQL at \(address): \(error)")
        }
    }

    /// A store error a user can act on, with the server's own message where there is one.
    func translate(_ error: PSQLError) -> StoreError {
        if let state = error.serverInfo?[.sqlState] {
            let message = error.serverInfo?[.message] ?? "error"
            if state == "23505" { return .conflict("PostgreSQL: \(message)") }
            if Self.losesConnection(error) || state.hasPrefix("28") || state == "3D000" {
                return .unavailable("PostgreSQL at \(address): \(message) (SQLSTATE \(state))")
            }
            return .corrupt("PostgreSQL at \(address): \(message) (SQLSTATE \(state))")
        }
        let cause = error.underlying.map { ": \($0)" } ?? ""
        return .unavailable("PostgreSQL at \(address): \(error.code)\(cause)")
    }

    static func isRetryable(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }

    /// Errors after which the connection cannot be used again.
    static func losesConnection(_ error: PSQLError) -> Bool {
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || state.hasPrefix("57P")
        case .queryCancelled, .invalidCommandTag, .tooManyParameters:
            return false
        default:
            return true
        }
    }
}
