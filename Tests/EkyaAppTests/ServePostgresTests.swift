import EkyaStore
import EkyaStorePostgres
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ekya serve --store postgres://…` as a real process against a real PostgreSQL server.
@Suite(.serialized, .timeLimit(.minutes(10))) struct ServePostgresTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var url: String {
        ProcessInfo.processInfo.environment["EKYA_TEST_POSTGRES_URL"] ?? "postgres://ekya@127.0.0.1:55432/ekya_test"
    }

    /// Runs a command to its end and returns its exit status: posix_spawn and a polled waitpid (Foundation's
    /// Process does not always see the exit of a script whose children daemonise, as pg_ctl's server does).
    static func spawn(_ arguments: [String]) async throws -> Int32 {
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid { return (status >> 8) & 0xff }
            // Reaped by someone else: the status is lost, the caller checks the effect.
            if waited < 0 { return 0 }
            try await Task.sleep(for: .milliseconds(100))
        }
        kill(pid, SIGKILL)
        return -1
    }

    static func schemaURL(_ base: String, _ schema: String) -> String {
        base + (base.contains("?") ? "&" : "?") + "schema=\(schema)"
    }

    @Test func resumesAfterKillNineFromItsNewestModelsInPostgreSQL() async throws {
        // Given a demo server on a PostgreSQL store that has completed a window and is inside the next one
        let schema = "serve_\(UUID().uuidString.prefix(8).lowercased())"
        let url = Self.schemaURL(Self.url, schema)
        let server = try ServeProcess()
        server.extraArguments = ["--store", url, "--window-seconds", "10"]
        try server.start()
        _ = try await server.waitFor(seconds: 300) { health in
            (health["last_completed_window"] as? Int ?? 0) >= 1 && health["phase"] as? String == "window"
        }
        // When it is killed with SIGKILL
        kill(server.process.processIdentifier, SIGKILL)
        #expect(try await server.wait(seconds: 10) != nil)
        let store = try PostgresServiceStore(url: url)
        defer { try? store.dropSchema() }
        let serving = try store.streams().map { ($0.id, $0.servingVersion ?? 0) }
        #expect(serving.count == 5)
        #expect(try store.windows(limit: 100).filter { $0.status == .running }.count <= 1)
        let completed = try store.windows(limit: 100).filter { $0.status == .completed }.map(\.number).max() ?? 0
        // Then a restart recovers, every stream serves at least the version it had, and windows go on
        try server.start()
        _ = try await server.waitFor(seconds: 300) { ($0["last_completed_window"] as? Int ?? 0) > completed }
        let streams = try #require(await server.get("/api/streams") as? [[String: Any]])
        for (stream, version) in serving {
            let served = try #require(streams.first { $0["id"] as? String == stream }?["serving_version"] as? Int)
            #expect(served >= version, "\(stream)")
        }
        // and SIGTERM stops it cleanly: one crashed run, one stopped, nothing left running
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.wait(seconds: 60) == 0)
        #expect(try store.runs().map(\.status) == [.crashed, .stopped])
        #expect(try store.windows(limit: 1000).allSatisfy { $0.status != .running })
        #expect(try store.appliedMigrations() == StoreMigrations.identifiers)
    }

    @Test func aDatabaseThatGoesAwayDegradesTheServiceWhichServesOnAndResyncsWhenItIsBack() async throws {
        // Given a PostgreSQL server of this test's own, and a demo server on it that has committed a window
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try ServeProcess.freePort()
        let script = Self.repository.appendingPathComponent("scripts/postgres").path
        func postgres(_ command: String) async throws -> Int32 {
            try await Self.spawn([
                "/usr/bin/env", "EKYA_PG_DIR=\(directory.appendingPathComponent("pg").path)", "EKYA_PG_PORT=\(port)",
                "/bin/bash", script, command,
            ])
        }
        #expect(try await postgres("start") == 0)
        do {
            let url = "postgres://ekya@127.0.0.1:\(port)/ekya_test"
            let server = try ServeProcess()
            server.extraArguments = ["--store", url, "--window-seconds", "10"]
            try server.start()
            let before = try await server.waitFor(seconds: 300) { ($0["last_completed_window"] as? Int ?? 0) >= 1 }
            let committed = before["last_completed_window"] as? Int ?? 0
            // When the database server stops
            #expect(try await postgres("stop") == 0)
            // Then the service keeps running, reports the fault, and the API says the database is unavailable
            let degraded = try await server.waitFor(seconds: 300) { $0["status"] as? String == "degraded" }
            #expect((degraded["storage_fault"] as? String)?.contains("127.0.0.1:\(port)") == true, "\(degraded)")
            #expect(server.process.isRunning)
            #expect(await server.get("/api/streams") == nil)
            // When it is back
            #expect(try await postgres("start") == 0)
            // Then windows commit again and the fault clears; what was committed before is still there
            let healed = try await server.waitFor(seconds: 300) { health in
                health["status"] as? String == "ok" && (health["last_completed_window"] as? Int ?? 0) > committed + 1
            }
            #expect(healed["storage_fault"] == nil || healed["storage_fault"] is NSNull)
            kill(server.process.processIdentifier, SIGTERM)
            #expect(try await server.wait(seconds: 60) == 0)
            let store = try PostgresServiceStore(url: url)
            #expect(try store.window(number: committed)?.status == .completed)
            #expect(try store.streams().count == 5)
            #expect(try store.windows(limit: 1000).allSatisfy { $0.status != .running })
        } catch {
            _ = try? await postgres("stop")
            throw error
        }
        _ = try await postgres("stop")
    }
}
