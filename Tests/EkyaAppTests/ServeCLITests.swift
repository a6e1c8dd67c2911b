import EkyaDataML
import EkyaStore
import EkyaTestSupport
import Foundation
import Testing

@testable import EkyaApp

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A real `ekya serve --demo` process on a free loopback port, with its own data directory.
final class ServeProcess {
    let directory: URL
    let port: Int
    let token = "test-token"
    private(set) var process = Process()
    var logs: [String] = []
    /// Set in the next start's environment (fail points: `EKYA_FAILPOINTS`).
    var environment: [String: String] = [:]
    /// Appended to the next start's arguments.
    var extraArguments: [String] = []
    /// Runs the server under this command, which must exec it (`prlimit --nofile=128 --`).
    var launcher: [String] = []
    var scheme = "http"
    /// A configuration file to serve instead of `--demo` (the flags still set listen, data dir and token).
    var configFile: String?

    init() throws {
        directory = try CLI.temporaryDirectory()
        port = try Self.freePort()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    var dataDirectory: String { directory.appendingPathComponent("data").path }

    /// Starts (or restarts) the server; its output goes to log-N.txt.
    func start() throws {
        process = Process()
        let arguments =
            [
                "serve", "--listen", "127.0.0.1:\(port)", "--data-dir", dataDirectory, "--token", token,
                "--pause-seconds", "0.5",
            ] + (configFile.map { ["--config", $0] } ?? ["--demo"]) + extraArguments
        if let command = launcher.first {
            process.executableURL = URL(fileURLWithPath: command)
            process.arguments = Array(launcher.dropFirst()) + [CLI.executable.path] + arguments
        } else {
            process.executableURL = CLI.executable
            process.arguments = arguments
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let log = directory.appendingPathComponent("log-\(logs.count).txt")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        logs.append(log.path)
        try process.run()
    }

    func log(_ index: Int) -> String {
        (try? String(contentsOfFile: logs[index], encoding: .utf8)) ?? ""
    }

    /// Waits for the process to end; returns its exit status.
    func wait(seconds: Double) async throws -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Whether the process was killed by SIGKILL (a fail point's `kill`).
    var wasKilled: Bool {
        !process.isRunning && process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL
    }

    func get(_ path: String) async -> Any? {
        guard let url = URL(string: "\(scheme)://127.0.0.1:\(port)\(path)"),
            let (data, response) = try? await URLSession.shared.data(from: url),
            (response as? HTTPURLResponse)?.statusCode == 200
        else { return nil }
        return try? JSONSerialization.jsonObject(with: data)
    }

    func health() async -> [String: Any]? { await get("/api/health") as? [String: Any] }

    /// POSTs a JSON object with the bearer token; returns the status code.
    func post(_ path: String, _ body: [String: Any]) async -> Int? {
        guard let url = URL(string: "\(scheme)://127.0.0.1:\(port)\(path)"),
            let data = try? JSONSerialization.data(withJSONObject: body)
        else { return nil }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = data
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return nil }
        return (response as? HTTPURLResponse)?.statusCode
    }

    /// Polls /api/health until `condition` holds (a hang guard, not a sleep: every 200 ms up to `seconds`).
    func waitFor(seconds: Double, _ condition: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let health = await health(), condition(health) { return health }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("condition not reached within \(seconds) s; log:\n\(log(logs.count - 1).suffix(3000))")
        throw CancellationError()
    }

    static func freePort() throws -> Int { try BenchFailoverCommand.freePort() }
}

@Suite(.serialized, .timeLimit(.minutes(10))) struct ServeCLITests {
    @Test func resumesAfterKillNineInTheMiddleOfAWindow() async throws {
        // Given a demo server that has completed a window and is in the middle of the next one, when it is
        // killed with SIGKILL. The window that was running is read from the database after the kill: the
        // health answer that triggered the kill can be seconds old when the test process is loaded. A kill
        // that lands in the pause between two windows is retried (at most 3 kills).
        let server = try ServeProcess()
        var interrupted: Int?
        for _ in 0..<3 where interrupted == nil {
            try server.start()
            _ = try await server.waitFor(seconds: 300) { health in
                (health["last_completed_window"] as? Int ?? 0) >= 1 && health["phase"] as? String == "window"
                    && health["window"] is Int
            }
            kill(server.process.processIdentifier, SIGKILL)
            #expect(try await server.wait(seconds: 10) != nil)
            let running = try ServiceStore(path: server.dataDirectory + "/ekya.sqlite").windows(limit: 100)
                .filter { $0.status == .running }.map(\.number)
            #expect(running.count <= 1, "\(running)")
            interrupted = running.first
        }
        let interruptedWindow = try #require(interrupted, "three kills all landed between windows")
        let restart = server.logs.count
        // Then the database and model store are sound and record what was accepted
        let afterKill = try ServiceStore(path: server.dataDirectory + "/ekya.sqlite")
        #expect(try afterKill.integrityCheck() == "ok")
        let serving = try afterKill.streams().map { ($0.id, $0.servingVersion) }
        #expect(serving.count == 5)
        let models = try ModelStore(root: URL(fileURLWithPath: server.dataDirectory + "/models"))
        for (stream, version) in serving {
            let version = try #require(version)
            #expect(models.contains(stream: stream, version: version), "\(stream) v\(version) missing")
        }
        // When it restarts
        try server.start()
        let after = try await server.waitFor(seconds: 300) { health in
            (health["last_completed_window"] as? Int ?? 0) > interruptedWindow
        }
        // Then the interrupted window is recorded, every stream resumed its last accepted model, and the next
        // window completed normally
        #expect(after["interrupted_at_start"] as? [Int] == [interruptedWindow])
        let windows = try #require(await server.get("/api/windows?limit=100") as? [[String: Any]])
        let byNumber = Dictionary(windows.map { ($0["window"] as? Int ?? -1, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byNumber[interruptedWindow]?["status"] as? String == "interrupted")
        #expect(byNumber[interruptedWindow + 1]?["status"] as? String == "completed")
        // The ground-truth teacher's labelling is recorded: its cost, and every label right.
        #expect((byNumber[interruptedWindow + 1]?["labelling_cost"] as? Double ?? -1) >= 0)
        // (The completed window's row: the newest one may belong to a window that has not labelled yet.)
        let stable = try #require(await server.get("/api/windows?stream=stable&limit=100") as? [[String: Any]])
        let labelled = stable.first { $0["window"] as? Int == interruptedWindow + 1 }
        #expect(labelled?["label_accuracy"] as? Double == 1, "\(stable.prefix(3))")
        let streams = try #require(await server.get("/api/streams") as? [[String: Any]])
        #expect(streams.count == 5)
        for (stream, version) in serving {
            // No stream fell back to a freshly trained starting model: the restored version kept serving or a
            // retrained successor replaced it.
            let served = try #require(streams.first { $0["id"] as? String == stream }?["serving_version"] as? Int)
            #expect(served >= version ?? 0)
            let history = try #require(await server.get("/api/models/\(stream)") as? [String: Any])
            let versions = history["versions"] as? [[String: Any]] ?? []
            #expect(versions.filter { $0["window"] == nil }.count == 1, "\(stream): \(versions)")
        }
        #expect(server.log(restart).contains("recovered after an unclean stop"))
        #expect(!server.log(restart).contains(" error "), "\(server.log(restart))")
        // When it is stopped with SIGTERM, it exits 0 and leaves a sound database
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.wait(seconds: 60) == 0)
        let store = try ServiceStore(path: server.dataDirectory + "/ekya.sqlite")
        #expect(try store.integrityCheck() == "ok")
        #expect(try store.runs().map(\.status) == Array(repeating: .crashed, count: restart) + [.stopped])
        #expect(try store.windows(limit: 100).allSatisfy { $0.status != .running })
        #expect(models.removeTemporaries() == 0)
    }

    @Test func aModelStoreThatRefusesWritesDegradesTheServiceWhichServesOnAndLosesNothing() async throws {
        // Given a demo server that has committed a window
        let server = try ServeProcess()
        try server.start()
        let before = try await server.waitFor(seconds: 300) { ($0["last_completed_window"] as? Int ?? 0) >= 1 }
        let committed = before["last_completed_window"] as? Int ?? 0
        // When every stream's model directory stops accepting writes (each becomes a plain file; root ignores
        // permission bits, so a read-only mode would not stop this test's own process)
        let models = URL(fileURLWithPath: server.dataDirectory + "/models")
        let streams = try FileManager.default.contentsOfDirectory(atPath: models.path).filter { !$0.hasPrefix(".") }
        #expect(streams.count == 5)
        for stream in streams {
            try FileManager.default.moveItem(
                at: models.appendingPathComponent(stream),
                to: models.appendingPathComponent(".held-\(stream)")
            )
            try Data("not a directory".utf8).write(to: models.appendingPathComponent(stream))
        }
        // Then the service keeps running and serving, and reports the fault in /api/health and /metrics
        let degraded = try await server.waitFor(seconds: 300) { $0["status"] as? String == "degraded" }
        #expect((degraded["storage_fault"] as? String)?.isEmpty == false)
        #expect(server.process.isRunning)
        #expect(await server.get("/api/streams") as? [[String: Any]] != nil)
        let metrics = try String(contentsOf: URL(string: "http://127.0.0.1:\(server.port)/metrics")!, encoding: .utf8)
        #expect(metrics.contains("ekya_storage_fault 1"), "\(metrics.prefix(500))")
        // When the directories accept writes again
        for stream in streams {
            try FileManager.default.removeItem(at: models.appendingPathComponent(stream))
            try FileManager.default.moveItem(
                at: models.appendingPathComponent(".held-\(stream)"),
                to: models.appendingPathComponent(stream)
            )
        }
        // Then the next window commits and the fault clears
        let healed = try await server.waitFor(seconds: 300) { health in
            health["status"] as? String == "ok" && (health["last_completed_window"] as? Int ?? 0) > committed + 1
        }
        #expect(healed["storage_fault"] == nil || healed["storage_fault"] is NSNull)
        // and after SIGTERM the database is sound and every stream's serving model is on disk.
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.wait(seconds: 60) == 0)
        let store = try ServiceStore(path: server.dataDirectory + "/ekya.sqlite")
        #expect(try store.integrityCheck() == "ok")
        let modelStore = try ModelStore(root: models)
        for stream in try store.streams() {
            let version = try #require(stream.servingVersion)
            #expect(modelStore.contains(stream: stream.id, version: version), "\(stream.id) v\(version) missing")
        }
        #expect(
            try store.windows(limit: 100).contains { $0.status == .failed && ($0.note ?? "").contains("not persisted") }
        )
    }

    /// Whether this process may mount a tmpfs (root on Linux): the full-disk test needs a small file system.
    static let canMountTmpfs: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/bin/mount") else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("ekya-mount-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: probe) }
        guard (try? FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)) != nil,
            (try? CLI.tool("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe.path])) == 0
        else { return false }
        _ = try? CLI.tool("/bin/umount", [probe.path])
        return true
    }()

    @Test(.enabled(if: canMountTmpfs, "needs root to mount a small tmpfs"))
    func aFullDiskDegradesTheServiceWhichServesOnAndHealsWhenSpaceReturns() async throws {
        // Given a demo server whose data directory is a 64 MiB tmpfs, after a committed window
        let server = try ServeProcess()
        try FileManager.default.createDirectory(atPath: server.dataDirectory, withIntermediateDirectories: true)
        #expect(try CLI.tool("/bin/mount", ["-t", "tmpfs", "-o", "size=64m", "tmpfs", server.dataDirectory]) == 0)
        defer {
            if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) }
            _ = try? CLI.tool("/bin/umount", ["-l", server.dataDirectory])
        }
        try server.start()
        let before = try await server.waitFor(seconds: 300) { ($0["last_completed_window"] as? Int ?? 0) >= 1 }
        let committed = before["last_completed_window"] as? Int ?? 0
        // When the disk fills up
        let filler = URL(fileURLWithPath: server.dataDirectory + "/filler")
        let chunk = Data(repeating: 0xEE, count: 1 << 20)
        FileManager.default.createFile(atPath: filler.path, contents: nil)
        let handle = try FileHandle(forWritingTo: filler)
        while (try? handle.write(contentsOf: chunk)) != nil {}
        try? handle.close()
        // Then the service reports the fault and keeps serving
        let degraded = try await server.waitFor(seconds: 300) { $0["status"] as? String == "degraded" }
        #expect((degraded["storage_fault"] as? String)?.isEmpty == false)
        #expect(server.process.isRunning)
        #expect(await server.get("/api/streams") as? [[String: Any]] != nil)
        // and when space returns, the next window commits and the fault clears
        try FileManager.default.removeItem(at: filler)
        _ = try await server.waitFor(seconds: 300) { health in
            health["status"] as? String == "ok" && (health["last_completed_window"] as? Int ?? 0) > committed + 1
        }
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.wait(seconds: 60) == 0)
        // When it is started on a full disk, then it refuses with a message that says so (SQLite cannot open
        // its database without room for the write-ahead log), changing nothing,
        FileManager.default.createFile(atPath: filler.path, contents: nil)
        let refill = try FileHandle(forWritingTo: filler)
        while (try? refill.write(contentsOf: chunk)) != nil {}
        try? refill.close()
        try server.start()
        #expect(try await server.wait(seconds: 120) == 1)
        #expect(
            server.log(server.logs.count - 1).contains("the file system is full"),
            "\(server.log(server.logs.count - 1))"
        )
        // and when space returns it starts again and runs its windows.
        try FileManager.default.removeItem(at: filler)
        try server.start()
        _ = try await server.waitFor(seconds: 300) { health in
            health["status"] as? String == "ok" && (health["last_completed_window"] as? Int ?? 0) > committed + 2
        }
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.wait(seconds: 60) == 0)
        let store = try ServiceStore(path: server.dataDirectory + "/ekya.sqlite")
        #expect(try store.integrityCheck() == "ok")
        let models = try ModelStore(root: URL(fileURLWithPath: server.dataDirectory + "/models"))
        for stream in try store.streams() {
            let version = try #require(stream.servingVersion)
            #expect(models.contains(stream: stream.id, version: version), "\(stream.id) v\(version) missing")
        }
    }

    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// The dashboard's DOM after headless Chromium has loaded it and run its script.
    static func dashboardDOM(_ server: ServeProcess) async throws -> String {
        let chromium = try #require(Self.chromium)
        let directory = server.directory
        let port = server.port
        return try await offPool { try Self.dumpDOM(chromium: chromium, directory: directory, port: port) }
    }

    static func dumpDOM(chromium: String, directory: URL, port: Int) throws -> String {
        let browser = Process()
        browser.executableURL = URL(fileURLWithPath: chromium)
        let profile = directory.appendingPathComponent("chromium-profile").path
        browser.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=\(profile)",
            "--virtual-time-budget=8000", "--dump-dom", "http://127.0.0.1:\(port)/",
        ]
        // Chromium keeps state under $HOME: give it the test's directory (CI may run with a bare environment).
        browser.environment = ProcessInfo.processInfo.environment.merging(["HOME": directory.path]) { $1 }
        let output = Pipe()
        browser.standardOutput = output
        browser.standardError = FileHandle.nullDevice
        try browser.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        browser.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test(.enabled(if: chromium != nil, "Debian's chromium is not installed (scripts/setup installs it)"))
    func dashboardRendersEveryStreamsChartInAHeadlessBrowser() async throws {
        // Given a demo server with two completed windows
        let server = try ServeProcess()
        try server.start()
        _ = try await server.waitFor(seconds: 300) { ($0["last_completed_window"] as? Int ?? 0) >= 2 }
        // When headless Chromium loads the dashboard and runs its script
        let dom = try await Self.dashboardDOM(server)
        // Then every stream has a chart with data points, and the status line was filled in
        for stream in ["stable", "day-night", "weather", "class-shift", "mixed"] {
            #expect(dom.contains(#"data-stream="\#(stream)""#), "no chart for \(stream)")
        }
        let points = dom.components(separatedBy: #"data-points=""#).dropFirst().compactMap {
            Int($0.prefix { $0.isNumber })
        }
        #expect(points.count == 5)
        #expect(points.allSatisfy { $0 > 0 }, "\(points)")
        #expect(dom.components(separatedBy: #"<polyline class="accuracy" points=""#).count - 1 == 5)
        #expect(dom.contains("class=\"realised\""))
        #expect(!dom.contains("connecting…"))
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.wait(seconds: 60) == 0)
    }
}

