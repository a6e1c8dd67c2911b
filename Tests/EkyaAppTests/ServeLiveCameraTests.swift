import EkyaVideo
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A live network camera feeding a real `ekya serve`: ffmpeg plays the PETS clip in real time as an
/// MPEG-TS server on a loopback port, and is killed and restarted while the service runs.
@Suite(.serialized, .timeLimit(.minutes(10))) struct ServeLiveCameraTests {
    static let ffmpeg = "/usr/bin/ffmpeg"
    static var available: Bool { VideoClips.available && FileManager.default.isExecutableFile(atPath: ffmpeg) }

    /// A camera on a loopback TCP port that serves any number of clients, as network cameras do.
    ///
    /// Each connection gets its own `ffmpeg -re` playing the clip in a loop as MPEG-TS. Switched off, it stops
    /// listening and its streams end; switched on again, it listens on the same port.
    final class Feed: @unchecked Sendable {
        let port: Int
        private let lock = NSLock()
        private var listener: Int32 = -1
        private var players: [Process] = []
        private var accepted = 0

        init(port: Int) { self.port = port }

        /// Listens on the port (false when it cannot be bound) and serves every client that connects.
        func start() -> Bool {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var reuse: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(port)).bigEndian
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0, listen(descriptor, 8) == 0 else {
                close(descriptor)
                return false
            }
            lock.withLock { listener = descriptor }
            let thread = Thread { [self] in
                while true {
                    let client = accept(descriptor, nil, nil)
                    guard client >= 0 else { return }  // shut down by stop()
                    lock.withLock { accepted += 1 }
                    let player = Process()
                    player.executableURL = URL(fileURLWithPath: ServeLiveCameraTests.ffmpeg)
                    player.arguments = [
                        "-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", VideoClips.pets, "-an",
                        "-c:v", "mpeg2video", "-q:v", "4", "-f", "mpegts", "pipe:1",
                    ]
                    player.standardInput = FileHandle.nullDevice
                    player.standardOutput = FileHandle(fileDescriptor: client, closeOnDealloc: true)
                    player.standardError = FileHandle.nullDevice
                    let started = lock.withLock { () -> Bool in
                        guard listener == descriptor, (try? player.run()) != nil else { return false }
                        players.append(player)
                        return true
                    }
                    if !started { close(client) }
                }
            }
            thread.start()
            return true
        }

        /// What the camera did, for a failure message: connections, players running, whether it listens.
        var diagnostics: String {
            let (count, running, descriptor) = lock.withLock { (accepted, players.filter(\.isRunning).count, listener) }
            let table = (try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8)) ?? ""
            let address = String(format: "0100007F:%04X", port)
            let listening = table.split(separator: "\n").contains { line in
                let fields = line.split(separator: " ")
                return fields.count > 3 && fields[1] == address && fields[3] == "0A"
            }
            return "\(count) connections accepted, \(running) players running, listener fd \(descriptor), "
                + "listening on \(port): \(listening)"
        }

        /// Switches the camera off: no more connections, and every client's stream ends.
        func stop() {
            let (descriptor, running) = lock.withLock { () -> (Int32, [Process]) in
                defer {
                    listener = -1
                    players = []
                }
                return (listener, players)
            }
            if descriptor >= 0 {
                shutdown(descriptor, Int32(SHUT_RDWR))
                close(descriptor)
            }
            for player in running where player.isRunning {
                kill(player.processIdentifier, SIGKILL)
                player.waitUntilExit()
            }
        }
    }

    /// A feed on a fresh port (another test may take a free port before it is bound: then another one).
    static func startFeed() throws -> Feed {
        for _ in 0..<3 {
            let feed = Feed(port: try ServeProcess.freePort())
            if feed.start() { return feed }
        }
        Issue.record("no loopback port could be bound for the camera")
        throw CancellationError()
    }

    static func camera(_ server: ServeProcess) async -> [String: Any]? {
        (await server.get("/api/streams") as? [[String: Any]])?.first { $0["id"] as? String == "door" }
    }

    static func waitForCamera(
        _ server: ServeProcess,
        feed: Feed,
        seconds: Double,
        _ condition: ([String: Any]) -> Bool
    ) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let camera = await camera(server), condition(camera) { return camera }
            try await Task.sleep(for: .milliseconds(250))
        }
        let lines = server.log(0).split(separator: "\n").filter { $0.contains("door") || $0.contains("live") }
        Issue.record(
            """
            camera state not reached within \(seconds) s: \(String(describing: await camera(server)))
            camera: \(feed.diagnostics)
            server: \(lines.suffix(20).joined(separator: "\n"))
            """
        )
        throw CancellationError()
    }

    @Test(.enabled(if: available, "scripts/setup installs ffmpeg and fetches the clips"))
    func aCameraThatDropsIsReportedDisconnectedReconnectsAndTheOtherStreamRunsOn() async throws {
        // Given a live camera served by ffmpeg and a service with it beside a Fashion-MNIST stream
        let feed = try Self.startFeed()
        let port = feed.port
        defer { feed.stop() }
        let server = try ServeProcess()
        let file = server.directory.appendingPathComponent("serve.json")
        let json = """
            {"token": "unused", "data_dir": "unused", "window_seconds": 10, "pause_seconds": 0.5,
             "streams": ["stable", {"id": "door", "scenario": "stable", "source": "tcp://127.0.0.1:\(port)"}]}
            """
        try Data(json.utf8).write(to: file)
        server.configFile = file.path
        try server.start()
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        _ = try await server.waitFor(seconds: 300) { ($0["last_completed_window"] as? Int ?? 0) >= 1 }
        let connected = try await Self.waitForCamera(server, feed: feed, seconds: 30) {
            $0["connection"] as? String == "connected"
        }
        #expect(connected["source"] as? String == "tcp://127.0.0.1:\(port)")
        // (A read that stalls on a loaded machine can already have reconnected once.)
        let reconnects = try #require(connected["reconnects"] as? Int)
        let metrics = try await ServeFaultTests.text(server, "/metrics")
        #expect(metrics.contains(#"ekya_stream_connected{stream="door"} 1"#), "\(metrics.suffix(2000))")

        // When the camera dies mid-window
        feed.stop()
        // Then it is reported disconnected, and windows go on for both streams
        let lost = try await Self.waitForCamera(server, feed: feed, seconds: 30) {
            $0["connection"] as? String == "disconnected"
        }
        #expect(lost["connection_detail"] as? String != nil)
        let before = try #require(await server.health()?["last_completed_window"] as? Int)
        let during = try await server.waitFor(seconds: 300) { ($0["last_completed_window"] as? Int ?? 0) > before }
        #expect(during["status"] as? String == "ok")
        #expect(try await ServeFaultTests.text(server, "/metrics").contains(#"ekya_stream_connected{stream="door"} 0"#))

        // When the camera comes back on the same address, the stream reconnects by itself
        #expect(feed.start(), "port \(port) could not be bound again")
        let back = try await Self.waitForCamera(server, feed: feed, seconds: 60) {
            $0["connection"] as? String == "connected" && ($0["reconnects"] as? Int ?? 0) > reconnects
        }
        #expect(back["connection_detail"] == nil)
        let windows = try #require(await server.get("/api/windows?stream=stable&limit=50") as? [[String: Any]])
        #expect(windows.filter { $0["status"] as? String == "completed" }.count >= 2, "\(windows)")
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.wait(seconds: 60) == 0)
    }
}
