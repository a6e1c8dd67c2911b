import Dispatch
import Foundation
import Synchronization

/// The classes of the video streams' objects.
public enum ObjectClass: Int, Sendable, CaseIterable, Codable {
    /// A moving object the teacher finds a person in.
    case person = 0
    /// Any other moving object (vehicles, cyclists, groups, shadows, swaying background).
    case other = 1

    public static let names = ["person", "other"]
}

/// A moving object in one frame: its box (in the frame's own pixels) and the teacher's class for it.
public struct LabelledObject: Sendable, Equatable, Codable {
    public var box: Box
    public var label: ObjectClass
}

/// What the proposal stage and the teacher found in one clip, on every `stride`-th frame.
///
/// Built once per clip and cached beside it (the teacher costs about a second per frame); the frames
/// themselves are decoded again at load, kept at `1/downscale` of their size for cropping.
public struct VideoCatalogue: Sendable {
    public struct Frame: Sendable {
        /// Index in the clip.
        public var index: Int
        public var timestamp: Double
        /// The teacher-labelled moving objects, in full-frame pixels.
        public var objects: [LabelledObject]
        /// The frame in grey at `1/downscale` of its size.
        public var image: VideoFrame
    }

    /// What is cached on disk (no pixels).
    struct Summary: Codable {
        var version = 1
        var clip: String
        var stride: Int
        var upscale: Double
        var frameCount: Int
        var framesPerSecond: Double
        var width: Int
        var height: Int
        /// Teacher device-seconds per labelled frame, as measured when the catalogue was built.
        var teacherSecondsPerFrame: Double
        var frames: [Int: [LabelledObject]]
    }

    public let clip: String
    public let info: VideoInfo
    public let stride: Int
    public let downscale: Int
    public let teacherSecondsPerFrame: Double
    /// The labelled frames, in clip order.
    public let frames: [Frame]
    /// Frames in the clip (the clip loops after it).
    public let frameCount: Int