@Suite(.timeLimit(.minutes(10))) struct ServeCLIErrorTests {
    @Test func badInvocationsFailWithClearErrors() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let neither = try CLI.run(["serve"])
        #expect(neither.status != 0)
        #expect(neither.standardError.contains("give --config FILE or --demo"))
        let missing = try CLI.run(["serve", "--config", directory.appendingPathComponent("none.json").path])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("no such file"))
        let file = directory.appendingPathComponent("bad.json")
        try Data(#"{"token": "t", "data_dir": "/tmp/x", "listen": "bad"}"#.utf8).write(to: file)
        let bad = try CLI.run(["serve", "--config", file.path])
        #expect(bad.status == 1)
        #expect(bad.standardError.contains("bad.json: field 'listen'"))
        let tokenless = directory.appendingPathComponent("tokenless.json")
        try Data(#"{"data_dir": "/tmp/x"}"#.utf8).write(to: tokenless)
        let noToken = try CLI.run(["serve", "--config", tokenless.path])
        #expect(noToken.status != 0)
        #expect(noToken.standardError.contains("has no 'token': give it there, or with --token-file FILE"))
        let teacher = try CLI.run(["serve", "--demo", "--data-dir", directory.path, "--teacher", "oracle"])
        #expect(teacher.status != 0)
        #expect(teacher.standardError.contains("The value 'oracle' is invalid for '--teacher <teacher>'"))
        // Window lengths that once trapped the process or tried to allocate 157 GB fail before anything starts.
        for value in ["1e300", "inf", "1e7"] {
            let window = try CLI.run(["serve", "--demo", "--data-dir", directory.path, "--window-seconds", value])
            #expect(window.status != 0 && window.status < 128, "\(value): status \(window.status)")
            #expect(window.standardError.contains("--window-seconds must be a number in 5...86400"), "\(value)")
        }
        let empty = try CLI.run(["serve", "--demo", "--data-dir", ""])
        #expect(empty.status != 0)
        #expect(empty.standardError.contains("--data-dir must not be empty"))
        let stall = try CLI.run(["serve", "--demo", "--data-dir", directory.path, "--stall-seconds", "0"])
        #expect(stall.status != 0)
        #expect(stall.standardError.contains("--stall-seconds must be a number in 1...86400"))
        // A store that is not one, or a PostgreSQL server that is not there: refused before the port is bound,
        // naming the server and never the password.
        let store = try CLI.run(["serve", "--demo", "--data-dir", directory.path, "--store", "mysql://a:b@h/d"])
        #expect(store.status != 0)
        #expect(store.standardError.contains("store must be sqlite, sqlite:PATH or postgres://"), "\(store)")
        #expect(!store.standardError.contains("a:b@"))
        let absent = try CLI.run([
            "serve", "--demo", "--data-dir", directory.path, "--store", "postgres://ekya:secret@127.0.0.1:1/ekya",
        ])
        #expect(absent.status == 1)
        #expect(absent.standardError.contains("PostgreSQL at 127.0.0.1:1/ekya"), "\(absent.standardError)")
        #expect(!absent.standardError.contains("secret"))
    }

    @Test func theConnectionCapLeavesDescriptorsForTheDatabaseAndModels() {
        #expect(ServeCommand.maximumConnections(fileDescriptorLimit: 1024) == 256)
        #expect(ServeCommand.maximumConnections(fileDescriptorLimit: 128) == 64)
        #expect(ServeCommand.maximumConnections(fileDescriptorLimit: 20) == 8)
        #expect(ServeCommand.maximumConnections(fileDescriptorLimit: Int.max) == 256)
    }

    @Test func aCorruptCachedTeacherStopsTheServiceWithAClearErrorAndLosesNothing() throws {
        // Given a configuration whose teacher cache holds a corrupt file where the teacher network should be
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = directory.appendingPathComponent("cache")
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        let corrupt = cache.appendingPathComponent(TeacherSettings().cacheFileName)
        try Data("not a model".utf8).write(to: corrupt)
        let data = directory.appendingPathComponent("data").path
        let file = directory.appendingPathComponent("teacher.json")
        let text = """
            {"token": "t", "data_dir": "\(data)", "listen": "127.0.0.1:\(try ServeProcess.freePort())",
             "teacher": "model", "teacher_cache": "\(cache.path)"}
            """
        try Data(text.utf8).write(to: file)
        // When the service starts
        let result = try CLI.run(["serve", "--config", file.path])
        // Then it stops with a message naming the teacher and the file, and the database and the cache are intact
        #expect(result.status == 1)
        #expect(result.standardError.contains("cannot load or train the model teacher"), "\(result.standardError)")
        #expect(result.standardError.contains(corrupt.lastPathComponent))
        #expect(try ServiceStore(path: data + "/ekya.sqlite").integrityCheck() == "ok")
        #expect(try Data(contentsOf: corrupt) == Data("not a model".utf8))
    }
}

