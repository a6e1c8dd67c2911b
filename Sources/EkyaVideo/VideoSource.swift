import Foundation

/// The embedded real-camera clips that `scripts/setup` puts in `EKYA_VIDEO_DIR` (default
/// `~/.cache/ekya/video`).
public enum VideoClips {
    public static var directory: String {
        if let directory = ProcessInfo.processInfo.environment["EKYA_VIDEO_DIR"], !directory.isEmpty {
            return directory
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/ekya/video").path
    }

    /// PETS 2009 S2.L1 View 1: a fixed outdoor camera, 2–8 pedestrians; 768×576, 795 frames, 10 fps, MPEG-4.
    public static var pets: String { directory + "/vtest.avi" }
    /// Street traffic (cars, taxis, a cyclist, pedestrians); 640×272, 250 frames, 25 fps, H.264.
    public static var bikes: String { directory + "/bikes.mp4" }

    /// Whether both clips are present.
    public static var available: Bool {
        [pets, bikes].allSatisfy { FileManager.default.isReadableFile(atPath: $0) }
    }
}

/// Where a stream's frames come from: a file, a directory of files played in name order, or a URL.
public enum VideoSource: Sendable, Equatable, CustomStringConvertible {
    case file(String)
    case directory(String)
    case url(String)

    /// A path or URL as a user gives it; a directory must hold at least one file.
    public static func parse(_ text: String) throws(VideoError) -> VideoSource {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw .invalidRequest("a video source must be a path or a URL, not empty") }
        if let scheme = trimmed.range(of: "://").map({ trimmed[..<$0.lowerBound].lowercased() }) {
            guard ["rtsp", "rtsps", "http", "https", "udp", "tcp", "rtp", "srt", "file"].contains(scheme) else {
                throw .invalidRequest("video source '\(trimmed)': unsupported URL scheme '\(scheme)'")
            }
            return scheme == "file" ? .file(String(trimmed.dropFirst("file://".count))) : .url(trimmed)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: trimmed, isDirectory: &isDirectory) else {
            throw .cannotOpen(source: trimmed, reason: "no such file or directory")
        }
        return isDirectory.boolValue ? .directory(trimmed) : .file(trimmed)
    }

    public var description: String {
        switch self {
        case .file(let path), .directory(let path), .url(let path): path
        }
    }

    /// Whether the source is live (reconnected when it drops) rather than played from storage.
    public var isLive: Bool {
        if case .url = self { return true }
        return false
    }

    /// The files a directory source plays, in name order (hidden files left out).
    public func files() throws(VideoError) -> [String] {
        switch self {
        case .file(let path): return [path]
        case .url(let url): return [url]
        case .directory(let path):
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: path)
            } catch {
                throw .cannotOpen(source: path, reason: "cannot list the directory: \(error.localizedDescription)")
            }
            let files = names.filter { !$0.hasPrefix(".") }.sorted().map {
                (path as NSString).appendingPathComponent($0)
            }
            guard !files.isEmpty else { throw .cannotOpen(source: path, reason: "the directory holds no files") }
            return files
        }
    }
}

/// Frames of a source in order, across the files of a directory and, with `loops`, over and over; the
/// timestamps run on (a file's frames follow the previous file's last one).
public final class FrameSequence {
    public let source: VideoSource
    public let loops: Bool
    let timeout: Double
    private let files: [String]
    private var fileIndex = 0
    private var reader: VideoReader?
    private var offset = 0.0
    private var lastTimestamp = 0.0
    private var frameInterval = 0.1
    private var emitted = 0

    public init(source: VideoSource, loops: Bool = false, timeout: Double = 10) throws(VideoError) {
        self.source = source
        self.loops = loops
        self.timeout = timeout
        self.files = try source.files()
    }

    /// The open file's description (the first file's until a frame is read).
    public func info() throws(VideoError) -> VideoInfo { try currentReader().info }

    private func currentReader() throws(VideoError) -> VideoReader {
        if let reader { return reader }
        let opened = try VideoReader(source: files[fileIndex], timeout: timeout)
        if opened.info.framesPerSecond > 0 { frameInterval = 1 / opened.info.framesPerSecond }
        reader = opened
        return opened
    }

    /// The next frame, or nil when the source (every file, unless it loops) has ended.
    public func next(width: Int, height: Int, channels: Int = 1) throws(VideoError) -> VideoFrame? {
        var emptyFiles = 0
        while true {
            if var frame = try currentReader().next(width: width, height: height, channels: channels) {
                frame.timestamp += offset
                frame.index = emitted
                lastTimestamp = frame.timestamp
                emitted += 1
                emptyFiles = 0
                return frame
            }
            // This file ended: the next one continues one frame interval after its last frame.
            reader = nil
            offset = lastTimestamp + frameInterval
            emptyFiles += 1
            fileIndex += 1
            if fileIndex == files.count {
                guard loops, emptyFiles <= files.count else { return nil }
                fileIndex = 0
            }
        }
    }
}