    /// Loads the catalogue of `clip` from its cache, or builds it (proposals on every frame, the teacher on
    /// every `stride`-th, `threads` at once) and caches it.
    public static func load(
        clip: String,
        stride: Int = 5,
        downscale: Int = 2,
        detector: PeopleDetector = PeopleDetector(),
        threads: Int = 2,
        cacheDirectory: String? = nil,
        log: (String) -> Void = { _ in }
    ) throws(VideoError) -> VideoCatalogue {
        guard stride >= 1, downscale >= 1 else { throw .invalidRequest("stride and downscale must be at least 1") }
        let name = (clip as NSString).lastPathComponent
        // Clips of the same name elsewhere, or a clip replaced by another file, get caches of their own.
        let size = (try? FileManager.default.attributesOfItem(atPath: clip)[.size] as? Int) ?? 0
        let absolute = URL(fileURLWithPath: clip).standardizedFileURL.path
        let key =
            absolute == URL(fileURLWithPath: VideoClips.directory + "/" + name).standardizedFileURL.path
            ? "" : "-\(String(Self.fnv1a("\(absolute)|\(size)"), radix: 16))"
        let cache = ((cacheDirectory ?? VideoClips.directory) as NSString)
            .appendingPathComponent(".\(name)\(key).objects-s\(stride)-u\(detector.upscale).json")
        var summary: Summary?
        if let data = FileManager.default.contents(atPath: cache),
            let cached = try? JSONDecoder().decode(Summary.self, from: data), cached.version == 1,
            cached.stride == stride, cached.upscale == detector.upscale
        {
            summary = cached
        }
        // Decode: proposals on every frame; labelled frames kept at full size for the teacher (built only).
        let reader = try VideoReader(source: clip)
        let info = reader.info
        var proposer = MotionProposer()
        var blobs: [Int: [Box]] = [:]
        var full: [Int: VideoFrame] = [:]
        var small: [Int: VideoFrame] = [:]
        var timestamps: [Int: Double] = [:]
        var count = 0
        while let frame = try reader.next() {
            count += 1
            let boxes = proposer.propose(frame)
            guard frame.index % stride == 0 else { continue }
            blobs[frame.index] = boxes.map { $0.padded(by: 0.1, within: frame.width, frame.height) }
            timestamps[frame.index] = frame.timestamp
            small[frame.index] = Self.shrink(frame, by: downscale)
            if summary == nil { full[frame.index] = frame }
        }
        if summary == nil {
            log("labelling \(full.count) frames of \(name) with the HOG people detector (cached afterwards)")
            let indices = full.keys.sorted()
            let found = Mutex<[Int: [Detection]]>([:])
            let failure = Mutex<VideoError?>(nil)
            let seconds = Mutex(0.0)
            let frames = full
            DispatchQueue.concurrentPerform(iterations: max(1, threads)) { worker in
                for (position, index) in indices.enumerated() where position % max(1, threads) == worker {
                    guard let frame = frames[index] else { continue }
                    let started = ContinuousClock.now
                    do {
                        let people = try detector.detect(frame)
                        let elapsed = started.duration(to: .now)
                        seconds.withLock {
                            $0 += Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                        }
                        found.withLock { $0[index] = people }
                    } catch {
                        failure.withLock { $0 = (error as? VideoError) ?? .invalidRequest("\(error)") }
                    }
                }
            }
            if let error = failure.withLock({ $0 }) { throw error }
            let detections = found.withLock { $0 }
            var labelled: [Int: [LabelledObject]] = [:]
            for index in indices {
                labelled[index] = Self.label(blobs[index] ?? [], people: detections[index] ?? [])
            }
            let built = Summary(
                clip: name,
                stride: stride,
                upscale: detector.upscale,
                frameCount: count,
                framesPerSecond: info.framesPerSecond,
                width: info.width,
                height: info.height,
                teacherSecondsPerFrame: seconds.withLock { $0 } / Double(max(1, indices.count)),
                frames: labelled
            )
            if let data = try? JSONEncoder().encode(built) {
                let temporary = cache + ".part"
                if FileManager.default.createFile(atPath: temporary, contents: data) {
                    _ = try? FileManager.default.replaceItemAt(
                        URL(fileURLWithPath: cache),
                        withItemAt: URL(fileURLWithPath: temporary)
                    )
                    if !FileManager.default.fileExists(atPath: cache) {
                        try? FileManager.default.moveItem(atPath: temporary, toPath: cache)
                    }
                }
            }
            summary = built
        }
        guard let summary, summary.frameCount == count else {
            throw .cannotRead(
                source: clip,
                reason: "the clip changed since its objects were catalogued; delete \(cache)"
            )
        }
        let frames = summary.frames.keys.sorted().compactMap { index -> Frame? in
            guard let image = small[index], let timestamp = timestamps[index] else { return nil }
            return Frame(index: index, timestamp: timestamp, objects: summary.frames[index] ?? [], image: image)
        }
        return VideoCatalogue(
            clip: clip,
            info: info,
            stride: stride,
            downscale: downscale,
            teacherSecondsPerFrame: summary.teacherSecondsPerFrame,
            frames: frames,
            frameCount: count
        )
    }

    /// A moving blob is a person when a detection overlaps it (IoU ≥ 0.2, or the detection's centre lies in
    /// a blob at most three times its size); otherwise it is another moving object.
    public static func label(_ blobs: [Box], people: [Detection]) -> [LabelledObject] {
        blobs.map { blob in
            let person = people.contains { detection in
                let box = detection.box
                if box.iou(blob) >= 0.2 { return true }
                let centreX = box.x + box.width / 2
                let centreY = box.y + box.height / 2
                let inside =
                    centreX >= blob.x && centreX < blob.x + blob.width && centreY >= blob.y
                    && centreY < blob.y + blob.height
                return inside && blob.area <= 3 * box.area
            }
            return LabelledObject(box: blob, label: person ? .person : .other)
        }
    }

    /// FNV-1a, 64 bits: a stable name for a cache file.
    static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01B3 }
    }

    /// Box-average shrink of a grey frame.
    static func shrink(_ frame: VideoFrame, by factor: Int) -> VideoFrame {
        guard factor > 1 else { return frame }
        let width = frame.width / factor
        let height = frame.height / factor
        let values = MotionProposer.downscale(frame, by: factor)
        return VideoFrame(
            pixels: values.map { UInt8(min(255, max(0, $0.rounded()))) },
            width: width,
            height: height,
            channels: 1,
            timestamp: frame.timestamp,
            index: frame.index
        )
    }
}
