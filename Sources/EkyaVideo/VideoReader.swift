import CEkyaVideo
import Foundation

/// What a video source declares about itself.
public struct VideoInfo: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// Frames per second, or 0 when the container does not say.
    public var framesPerSecond: Double
    /// Frames the container declares, or 0 when it does not say (live sources).
    public var frameCount: Int
    public var durationSeconds: Double
    /// A network source: its reads can stall, and it is reconnected rather than replayed.
    public var isNetwork: Bool
    public var codec: String
    public var container: String
}

/// A decoded frame, converted to the size and channels asked for.
public struct VideoFrame: Sendable, Equatable {
    /// `height × width × channels` bytes, row by row (RGB interleaved when `channels` is 3).
    public var pixels: [UInt8]
    public var width: Int
    public var height: Int
    public var channels: Int
    /// Presentation time in seconds from the source's first frame.
    public var timestamp: Double
    /// 0 for the first frame of the source.
    public var index: Int
}

/// Why a source could not be opened or read; each names the source.
public enum VideoError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(source: String, reason: String)
    case cannotRead(source: String, reason: String)
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .cannotOpen(let source, let reason): "video source '\(source)': \(reason)"
        case .cannotRead(let source, let reason): "video source '\(source)': \(reason)"
        case .invalidRequest(let message): message
        }
    }
}

/// Decodes one file or network stream frame by frame (FFmpeg: libavformat, libavcodec, libswscale).
///
/// Not thread-safe: one reader belongs to one stream's ingest. A read that gets no data for `timeout`
/// seconds fails (a stalled camera) instead of blocking forever.
public final class VideoReader {
    public let source: String
    public let info: VideoInfo
    private let reader: OpaquePointer
    private var nextIndex = 0

    /// Opens `source`: a path, or any URL libavformat opens (`rtsp://`, `http://`, `tcp://`, `udp://`…).
    public init(source: String, timeout: Double = 10, threads: Int = 1) throws(VideoError) {
        guard !source.isEmpty else { throw .invalidRequest("a video source must be a path or a URL, not empty") }
        if !source.contains("://") {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
                throw .cannotOpen(source: source, reason: "no such file")
            }
            guard !isDirectory.boolValue else {
                throw .cannotOpen(source: source, reason: "a directory (play its files with VideoSource)")
            }
        }
        var error = [CChar](repeating: 0, count: 512)
        var handle: OpaquePointer?
        let code = ekv_open(source, timeout, Int32(threads), &handle, &error, error.count)
        guard code == 0, let handle else {
            throw .cannotOpen(source: source, reason: Self.message(error, fallback: "not a readable video"))
        }
        self.source = source
        self.reader = handle
        var raw = ekv_info()
        ekv_get_info(handle, &raw)
        let codec = withUnsafeBytes(of: raw.codec) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let container = withUnsafeBytes(of: raw.format) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        info = VideoInfo(
            width: Int(raw.width),
            height: Int(raw.height),
            framesPerSecond: raw.fps,
            frameCount: Int(raw.frame_count),
            durationSeconds: raw.duration,
            isNetwork: raw.is_network != 0 || source.contains("://"),
            codec: codec,
            container: container
        )
    }

    deinit { ekv_close(reader) }

    /// The next frame converted to `width × height` with `channels` 1 (grey) or 3 (RGB); nil at the end.
    public func next(width: Int, height: Int, channels: Int = 1) throws(VideoError) -> VideoFrame? {
        guard width > 0, height > 0, width <= 8192, height <= 8192, channels == 1 || channels == 3 else {
            throw .invalidRequest("frames must be 1...8192 pixels on each side with 1 or 3 channels")
        }
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        var timestamp = 0.0
        var error = [CChar](repeating: 0, count: 512)
        let code = pixels.withUnsafeMutableBufferPointer { buffer in
            ekv_next(reader, Int32(width), Int32(height), Int32(channels), buffer.baseAddress, &timestamp, &error, 512)
        }
        guard code >= 0 else { throw .cannotRead(source: source, reason: Self.message(error, fallback: "read error")) }
        guard code == 1 else { return nil }
        defer { nextIndex += 1 }
        return VideoFrame(
            pixels: pixels,
            width: width,
            height: height,
            channels: channels,
            timestamp: timestamp,
            index: nextIndex
        )
    }

    /// The next frame at the source's own size.
    public func next(channels: Int = 1) throws(VideoError) -> VideoFrame? {
        try next(width: info.width, height: info.height, channels: channels)
    }

    /// Decodes the next frame without converting it (decoder throughput); false at the end.
    public func skip() throws(VideoError) -> Bool {
        var timestamp = 0.0
        var error = [CChar](repeating: 0, count: 512)
        let code = ekv_next(reader, 0, 0, 1, nil, &timestamp, &error, 512)
        guard code >= 0 else { throw .cannotRead(source: source, reason: Self.message(error, fallback: "read error")) }
        if code == 1 { nextIndex += 1 }
        return code == 1
    }

    static func message(_ buffer: [CChar], fallback: String) -> String {
        let text = buffer.withUnsafeBufferPointer { pointer in
            pointer.baseAddress.map { String(cString: $0) } ?? ""
        }
        return text.isEmpty ? fallback : text
    }
}
