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

    /// A camera on a loopback TCP port: `ffmpeg -re` serves the clip in a loop.
    ///
    /// ffmpeg serves one client and exits when it goes (a read that times out on a loaded machine drops it), so a feed that is on starts ffmpeg
    /// again whenever it exits: a camera that is switched on, not one that dies.
    final class Feed: @unchecked Sendable {
        let port: Int
        private let lock = NSLock()
        private var process: Process?
        private var on = false

        init(port: Int) { self.port = port }

        func start() {
            lock.withLock { on = true }
            let thread = Thread { [self] in
                while lock.withLock({ on }) {
                    let next = Process()
                    next.executableURL = URL(fileURLWithPath: ServeLiveCameraTests.ffmpeg)
                    next.arguments = [
                        "-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", VideoClips.pets, "-an",
                        "-c:v", "mpeg2video", "-q:v", "4", "-f", "mpegts", "tcp://127.0.0.1:\(port)?listen=1",
                    ]
                    next.standardOutput = FileHandle.nullDevice
                    next.standardError = FileHandle.nullDevice
                    let started = lock.withLock { () -> Bool in
                        guard on, (try? next.run()) != nil else { return false }
                        process = next
                        return true
                    }
                    guard started else { return }
                    next.waitUntilExit()
                    Thread.sleep(forTimeInterval: 0.2)
                }
            }
            thread.start()
        }

        /// Switches the camera off: ffmpeg is killed and not started again.
        func stop() {
            let current = lock.withLock { () -> Process? in
                on = false
                return process
            }
            if let current, current.isRunning {
                kill(current.processIdentifier, SIGKILL)
                current.waitUntilExit()
            }
        }

        /// Whether ffmpeg listens on the port, read from `/proc/net/tcp` (connecting would use up its client).
        var listening: Bool {
            guard let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else { return false }
            let address = String(format: "0100007F:%04X", port)
            return table.split(separator: "\n").contains { line in
                let fields = line.split(separator: " ")
                return fields.count > 3 && fields[1] == address && fields[3] == "0A"
            }
        }

        /// Waits until ffmpeg listens (under load it can take seconds to bind).
        func waitUntilListening(seconds: Double) async throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if listening { return true }
                try await Task.sleep(for: .milliseconds(100))
            }
            return false
        }
    }

    /// A feed that listens, on a fresh port: another test can take a free port before ffmpeg binds it.
    static func startFeed() async throws -> Feed {
        for _ in 0..<3 {
            let feed = Feed(port: try ServeProcess.freePort())
            feed.start()
            if try await feed.waitUntilListening(seconds: 60) { return feed }
            feed.stop()
        }
        Issue.record("ffmpeg did not listen on a loopback port")
        throw CancellationError()
    }

    static func camera(_ server: ServeProcess) async -> [String: Any]? {
        (await server.get("/api/streams") as? [[String: Any]])?.first { $0["id"] as? String == "door" }
    }

    static func waitForCamera(
        _ server: ServeProcess,
        seconds: Double,
        _ condition: ([String: Any]) -> Bool
    ) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let camera = await camera(server), condition(camera) { return camera }
            try await Task.sleep(for: .milliseconds(250))
        }
        Issue.record("camera state not reached within \(seconds) s: \(String(describing: await camera(server)))")
        throw CancellationError()
    }

    @Test(.enabled(if: available, "scripts/setup installs ffmpeg and fetches the clips"))
    func aCameraThatDropsIsReportedDisconnectedReconnectsAndTheOtherStreamRunsOn() async throws {
        // Given a live camera served by ffmpeg and a service with it beside a Fashion-MNIST stream
        let feed = try await Self.startFeed()
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
        let connected = try await Self.waitForCamera(server, seconds: 30) { $0["connection"] as? String == "connected" }
        #expect(connected["source"] as? String == "tcp://127.0.0.1:\(port)")
        let reconnects = try #require(connected["reconnects"] as? Int)
        let metrics = try await ServeFaultTests.text(server, "/metrics")
        #expect(metrics.contains(#"ekya_stream_connected{stream="door"} 1"#), "\(metrics.suffix(2000))")

        // When the camera dies mid-window
        feed.stop()
        // Then it is reported disconnected, and windows go on for both streams
        let lost = try await Self.waitForCamera(server, seconds: 30) { $0["connection"] as? String == "disconnected" }
        #expect(lost["connection_detail"] as? String != nil)
        let before = try #require(await server.health()?["last_completed_window"] as? Int)
        let during = try await server.waitFor(seconds: 300) { ($0["last_completed_window"] as? Int ?? 0) > before }
        #expect(during["status"] as? String == "ok")
        #expect(try await ServeFaultTests.text(server, "/metrics").contains(#"ekya_stream_connected{stream="door"} 0"#))

        // When the camera comes back on the same address, the stream reconnects by itself
        feed.start()
        let back = try await Self.waitForCamera(server, seconds: 60) {
            $0["connection"] as? String == "connected" && ($0["reconnects"] as? Int ?? 0) > reconnects
        }
        #expect(back["connection_detail"] == nil)
        let windows = try #require(await server.get("/api/windows?stream=stable&limit=50") as? [[String: Any]])
        #expect(windows.filter { $0["status"] as? String == "completed" }.count >= 2, "\(windows)")
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.wait(seconds: 60) == 0)
    }
}
