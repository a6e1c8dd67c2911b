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

    /// `ffmpeg -re` serving the clip, looping, on `tcp://127.0.0.1:port` (it waits for one client).
    static func feed(port: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = [
            "-nostdin", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", VideoClips.pets, "-an", "-c:v",
            "mpeg2video",
            "-q:v", "4",
            "-f", "mpegts", "tcp://127.0.0.1:\(port)?listen=1",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
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
        let port = try ServeProcess.freePort()
        var feed = try Self.feed(port: port)
        defer { if feed.isRunning { kill(feed.processIdentifier, SIGKILL) } }
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
        #expect(connected["reconnects"] as? Int == 0)
        let metrics = try await ServeFaultTests.text(server, "/metrics")
        #expect(metrics.contains(#"ekya_stream_connected{stream="door"} 1"#), "\(metrics.suffix(2000))")

        // When the camera dies mid-window
        kill(feed.processIdentifier, SIGKILL)
        feed.waitUntilExit()
        // Then it is reported disconnected, and windows go on for both streams
        let lost = try await Self.waitForCamera(server, seconds: 30) { $0["connection"] as? String == "disconnected" }
        #expect(lost["connection_detail"] as? String != nil)
        let before = try #require(await server.health()?["last_completed_window"] as? Int)
        let during = try await server.waitFor(seconds: 300) { ($0["last_completed_window"] as? Int ?? 0) > before }
        #expect(during["status"] as? String == "ok")
        #expect(try await ServeFaultTests.text(server, "/metrics").contains(#"ekya_stream_connected{stream="door"} 0"#))

        // When the camera comes back on the same address, the stream reconnects by itself
        feed = try Self.feed(port: port)
        let back = try await Self.waitForCamera(server, seconds: 60) {
            $0["connection"] as? String == "connected" && ($0["reconnects"] as? Int ?? 0) >= 1
        }
        #expect(back["connection_detail"] == nil)
        let windows = try #require(await server.get("/api/windows?stream=stable&limit=50") as? [[String: Any]])
        #expect(windows.filter { $0["status"] as? String == "completed" }.count >= 2, "\(windows)")
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.wait(seconds: 60) == 0)
    }
}
