import EkyaStore
import EkyaStorePostgres
import Foundation
import Testing

/// The store backends the shared store suite runs against: both, always.
///
/// PostgreSQL is the server at `EKYA_TEST_POSTGRES_URL`, by default the one `scripts/postgres` starts (the
/// test command starts it); each test gets a schema of its own, dropped afterwards, so tests run in parallel.
enum StoreBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    static var postgresURL: String {
        ProcessInfo.processInfo.environment["EKYA_TEST_POSTGRES_URL"] ?? "postgres://ekya@127.0.0.1:55432/ekya_test"
    }

    /// A fresh, empty, migrated store of this backend, for the length of `body`.
    func withStore<T>(_ body: (any ServiceStoring) throws -> T) throws -> T {
        switch self {
        case .sqlite:
            return try body(try ServiceStore.inMemory())
        case .postgres:
            let store = try Self.postgresStore(schema: "test_\(UUID().uuidString.prefix(8).lowercased())")
            defer { try? store.dropSchema() }
            return try body(store)
        }
    }

    /// A PostgreSQL store in `schema`, with a message saying how to start a server when none answers.
    static func postgresStore(schema: String) throws -> PostgresServiceStore {
        do {
            return try PostgresServiceStore(url: postgresURL, schema: schema)
        } catch let error as StoreError {
            Issue.record("\(error) — start one with scripts/postgres, or set EKYA_TEST_POSTGRES_URL")
            throw error
        }
    }
}

extension StreamWindowRecord {
    /// A stream's result in a window, with only the accuracies set.
    static func result(window: Int64, stream: String, accuracy: Double) -> StreamWindowRecord {
        StreamWindowRecord(
            windowId: window,
            stream: stream,
            startAccuracy: 0.5,
            measuredAccuracy: accuracy,
            simulatedAccuracy: 0.6,
            configuration: nil,
            predictedEndAccuracy: nil,
            realisedEndAccuracy: nil,
            predictedCost: nil,
            realisedCost: nil,
            swapTime: nil,
            refusedSwap: false,
            failure: nil,
            shareError: 0,
            modelVersion: nil,
            timeline: "[]",
            labelAccuracy: 1
        )
    }
}
