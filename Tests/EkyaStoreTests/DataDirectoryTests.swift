import Foundation
import Testing

@testable import EkyaStore

@Suite struct DataDirectoryTests {
    /// A fresh directory under the system's temporary one, removed when the suite's value is released.
    let scratch: URL

    init() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ekya-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    func temporaryDirectory() throws -> URL {
        let url = scratch.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A data directory with a committed stream and one stored model version.
    func populated() throws -> URL {
        let root = try temporaryDirectory().appendingPathComponent("data")
        let data = try DataDirectory(path: root.path)
        for index in 0..<200 {
            _ = try data.store.requestAdd(id: "cam-\(index)", scenario: "stable", seed: Int64(index))
        }
        try data.models.write(
            ModelMetadata(
                stream: "cam-0",
                version: 1,
                createdAt: Date(),
                window: 0,
                configuration: nil,
                validationAccuracy: 0.5
            )
        ) { path in try Data("weights".utf8).write(to: URL(fileURLWithPath: path)) }
        return root
    }

    static func modelFile(_ root: URL) -> String {
        root.appendingPathComponent("models/cam-0/1/model.pt").path
    }

    @Test func aNewDirectoryOpensOwnerOnly() throws {
        defer { try? FileManager.default.removeItem(at: scratch) }
        let root = try temporaryDirectory().appendingPathComponent("fresh")
        let data = try DataDirectory(path: root.path)
        #expect(try data.store.streams().isEmpty)
        let directory = try FileManager.default.attributesOfItem(atPath: root.path)
        let database = try FileManager.default.attributesOfItem(atPath: root.appendingPathComponent("ekya.sqlite").path)
        #expect((directory[.posixPermissions] as? Int) == 0o700)
        #expect((database[.posixPermissions] as? Int) == 0o600)
    }

    @Test(arguments: ["missing", "empty"])
    func aLostDatabaseBesideStoredModelsIsRefusedAndNothingIsDeleted(state: String) throws {
        defer { try? FileManager.default.removeItem(at: scratch) }
        // Given a data directory whose database was deleted or truncated, with a stored model beside it
        let root = try populated()
        let database = root.appendingPathComponent("ekya.sqlite")
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: database.path + suffix)
        }
        if state == "empty" { try Data().write(to: database) }
        // When it is opened, then it is refused with a message naming the database and the models,
        #expect {
            try DataDirectory(path: root.path)
        } throws: { error in
            let message = "\(error)"
            return message.contains("ekya.sqlite is \(state)") && message.contains("1 stored model version")
                && message.contains("Nothing was changed")
        }
        // and the model is still there, and no new database was created in its place.
        #expect(FileManager.default.fileExists(atPath: Self.modelFile(root)))
        let size = (try? FileManager.default.attributesOfItem(atPath: database.path)[.size] as? Int) ?? nil
        #expect(state == "missing" ? size == nil : size == 0)
    }

    @Test func aModelStoreThatIsAFileIsRefusedWithAMessage() throws {
        defer { try? FileManager.default.removeItem(at: scratch) }
        let root = try temporaryDirectory()
        try Data("x".utf8).write(to: root.appendingPathComponent("models"))
        #expect {
            try DataDirectory(path: root.path)
        } throws: { error in
            "\(error)".contains("models is a file, not the model store's directory")
        }
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("ekya.sqlite").path))
    }

    @Test func aDamagedDatabaseIsRefusedAtStartNamingTheFile() throws {
        defer { try? FileManager.default.removeItem(at: scratch) }
        // Given a data directory whose database has three pages overwritten
        let root = try populated()
        let database = root.appendingPathComponent("ekya.sqlite")
        let handle = try FileHandle(forUpdating: database)
        let length = try handle.seekToEnd()
        #expect(length > 4 * 4096)
        try handle.seek(toOffset: 2 * 4096)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 3 * 4096))
        try handle.close()
        // When it is opened, then it is refused with a message naming the file
        #expect {
            try DataDirectory(path: root.path)
        } throws: { error in
            let message = "\(error)"
            return message.contains(database.path) && message.contains("restore it from a backup")
        }
        #expect(FileManager.default.fileExists(atPath: Self.modelFile(root)))
    }
}
