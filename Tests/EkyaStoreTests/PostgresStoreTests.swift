import EkyaStore
import EkyaStorePostgres
import Foundation
import Testing

/// What only the PostgreSQL backend has: several processes sharing one database, and a server that can be
/// wrong or absent.
@Suite(.timeLimit(.minutes(10))) struct PostgresStoreTests {
    static func schema() -> String { "test_\(UUID().uuidString.prefix(8).lowercased())" }

    @Test func nodesStartingTogetherMigrateTheSchemaOnce() async throws {
        // Given four nodes opening one new schema at the same moment
        let schema = Self.schema()
        let stores = try await withThrowingTaskGroup(of: PostgresServiceStore.self) { group in
            for _ in 0..<4 {
                group.addTask { try StoreBackend.postgresStore(schema: schema) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        defer { try? stores.first?.dropSchema() }
        // Then every migration is recorded once, in order, and all of them see one database
        #expect(try stores[0].appliedMigrations() == StoreMigrations.identifiers)
        try stores[1].requestAdd(id: "cam", scenario: "stable", seed: 1)
        for store in stores { #expect(try store.stream("cam")?.status == .pending) }
    }

    @Test func twoNodesAddingOneStreamAtOnceQueueItOnce() async throws {
        // Given two nodes on one database
        let schema = Self.schema()
        let first = try StoreBackend.postgresStore(schema: schema)
        defer { try? first.dropSchema() }
        let second = try StoreBackend.postgresStore(schema: schema)
        // When both add the same 20 streams concurrently
        let ids = (0..<20).map { "cam-\($0)" }
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for store in [first, second] {
                for id in ids {
                    group.addTask { (try? store.requestAdd(id: id, scenario: "stable", seed: 1)) != nil }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        // Then each stream was accepted once and has one add command (serializable transactions)
        #expect(outcomes.filter { $0 }.count == ids.count)
        #expect(try first.streams().count == ids.count)
        let commands = try second.pendingCommands()
        #expect(commands.count == ids.count)
        #expect(Set(commands.map(\.stream)) == Set(ids))
    }

    @Test func aWrongURLOrAnAbsentServerIsAClearErrorNamingIt() throws {
        // Given URLs that cannot work
        let cases: [(url: String, says: String)] = [
            ("mysql://ekya@127.0.0.1/ekya", "is not a PostgreSQL URL"),
            ("postgres://127.0.0.1/ekya", "names no user"),
            ("postgres://ekya:secret@127.0.0.1:1/ekya_test", "127.0.0.1:1/ekya_test"),
        ]
        for (url, says) in cases {
            // Then opening the store fails with a message that names the problem and hides the password
            do {
                _ = try PostgresServiceStore(url: url, schema: "ekya")
                Issue.record("\(url) opened")
            } catch let error as StoreError {
                guard case .unavailable = error else {
                    Issue.record("\(url): \(error) is not 'unavailable'")
                    continue
                }
                #expect(error.description.contains(says), "\(error)")
                #expect(!error.description.contains("secret"))
            }
        }
        // And a database that does not exist on a server that does is named too
        let missing = StoreBackend.postgresURL.replacingOccurrences(of: "/ekya_test", with: "/no_such_database")
        #expect {
            _ = try PostgresServiceStore(url: missing, schema: "ekya")
        } throws: { error in
            "\(error)".contains("no_such_database") && "\(error)".contains("3D000")
        }
    }

    @Test func aLostConnectionIsReopenedOnTheNextCall() throws {
        // Given a store whose server-side session is terminated (a restart, a failover)
        let store = try StoreBackend.postgresStore(schema: Self.schema())
        defer { try? store.dropSchema() }
        try store.requestAdd(id: "cam", scenario: "stable", seed: 1)
        let other = try StoreBackend.postgresStore(schema: Self.schema())
        defer { try? other.dropSchema() }
        try other.terminate(serverProcessID: try store.serverProcessID())
        // When the next calls run: the first may report the loss, the ones after it work again
        _ = try? store.stream("cam")
        #expect(try store.stream("cam")?.status == .pending)
    }
}
