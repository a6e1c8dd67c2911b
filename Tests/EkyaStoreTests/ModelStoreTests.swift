import Foundation
import Testing

@testable import EkyaStore

@Suite(.timeLimit(.minutes(10))) struct ModelStoreTests {
    struct WriterFailed: Error {}

    static func temporaryRoot() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ekya-models-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func writesVersionsInTritonLayout() throws {
        // Given a model store
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let store = try ModelStore(root: root.appendingPathComponent("models"))
        let metadata = ModelMetadata(
            stream: "cam",
            version: 1,
            createdAt: Date(timeIntervalSince1970: 0),
            window: nil,
            configuration: nil,
            validationAccuracy: 0.7
        )
        // When a version is written
        try store.write(metadata) { path in try Data("weights".utf8).write(to: URL(fileURLWithPath: path)) }
        // Then models/<stream>/<version>/model.pt and metadata.json exist and nothing temporary is left
        #expect(store.contains(stream: "cam", version: 1))
        #expect(try String(contentsOfFile: store.modelPath(stream: "cam", version: 1), encoding: .utf8) == "weights")
        #expect(try store.metadata(stream: "cam", version: 1) == metadata)
        #expect(store.versions(stream: "cam") == [1])
        #expect(store.relativePath(stream: "cam", version: 1) == "models/cam/1/model.pt")
        let names = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("models/cam").path)
        #expect(names == ["1"])
        try store.remove(stream: "cam", version: 1)
        #expect(!store.contains(stream: "cam", version: 1))
        #expect(store.streams() == ["cam"])
    }

    @Test func aFailedWriteLeavesNoVersion() throws {
        // Given a model store
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let store = try ModelStore(root: root)
        let metadata = ModelMetadata(
            stream: "cam",
            version: 2,
            createdAt: Date(),
            window: 3,
            configuration: "head-4",
            validationAccuracy: nil
        )
        // When the model writer fails half-way
        #expect(throws: WriterFailed.self) {
            try store.write(metadata) { path in
                try Data("half".utf8).write(to: URL(fileURLWithPath: path))
                throw WriterFailed()
            }
        }
        // Then there is no version 2 and no temporary directory
        #expect(!store.contains(stream: "cam", version: 2))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("cam").path).isEmpty)
    }

    @Test func removesTemporariesLeftByACrash() throws {
        // Given a temporary directory left by a killed writer
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let store = try ModelStore(root: root)
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("cam/.tmp-3-x"),
            withIntermediateDirectories: true
        )
        // When the store is cleaned at start-up
        // Then it is removed
        #expect(store.removeTemporaries() == 1)
        #expect(store.versions(stream: "cam").isEmpty)
    }
}
