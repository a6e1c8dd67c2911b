import EkyaFailPoints
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `metadata.json` beside a stored model says.
public struct ModelMetadata: Codable, Sendable, Equatable {
    public var stream: String
    public var version: Int
    public var createdAt: Date
    public var window: Int?
    public var configuration: String?
    public var validationAccuracy: Double?
    public var format: String

    public init(
        stream: String,
        version: Int,
        createdAt: Date,
        window: Int?,
        configuration: String?,
        validationAccuracy: Double?,
        format: String = "ekya-torch-checkpoint"
    ) {
        self.stream = stream
        self.version = version
        self.createdAt = createdAt
        self.window = window
        self.configuration = configuration
        self.validationAccuracy = validationAccuracy
        self.format = format
    }
}

/// A versioned model repository on disk, in the style of Triton's: `<root>/<stream>/<version>/model.pt` plus
/// `metadata.json`.
///
/// A version directory is written whole into a hidden temporary directory beside it, flushed to disk, then
/// renamed into place, so a reader (or a restart after `kill -9` or a power cut) sees either the complete
/// version or none of it. Which version serves a stream is recorded in the database, not here.
public struct ModelStore: Sendable {
    public static let modelFile = "model.pt"
    public static let metadataFile = "metadata.json"

    public let root: URL

    public init(root: URL) throws {
        self.root = root
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    /// The directory of a version.
    public func directory(stream: String, version: Int) -> URL {
        root.appendingPathComponent(stream, isDirectory: true).appendingPathComponent("\(version)", isDirectory: true)
    }

    /// The model file of a version.
    public func modelPath(stream: String, version: Int) -> String {
        directory(stream: stream, version: version).appendingPathComponent(Self.modelFile).path
    }

    /// The path of a version relative to the data directory that holds the store's `models/` root.
    public func relativePath(stream: String, version: Int) -> String {
        "\(root.lastPathComponent)/\(stream)/\(version)/\(Self.modelFile)"
    }

    /// Writes a version atomically: `writeModel` receives the path to write the model file to.
    ///
    /// A leftover directory of the same version (written before a crash, never recorded in the database)
    /// is replaced.
    @discardableResult
    public func write(
        _ metadata: ModelMetadata,
        writeModel: (String) throws -> Void
    ) throws -> URL {
        let streamDirectory = root.appendingPathComponent(metadata.stream, isDirectory: true)
        let manager = FileManager.default
        try manager.createDirectory(at: streamDirectory, withIntermediateDirectories: true)
        let temporary = streamDirectory.appendingPathComponent(".tmp-\(metadata.version)-\(UUID().uuidString)")
        try manager.createDirectory(at: temporary, withIntermediateDirectories: false)
        do {
            let modelPath = temporary.appendingPathComponent(Self.modelFile).path
            try writeModel(modelPath)
            guard manager.fileExists(atPath: modelPath) else {
                throw StoreError.corrupt("the model writer produced no file at \(modelPath)")
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            let metadataURL = temporary.appendingPathComponent(Self.metadataFile)
            try encoder.encode(metadata).write(to: metadataURL)
            try Self.sync(path: modelPath)
            try Self.sync(path: metadataURL.path)
            try Self.sync(path: temporary.path)
            FailPoints.hit(.modelWrite)
            let target = directory(stream: metadata.stream, version: metadata.version)
            if manager.fileExists(atPath: target.path) { try manager.removeItem(at: target) }
            guard rename(temporary.path, target.path) == 0 else {
                throw StoreError.corrupt("cannot rename \(temporary.path) to \(target.path): errno \(errno)")
            }
            try Self.sync(path: streamDirectory.path)
            return target
        } catch {
            try? manager.removeItem(at: temporary)
            throw error
        }
    }

    /// Reads a version's metadata.
    public func metadata(stream: String, version: Int) throws -> ModelMetadata {
        let url = directory(stream: stream, version: version).appendingPathComponent(Self.metadataFile)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(ModelMetadata.self, from: Data(contentsOf: url))
        } catch {
            throw StoreError.corrupt("cannot read \(url.path): \(error)")
        }
    }

    /// Whether a complete version is on disk (model and metadata).
    public func contains(stream: String, version: Int) -> Bool {
        let directory = directory(stream: stream, version: version)
        return FileManager.default.fileExists(atPath: directory.appendingPathComponent(Self.modelFile).path)
            && FileManager.default.fileExists(atPath: directory.appendingPathComponent(Self.metadataFile).path)
    }

    /// The versions on disk for a stream, ascending.
    public func versions(stream: String) -> [Int] {
        let directory = root.appendingPathComponent(stream, isDirectory: true)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap(Int.init).sorted()
    }

    /// Deletes a version's directory (retention; the database marks it pruned first).
    public func remove(stream: String, version: Int) throws {
        let directory = directory(stream: stream, version: version)
        guard FileManager.default.fileExists(atPath: directory.path) else { return }
        try FileManager.default.removeItem(at: directory)
    }

    /// The streams that have a directory here.
    public func streams() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Removes temporary directories left by a crash in the middle of a write; returns how many.
    @discardableResult
    public func removeTemporaries() -> Int {
        let manager = FileManager.default
        var removed = 0
        for stream in (try? manager.contentsOfDirectory(atPath: root.path)) ?? [] {
            let directory = root.appendingPathComponent(stream, isDirectory: true)
            for name in (try? manager.contentsOfDirectory(atPath: directory.path)) ?? [] where name.hasPrefix(".tmp-") {
                if (try? manager.removeItem(at: directory.appendingPathComponent(name))) != nil { removed += 1 }
            }
        }
        return removed
    }

    /// fsync of a file or directory.
    static func sync(path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw StoreError.corrupt("cannot open \(path) to sync: errno \(errno)") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw StoreError.corrupt("fsync of \(path) failed: errno \(errno)") }
    }
}
