import CEkyaVision

/// A person found by the teacher, with the detector's SVM margin.
public struct Detection: Sendable, Equatable {
    public var box: Box
    public var score: Double
}

/// The video teacher: OpenCV's HOG + linear-SVM pedestrian detector (Dalal & Triggs 2005) on a grey frame.
///
/// Far dearer than the edge model (about a second per 768×576 frame at 2× upscale on one core), so it
/// labels only the frames each window samples, and its compute is charged to the window as Ekya charges
/// its golden model. Runs on the calling thread with one OpenCV thread.
public struct PeopleDetector: Sendable {
    /// The image is searched at this multiple of its size: 2 finds the small, distant pedestrians of a
    /// surveillance camera that the detector's 64×128 window misses at 1.
    public var upscale: Double
    /// The SVM margin a detection needs.
    public var hitThreshold: Double

    public init(upscale: Double = 2, hitThreshold: Double = 0) {
        self.upscale = upscale
        self.hitThreshold = hitThreshold
    }

    public func detect(_ frame: VideoFrame) throws(VideoError) -> [Detection] {
        guard frame.channels == 1 else { throw .invalidRequest("the people detector needs grey frames") }
        var boxes = [ekh_box](repeating: ekh_box(), count: 256)
        var error = [CChar](repeating: 0, count: 256)
        let found = frame.pixels.withUnsafeBufferPointer { pixels in
            ekh_detect_people(
                pixels.baseAddress,
                Int32(frame.width),
                Int32(frame.height),
                upscale,
                hitThreshold,
                &boxes,
                Int32(boxes.count),
                &error,
                Int32(error.count)
            )
        }
        guard found >= 0 else {
            throw .invalidRequest(VideoReader.message(error, fallback: "the people detector failed"))
        }
        return boxes.prefix(Int(min(found, Int32(boxes.count)))).map {
            Detection(
                box: Box(x: Int($0.x), y: Int($0.y), width: Int($0.width), height: Int($0.height)),
                score: $0.score
            )
        }
    }
}
