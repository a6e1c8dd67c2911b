import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a data directory was not opened (nothing in it was changed).
public struct DataDirectoryError: Error, CustomStringConvertible, Equatable {
    public var message: String

    public var description: String { message }
}

/// A service's data directory: the database `ekya.sqlite` and the model store `models/`, opened together.
///
/// Opening refuses, before it writes anything, a directory whose database does not match what is beside
/// it: a database that is missing or empty while the model store holds versions (starting afresh would
/// re-seed the streams and then delete every stored model), or one that fails SQLite's integrity check
/// (a damaged file starts and serves, then fails at the first commit).
public struct DataDirectory: Sendable {
    public static let databaseFile = "ekya.sqlite"
    public static let modelsDirectory = "models"

    public let root: URL
    public let store: ServiceStore
    public let models: ModelStore

    /// Opens `path`, creating it (owner-only permissions) when it does not exist; the database is
    /// `databasePath`, by default `path/ekya.sqlite`.
    public init(path: String, databasePath: String? = nil) throws {
        let root = try Self.prepare(path: path)
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        let database = databasePath.map { URL(fileURLWithPath: $0) } ?? root.appendingPathComponent(Self.databaseFile)
        let modelsRoot = root.appendingPathComponent(Self.modelsDirectory, isDirectory: true)
        if manager.fileExists(atPath: database.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw DataDirectoryError(
                message: "data directory '\(path)': \(database.path) is a directory, not the database. "
                    + "Nothing was changed."
            )
        }
        let stored = Self.storedVersions(in: modelsRoot)
        let size = (try? manager.attributesOfItem(atPath: database.path)[.size] as? Int) ?? nil
        if stored > 0, (size ?? 0) == 0 {
            let state = size == nil ? "is missing" : "is empty (0 bytes)"
            throw DataDirectoryError(
                message: """
                    data directory '\(path)': the database \(database.lastPathComponent) \(state), but \
                    \(Self.modelsDirectory)/ holds \(stored) stored model version(s); starting afresh would \
                    delete them. Restore \(database.path) from a backup, or move \(modelsRoot.path) away to \
                    start a new service. Nothing was changed.
                    """
            )
        }
        let store: ServiceStore
        do {
            store = try ServiceStore(path: database.path)
        } catch {
            if let free = Self.freeBytes(at: root.path), free < Self.minimumFreeBytes {
                throw DataDirectoryError(
                    message: "data directory '\(path)': the file system is full (\(free) bytes free), so the "
                        + "database cannot be opened; free some space and start again. Nothing was changed."
                )
            }
            throw DataDirectoryError(
                message: "data directory '\(path)': cannot open the database \(database.path) (\(error)); restore "
                    + "it from a backup. Nothing was changed."
            )
        }
        let check = (try? store.integrityCheck()) ?? "the check could not run"
        guard check == "ok" else {
            throw DataDirectoryError(
                message: "data directory '\(path)': the database \(database.path) is damaged (integrity check: "
                    + "\(check.prefix(200))); restore it from a backup. Nothing was changed."
            )
        }
        try? manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: database.path)
        self.root = root
        self.store = store
        self.models = try ModelStore(root: modelsRoot)
    }

    /// The model store of `path` alone, for a service whose database is elsewhere (a PostgreSQL server).
    public static func modelStore(path: String) throws -> ModelStore {
        let root = try prepare(path: path)
        return try ModelStore(root: root.appendingPathComponent(modelsDirectory, isDirectory: true))
    }

    /// Checks `path` and its model store's place, creating the directory (owner-only) when missing.
    static func prepare(path: String) throws -> URL {
        guard !path.isEmpty else { throw DataDirectoryError(message: "the data directory path is empty") }
        let manager = FileManager.default
        let root = URL(fileURLWithPath: path, isDirectory: true)
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: root.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw DataDirectoryError(message: "data directory '\(path)' is a file, not a directory")
            }
        } else {
            try manager.createDirectory(
                at: root,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        }
        let modelsRoot = root.appendingPathComponent(modelsDirectory, isDirectory: true)
        if manager.fileExists(atPath: modelsRoot.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw DataDirectoryError(
                message: "data directory '\(path)': \(modelsRoot.path) is a file, not the model store's directory; "
                    + "move it away. Nothing was changed."
            )
        }
        return root
    }

    /// Below this much free space, a failure to open the database is reported as a full disk.
    static let minimumFreeBytes = 1 << 20

    /// Bytes available to this process on the file system holding `path`.
    static func freeBytes(at path: String) -> Int? {
        var status = statvfs()
        guard statvfs(path, &status) == 0 else { return nil }
        return Int(status.f_bavail) * Int(status.f_frsize)
    }

    /// Complete model versions (model and metadata files) under a model store's root.
    static func storedVersions(in root: URL) -> Int {
        let manager = FileManager.default
        var count = 0
        for stream in (try? manager.contentsOfDirectory(atPath: root.path)) ?? [] where !stream.hasPrefix(".") {
            let directory = root.appendingPathComponent(stream, isDirectory: true)
            for version in (try? manager.contentsOfDirectory(atPath: directory.path)) ?? [] where Int(version) != nil {
                let files = directory.appendingPathComponent(version, isDirectory: true)
                if manager.fileExists(atPath: files.appendingPathComponent(ModelStore.modelFile).path) { count += 1 }
            }
        }
        return count
    }
}
