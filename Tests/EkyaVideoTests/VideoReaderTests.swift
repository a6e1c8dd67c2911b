import EkyaVideo
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

let clipsAvailable = VideoClips.available

@Suite(.timeLimit(.minutes(10))) struct VideoReaderTests {
    @Test(.enabled(if: clipsAvailable, "scripts/setup fetches the clips"))
    func decodesEveryFrameOfTheRealClipsWithTheirSizesAndTimestamps() throws {
        for (path, width, height, frames, fps, codec) in [
            (VideoClips.pets, 768, 576, 795, 10.0, "msmpeg4"), (VideoClips.bikes, 640, 272, 250, 25.0, "h264"),
        ] {
            // Given a real clip
            let reader = try VideoReader(source: path)
            #expect(reader.info.width == width && reader.info.height == height)
            #expect(reader.info.framesPerSecond == fps)
            #expect(reader.info.codec.hasPrefix(codec), "\(reader.info.codec)")
            #expect(!reader.info.isNetwork)
            // When every frame is decoded to a quarter-size grey image
            var timestamps: [Double] = []
            var checksum = 0
            while let frame = try reader.next(width: width / 4, height: height / 4) {
                #expect(frame.pixels.count == (width / 4) * (height / 4))
                #expect(frame.index == timestamps.count)
                timestamps.append(frame.timestamp)
                checksum &+= frame.pixels.reduce(0) { $0 &+ Int($1) }
            }
            // Then the frame count matches the container's, and the timestamps step by 1/fps from 0
            #expect(timestamps.count == frames, "\(path)")
            #expect(timestamps.first == 0)
            let steps = zip(timestamps.dropFirst(), timestamps).map { $0 - $1 }
            #expect(steps.allSatisfy { abs($0 - 1 / fps) < 1e-6 }, "\(steps.prefix(5))")
            #expect(checksum > 0)
        }
    }

    @Test(.enabled(if: clipsAvailable, "scripts/setup fetches the clips"))
    func rgbFramesHaveThreeChannelsAndDifferFromGrey() throws {
        let reader = try VideoReader(source: VideoClips.bikes)
        let rgb = try #require(try reader.next(width: 64, height: 32, channels: 3))
        #expect(rgb.pixels.count == 64 * 32 * 3)
        let channels = (0..<3).map { channel in
            stride(from: channel, to: rgb.pixels.count, by: 3).map { rgb.pixels[$0] }
        }
        #expect(channels[0] != channels[1] || channels[1] != channels[2])
    }

    @Test(.enabled(if: clipsAvailable, "scripts/setup fetches the clips"))
    func aDirectoryPlaysItsFilesInOrderWithTimestampsThatRunOnAndCanLoop() throws {
        // Given a directory with the two clips, named so that bikes plays first
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(
            atPath: VideoClips.bikes,
            toPath: directory.appendingPathComponent("1.mp4").path
        )
        try FileManager.default.copyItem(
            atPath: VideoClips.pets,
            toPath: directory.appendingPathComponent("2.avi").path
        )
        let source = try VideoSource.parse(directory.path)
        #expect(source == .directory(directory.path))
        // When it is played through once
        let sequence = try FrameSequence(source: source)
        var frames: [VideoFrame] = []
        while let frame = try sequence.next(width: 32, height: 24) { frames.append(frame) }
        // Then the bikes' 250 frames come first, then the 795 of vtest, one clock throughout
        #expect(frames.count == 250 + 795)
        #expect(abs(frames[250].timestamp - 250 * 0.04) < 1e-6)
        #expect(zip(frames.dropFirst(), frames).allSatisfy { $0.timestamp > $1.timestamp })
        #expect(frames.map(\.index) == Array(0..<frames.count))
        // and, looping, it starts over after the last file
        let looping = try FrameSequence(source: .file(VideoClips.bikes), loops: true)
        var count = 0
        while count < 600, try looping.next(width: 16, height: 8) != nil { count += 1 }
        #expect(count == 600)
    }

    @Test func badSourcesFailWithAnErrorNamingTheSource() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = directory.appendingPathComponent("notes.avi")
        try Data("this is not a video\n".utf8).write(to: text)
        let empty = directory.appendingPathComponent("empty.mp4")
        FileManager.default.createFile(atPath: empty.path, contents: Data())
        let missing = directory.appendingPathComponent("missing.mp4").path
        for (source, reason) in [
            (missing, "no such file"), (text.path, "Invalid data"), (empty.path, "Invalid data"),
            (directory.path, "a directory"), ("tcp://127.0.0.1:\(try freePort())", "Connection refused"),
        ] {
            #expect {
                _ = try VideoReader(source: source, timeout: 3)
            } throws: { error in
                guard case .cannotOpen(let named, let message)? = error as? VideoError else { return false }
                return named == source && message.contains(reason)
            }
        }
        #expect(throws: VideoError.invalidRequest("video source 'gopher://x': unsupported URL scheme 'gopher'")) {
            try VideoSource.parse("gopher://x")
        }
        #expect(throws: VideoError.self) { try VideoSource.parse("") }
        #expect(throws: VideoError.cannotOpen(source: directory.path, reason: "the directory holds no files")) {
            try FileManager.default.removeItem(at: text)
            try FileManager.default.removeItem(at: empty)
            _ = try FrameSequence(source: .directory(directory.path))
        }
    }

    @Test(.enabled(if: clipsAvailable, "scripts/setup fetches the clips"))
    func aTruncatedFileDecodesWhatItHoldsThenEndsOrFailsClearly() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let whole = try Data(contentsOf: URL(fileURLWithPath: VideoClips.pets))
        let cut = directory.appendingPathComponent("cut.avi")
        try whole.prefix(whole.count / 3).write(to: cut)
        let reader = try VideoReader(source: cut.path)
        var frames = 0
        do {
            while try reader.next(width: 32, height: 24) != nil { frames += 1 }
        } catch {
            #expect("\(error)".contains(cut.path))
        }
        #expect((100..<795).contains(frames), "\(frames) frames")
    }

    @Test func aLiveSourceThatSendsNothingTimesOutInsteadOfBlocking() throws {
        // Given a TCP listener that accepts and then stays silent
        let listener = try SilentListener()
        let started = ContinuousClock.now
        // When a reader opens it with a 1 s timeout, then it fails within a few seconds, naming the source
        #expect(throws: VideoError.self) { _ = try VideoReader(source: "tcp://127.0.0.1:\(listener.port)", timeout: 1) }
        #expect(started.duration(to: .now) < .seconds(15))
    }

    @Test(.enabled(if: clipsAvailable && FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg")))
    func readsALiveMPEGTSStreamFromFFmpegOverLoopbackTCP() async throws {
        // Given ffmpeg serving vtest.avi at its own frame rate as MPEG-TS on a loopback TCP port
        let port = try freePort()
        let ffmpeg = Process()
        ffmpeg.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        ffmpeg.arguments = [
            "-hide_banner", "-loglevel", "error", "-re", "-i", VideoClips.pets, "-t", "4", "-c:v", "mpeg2video",
            "-f", "mpegts", "tcp://127.0.0.1:\(port)?listen=1",
        ]
        ffmpeg.standardOutput = FileHandle.nullDevice
        ffmpeg.standardError = FileHandle.nullDevice
        try ffmpeg.run()
        defer { if ffmpeg.isRunning { ffmpeg.terminate() } }
        // When a reader connects (retrying while ffmpeg starts listening) and reads to the end
        var reader: VideoReader?
        for _ in 0..<50 where reader == nil {
            reader = try? VideoReader(source: "tcp://127.0.0.1:\(port)", timeout: 5)
            if reader == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let live = try #require(reader)
        #expect(live.info.isNetwork)
        var frames: [VideoFrame] = []
        while let frame = try? live.next(width: 96, height: 72) { frames.append(frame) }
        // Then about 4 s of 10 fps frames arrived, in time order
        #expect((25...45).contains(frames.count), "\(frames.count) frames")
        #expect(zip(frames.dropFirst(), frames).allSatisfy { $0.timestamp > $1.timestamp })
    }
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ekya-video-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func freePort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = loopback(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
    }
    guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    return address
}

/// A loopback TCP listener whose backlog accepts connections that never receive a byte.
final class SilentListener {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0, listen(descriptor, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}