@Suite struct ServeTokenTests {
    @Test func theDemoTokenIsRandomKeptOwnerOnlyAndReused() throws {
        // Given a new data directory
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("data").path
        // When the demo asks for its token twice (a restart), and another data directory asks once
        let first = try ServeCommand.demoToken(dataDir: data)
        let again = try ServeCommand.demoToken(dataDir: data)
        let other = try ServeCommand.demoToken(dataDir: directory.appendingPathComponent("other").path)
        // Then it is 64 hex digits, kept in DATA/token readable by the owner only, the same after a restart,
        // and not a fixed string
        #expect(first.count == 64 && first.allSatisfy(\.isHexDigit))
        #expect(again == first)
        #expect(other != first)
        let attributes = try FileManager.default.attributesOfItem(atPath: data + "/token")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func aTokenFileWinsOverTheFlagAndAnEmptyOneIsRefused() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("token").path
        try "from-file\nignored\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try ServeCommand.givenToken(flag: "from-flag", file: file) == "from-file")
        #expect(try ServeCommand.givenToken(flag: "from-flag", file: nil) == "from-flag")
        try "\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try ServeCommand.givenToken(flag: nil, file: file) }
        #expect(throws: (any Error).self) { try ServeCommand.givenToken(flag: "", file: nil) }
    }
}
