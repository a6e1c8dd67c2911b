import EkyaStore
import EkyaVideo
import Foundation
import GRDB
import Testing

@testable import EkyaApp

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Faults injected into a real `ekya serve` process.
///
/// Crashes at exact points (fail points armed by `EKYA_FAILPOINTS`), a job that never returns, a
/// file-descriptor limit, TLS. Each asserts that what was committed stays.
@Suite(.serialized, .timeLimit(.minutes(10))) struct ServeFaultTests {
    /// A server on a small configuration: two streams, short windows.
    static func smallServer(streams: [String] = ["stable", "weather"]) throws -> ServeProcess {
        let server = try ServeProcess()
        let file = server.directory.appendingPathComponent("serve.json")
        let names = streams.map { "\"\($0)\"" }.joined(separator: ",")
        let json = """
            {"token": "unused", "data_dir": "unused", "streams": [\(names)], "window_seconds": 20, "pause_seconds": 0.5}
            """
        try Data(json.utf8).write(to: file)
        server.configFile = file.path
        return server
    }

    /// Waits for the process to end, up to `seconds`.
    static func ended(_ server: ServeProcess, within seconds: Double) async throws -> Bool {
        try await server.wait(seconds: seconds) != nil
    }

    @Test(.enabled(if: VideoClips.available, "scripts/setup fetches the clips"))
    func servesAVideoCameraBesideAFashionStreamAndKeepsItsSourceAcrossARestart() async throws {
        // Given a service with a Fashion-MNIST stream and a video camera on the street clip
        let server = try ServeProcess()
        let file = server.directory.appendingPathComponent("serve.json")
        let json = """
            {"token": "unused", "data_dir": "unused", "window_seconds": 20, "pause_seconds": 0.5,
             "streams": ["stable", {"id": "street", "scenario": "weather", "source": "\(VideoClips.bikes)"}]}
            """
        try Data(json.utf8).write(to: file)
        server.configFile = file.path
        try server.start()
        // Then windows run over both, and the camera reports its recording
        _ = try await server.waitFor(seconds: 600) { ($0["last_completed_window"] as? Int ?? 0) >= 1 }
        let streams = try #require(await server.get("/api/streams") as? [[String: Any]])
        #expect(streams.map { $0["id"] as? String } == ["stable", "street"])
        #expect(streams.last?["source"] as? String == VideoClips.bikes)
        #expect(streams.first?["source"] == nil)
        let windows = try #require(await server.get("/api/windows?stream=street&limit=5") as? [[String: Any]])
        let measured = windows.compactMap { $0["accuracy_realised"] as? Double }
        #expect(!measured.isEmpty && measured.allSatisfy { (0...1).contains($0) }, "\(windows)")
        // and after a restart the camera is restored from the database with its source
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.wait(seconds: 60) == 0)
        #expect(
            try ServiceStore(path: server.dataDirectory + "/ekya.sqlite").stream("street")?.source == VideoClips.bikes
        )
        try server.start()
        let after = try await server.waitFor(seconds: 600) { ($0["last_completed_window"] as? Int ?? 0) >= 2 }
        #expect(after["status"] as? String == "ok")
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.wait(seconds: 60) == 0)
    }

    @Test func aKillNineInTheMiddleOfAModelWriteLosesNothing() async throws {
        // Given a server that is killed after a retrained model's files are flushed but before its directory
        // is renamed into place (the two starting models are writes 1 and 2)
        let server = try Self.smallServer()
        server.environment = ["EKYA_FAILPOINTS": "model-write=kill@3"]
        try server.start()
        #expect(try await Self.ended(server, within: 600))
        #expect(server.wasKilled, "\(server.log(0).suffix(2000))")
        #expect(server.log(0).contains("fail point model-write: kill"))
        // Then the half-written version is a hidden temporary directory, the database is sound, and every
        // serving version is complete on disk
        let root = URL(fileURLWithPath: server.dataDirectory + "/models")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root.path).flatMap { stream in
            ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(stream).path)) ?? [])
                .filter { $0.hasPrefix(".tmp-") }
        }
        #expect(leftovers.count == 1, "\(leftovers)")
        let store = try ServiceStore(path: server.dataDirectory + "/ekya.sqlite")
        #expect(try store.integrityCheck() == "ok")
        let models = try ModelStore(root: root)
        let serving = try store.streams().map { ($0.id, $0.servingVersion) }
        #expect(serving.count == 2)
        for (stream, version) in serving {
            let version = try #require(version, "\(stream) has no serving version")
            #expect(models.contains(stream: stream, version: version))
        }
        let killedWindow = try #require(try store.windows(limit: 10).first { $0.status == .running }?.number)
        // When it restarts without the fail point
        server.environment = [:]
        try server.start()
        let health = try await server.waitFor(seconds: 600) {
            ($0["last_completed_window"] as? Int ?? 0) > killedWindow
        }
        // Then the interrupted window is recorded, the leftover is gone, the versions that served still serve
        // (or a retrained successor does), and a clean stop leaves nothing behind
        #expect(health["interrupted_at_start"] as? [Int] == [killedWindow])
        #expect(server.log(1).contains("recovered after an unclean stop"))
        let streams = try #require(await server.get("/api/streams") as? [[String: Any]])
        for (stream, version) in serving {
            let served = streams.first { $0["id"] as? String == stream }?["serving_version"] as? Int
            #expect((served ?? 0) >= (version ?? 0), "\(stream): \(streams)")
        }
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.wait(seconds: 60) == 0)
        #expect(models.removeTemporaries() == 0)
        for stream in try store.streams() {
            let version = try #require(stream.servingVersion)
            #expect(models.contains(stream: stream.id, version: version))
        }
    }

    @Test func aKillNineInTheMiddleOfAMigrationKeepsThePreviousSchemaAndItsRows() async throws {
        // Given a data directory whose database is at schema v3 with a stream and a window
        let server = try Self.smallServer()
        try FileManager.default.createDirectory(atPath: server.dataDirectory, withIntermediateDirectories: true)
        let path = server.dataDirectory + "/ekya.sqlite"
        let previous = Array(StoreMigrations.identifiers.dropLast())
        try Self.makeDatabase(path: path, upTo: try #require(previous.last))
        // When the server is killed after the pending migration ran its statements, before it committed
        server.environment = ["EKYA_FAILPOINTS": "migration=kill"]
        try server.start()
        #expect(try await Self.ended(server, within: 120))
        #expect(server.wasKilled, "\(server.log(0).suffix(2000))")
        // Then the database is sound, still at the previous schema, with every row
        let inspected = try Self.inspect(path: path)
        #expect(inspected.applied == Set(previous))
        #expect(inspected.integrity == "ok")
        #expect(inspected.results == 1)
        // and the next open migrates it, rows intact
        let store = try ServiceStore(path: path)
        #expect(try Self.inspect(path: path).applied == Set(StoreMigrations.identifiers))
        #expect(try store.stream("cam-1")?.servingVersion == 2)
        #expect(try store.windows(stream: "cam-1").first?.result?.measuredAccuracy == 0.6)
    }

    @Test func aTrainingStepThatNeverReturnsIsReportedStalledWhileTheAPIServesAndAStopStillEnds() async throws {
        // Given a server whose fifth retraining step never returns, with stalls reported after 3 s
        let server = try Self.smallServer()
        server.environment = ["EKYA_FAILPOINTS": "training-step=hang@5"]
        server.extraArguments = ["--stall-seconds", "3"]
        try server.start()
        // Then health reports the window stalled, and the API and metrics keep answering
        let health = try await server.waitFor(seconds: 600) { $0["stalled_seconds"] != nil }
        #expect(health["status"] as? String == "degraded")
        #expect((health["stalled_seconds"] as? Double ?? 0) > 3)
        let stalledWindow = try #require(health["window"] as? Int)
        #expect(await server.get("/api/streams") as? [[String: Any]] != nil)
        let metrics = try await Self.text(server, "/metrics")
        let gauge = metrics.split(separator: "\n").first { $0.hasPrefix("ekya_window_stalled_seconds ") }
        #expect(Double(gauge?.split(separator: " ").last ?? "") ?? 0 > 3, "\(gauge ?? "no gauge")")
        // When it is asked to stop, it ends after the grace period with an error that says why
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.wait(seconds: 90) == 1)
        #expect(server.log(0).contains("did not stop within"), "\(server.log(0).suffix(2000))")
        // and what was committed stays: the stalled window is interrupted at the next start
        let store = try ServiceStore(path: server.dataDirectory + "/ekya.sqlite")
        #expect(try store.integrityCheck() == "ok")
        #expect(try store.recover().interruptedWindows == [stalledWindow])
    }

    @Test func idleConnectionsCannotExhaustFileDescriptorsAndAreClosed() async throws {
        // Given a server limited to 128 open files (64 connections at once)
        let server = try Self.smallServer()
        server.launcher = ["/usr/bin/prlimit", "--nofile=128:128", "--"]
        try server.start()
        _ = try await server.waitFor(seconds: 300) { _ in true }
        #expect(server.log(0).contains("max_connections=64"), "\(server.log(0).prefix(3000))")
        // When 150 connections are opened and send nothing
        let sockets = (0..<150).compactMap { _ in Self.connect(port: server.port) }
        defer {
            for socket in sockets { close(socket) }
        }
        #expect(sockets.count == 150)
        try await Task.sleep(for: .seconds(2))
        // Then the server holds fewer than its limit of descriptors and keeps running
        let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.process.processIdentifier)/fd")
        #expect(open.count < 128, "\(open.count) open descriptors")
        #expect(server.process.isRunning)
        // and windows commit (their model writes find descriptors), and the idle connections are closed by
        // the server after its 30 s idle timeout
        let health = try await server.waitFor(seconds: 300) { ($0["last_completed_window"] as? Int ?? 0) >= 1 }
        #expect(health["status"] as? String == "ok")
        var closed = Set<Int32>()
        let deadline = Date().addingTimeInterval(120)
        while closed.count < 64, Date() < deadline {
            for socket in sockets where !closed.contains(socket) {
                var byte: UInt8 = 0
                if recv(socket, &byte, 1, Int32(MSG_DONTWAIT)) == 0 { closed.insert(socket) }
            }
            try await Task.sleep(for: .seconds(1))
        }
        #expect(closed.count >= 64, "\(closed.count) of 150 closed by the server")
        #expect(server.process.isRunning)
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.wait(seconds: 60) == 0)
    }

    @Test func servesHTTPSWithTheGivenCertificateAndRefusesBadTLSFiles() async throws {
        // Given a self-signed certificate for 127.0.0.1
        let server = try Self.smallServer()
        let certificate = server.directory.appendingPathComponent("cert.pem").path
        let key = server.directory.appendingPathComponent("key.pem").path
        let made = try CLI.tool(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ]
        )
        #expect(made == 0)
        // When the server starts with it
        server.extraArguments = ["--tls-cert", certificate, "--tls-key", key]
        try server.start()
        // Then a client that trusts the certificate gets answers over HTTPS, and plain HTTP gets none
        var answer = ""
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline, server.process.isRunning {
            answer = try Self.curl(["--cacert", certificate, "https://127.0.0.1:\(server.port)/api/health"])
            if answer.contains("\"status\"") { break }
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(answer.contains("\"status\":\"ok\""), "\(answer) \(server.log(0).suffix(2000))")
        #expect(try !Self.curl(["http://127.0.0.1:\(server.port)/api/health"]).contains("\"status\""))
        #expect(server.log(0).contains("listening on https://"))
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.wait(seconds: 60) == 0)
        // When the key is not a key, or one of the pair is missing, then it refuses before binding
        for arguments in [["--tls-cert", certificate, "--tls-key", certificate], ["--tls-cert", certificate]] {
            let result = try CLI.run(
                ["serve", "--demo", "--data-dir", server.dataDirectory, "--listen", "127.0.0.1:0"] + arguments
            )
            #expect(result.status != 0)
            let message = result.standardError + result.standardOutput
            #expect(message.lowercased().contains("tls"), "\(message)")
        }
    }

    // MARK: - Helpers

    /// A database at migration `identifier` holding a stream, a run, a window and its result.
    static func makeDatabase(path: String, upTo identifier: String) throws {
        let pool = try DatabasePool(path: path)
        try StoreMigrations.migrator.migrate(pool, upTo: identifier)
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
    }

    /// The applied migrations, the integrity check and the count of per-stream results of a database file.
    static func inspect(path: String) throws -> (applied: Set<String>, integrity: String?, results: Int?) {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            (
                try StoreMigrations.migrator.appliedIdentifiers(db),
                try String.fetchOne(db, sql: "PRAGMA integrity_check"),
                try Int.fetchOne(db, sql: "SELECT count(*) FROM stream_windows")
            )
        }
    }

    static func connect(port: Int) -> Int32? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            return nil
        }
        return descriptor
    }

    static func text(_ server: ServeProcess, _ path: String) async throws -> String {
        let url = try #require(URL(string: "http://127.0.0.1:\(server.port)\(path)"))
        let (data, _) = try await URLSession.shared.data(from: url)
        return String(decoding: data, as: UTF8.self)
    }

    /// curl's standard output (empty when it fails), with a 10 s limit.
    static func curl(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sS", "--max-time", "10"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
