import Foundation
import GRDB
import Testing

@testable import EkyaStore

@Suite(.timeLimit(.minutes(10))) struct MigrationTests {
    @Test func migratesAnEmptyDatabaseToTheCurrentSchema() throws {
        // Given an empty database
        let queue = try DatabaseQueue()
        // When the store opens it
        let store = try ServiceStore(writer: queue)
        // Then every migration is applied and every table exists
        let applied = try queue.read { try StoreMigrations.migrator.appliedIdentifiers($0) }
        #expect(applied == Set(StoreMigrations.identifiers))
        for table in [
            "runs", "streams", "windows", "stream_windows", "plans", "profiling", "model_versions", "commands",
        ] {
            #expect(try queue.read { try $0.tableExists(table) }, "missing table \(table)")
        }
        #expect(try store.integrityCheck() == "ok")
    }

    @Test func migratesAPreviousSchemaDatabaseKeepingItsRows() throws {
        // Given a database file at schema v1 with a stream, a run, a window and its result
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ekya-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ekya.sqlite").path
        do {
            let pool = try DatabasePool(path: path)
            try StoreMigrations.migrator.migrate(pool, upTo: "v1-initial")
            try pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO streams (id, scenario, seed, status, servingVersion, createdAt)
                        VALUES ('cam-1', 'weather', 3, 'active', 2, '2026-01-01 00:00:00.000');
                        INSERT INTO runs (id, startedAt, status, configuration) VALUES (1, '2026-01-01 00:00:00.000', 'stopped', '{}');
                        INSERT INTO windows (id, runId, number, status, scheduler, streams, startedAt, windowSeconds)
                        VALUES (1, 1, 1, 'completed', 'thief', 'cam-1', '2026-01-01 00:00:00.000', 30);
                        INSERT INTO stream_windows (windowId, stream, startAccuracy, measuredAccuracy, simulatedAccuracy)
                        VALUES (1, 'cam-1', 0.5, 0.6, 0.61);
                        """
                )
            }
            #expect(try pool.read { try $0.tableExists("commands") } == false)
        }
        // When the current store opens it
        let store = try ServiceStore(path: path)
        // Then v2 and v3 are applied, the old rows are intact and the new columns have their defaults
        #expect(try store.writer.read { try $0.tableExists("commands") })
        #expect(try store.stream("cam-1")?.servingVersion == 2)
        let rows = try store.windows(stream: "cam-1")
        #expect(rows.count == 1)
        #expect(rows.first?.result?.measuredAccuracy == 0.6)
        #expect(rows.first?.result?.timeline == "[]")
        #expect(rows.first?.result?.labelAccuracy == nil)
        #expect(try store.windows(limit: 10).first?.labellingCost == nil)
        #expect(try store.writer.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try store.integrityCheck() == "ok")
    }
}
