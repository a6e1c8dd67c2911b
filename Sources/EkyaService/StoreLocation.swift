import Foundation

/// Where the service keeps its database.
///
/// SQLite in a file (embedded, the default) or a PostgreSQL server (shared by the nodes of a fleet). Model
/// files stay in the data directory either way.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    /// A SQLite file; nil: `DATA_DIR/ekya.sqlite`.
    case sqlite(path: String?)
    /// A PostgreSQL server, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=require]`.
    case postgres(url: String)

    /// Parses `sqlite`, `sqlite:PATH` or a `postgres://` / `postgresql://` URL.
    public static func parse(_ text: String) throws -> StoreLocation {
        if text == "sqlite" { return .sqlite(path: nil) }
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw ServiceError.invalidConfiguration("store 'sqlite:' names no file") }
            return .sqlite(path: path)
        }
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") { return .postgres(url: text) }
        throw ServiceError.invalidConfiguration(
            "store must be sqlite, sqlite:PATH or postgres://USER@HOST:PORT/DATABASE, not '\(Self.redacted(text))'"
        )
    }

    /// The location as it may be logged and stored: a URL's password replaced by `***`.
    public var description: String {
        switch self {
        case .sqlite(nil): "sqlite"
        case .sqlite(let path?): "sqlite:\(path)"
        case .postgres(let url): Self.redacted(url)
        }
    }

    static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].lastIndex(of: "@") else {
            return text
        }
        let credentials = text[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
    }
}
