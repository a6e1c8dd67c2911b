/// A rectangle in a frame's pixels.
public struct Box: Sendable, Equatable, Hashable, Codable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var area: Int { width * height }

    /// Intersection over union with `other` (0 when they do not overlap).
    public func iou(_ other: Box) -> Double {
        let left = max(x, other.x)
        let top = max(y, other.y)
        let right = min(x + width, other.x + other.width)
        let bottom = min(y + height, other.y + other.height)
        guard right > left, bottom > top else { return 0 }
        let intersection = Double((right - left) * (bottom - top))
        return intersection / (Double(area + other.area) - intersection)
    }

    /// This box grown by `fraction` of its size on every side, then clamped to a `width × height` frame.
    public func padded(by fraction: Double, within frameWidth: Int, _ frameHeight: Int) -> Box {
        let dx = Int((Double(width) * fraction).rounded())
        let dy = Int((Double(height) * fraction).rounded())
        let left = max(0, x - dx)
        let top = max(0, y - dy)
        let right = min(frameWidth, x + width + dx)
        let bottom = min(frameHeight, y + height + dy)
        return Box(x: left, y: top, width: max(1, right - left), height: max(1, bottom - top))
    }
}

/// The cheap per-stream proposal stage: moving blobs from a running-average background model.
///
/// Chosen over a detector because it costs well under a millisecond per frame at a quarter of the
/// resolution, which leaves the device to the edge models, and because the cameras are fixed: what moves
/// is what the analytics count. The teacher (a real detector) then says which blobs are people. Frames
/// are analysed at `1/scale` of their size; a pixel is foreground when it differs from the background by
/// more than `threshold` grey levels; the background follows the scene (lighting) at `learningRate` per
/// frame, ten times slower under foreground.
public struct MotionProposer: Sendable {
    public var scale: Int
    public var threshold: Float
    public var learningRate: Float
    /// Blobs smaller than this many analysed pixels are noise.
    public var minimumArea: Int
    private var background: [Float] = []
    private var size = (width: 0, height: 0)

    public init(scale: Int = 4, threshold: Float = 25, learningRate: Float = 0.05, minimumArea: Int = 12) {
        self.scale = max(1, scale)
        self.threshold = threshold
        self.learningRate = learningRate
        self.minimumArea = minimumArea
    }

    /// The moving blobs of a grey frame, in the frame's pixels; none for the first frame (it becomes the
    /// background).
    public mutating func propose(_ frame: VideoFrame) -> [Box] {
        precondition(frame.channels == 1, "motion proposals need grey frames")
        let small = Self.downscale(frame, by: scale)
        let width = frame.width / scale
        let height = frame.height / scale
        guard width > 2, height > 2 else { return [] }
        if background.count != small.count || size != (width, height) {
            background = small
            size = (width, height)
            return []
        }
        var mask = [Bool](repeating: false, count: small.count)
        for index in 0..<small.count {
            let foreground = abs(small[index] - background[index]) > threshold
            mask[index] = foreground
            let rate = foreground ? learningRate / 10 : learningRate
            background[index] += rate * (small[index] - background[index])
        }
        let dilated = Self.dilate(mask, width: width, height: height)
        return Self.components(dilated, width: width, height: height, minimumArea: minimumArea).map { box in
            Box(x: box.x * scale, y: box.y * scale, width: box.width * scale, height: box.height * scale)
        }
    }

    /// Box-average downscaling of a grey frame.
    static func downscale(_ frame: VideoFrame, by scale: Int) -> [Float] {
        let width = frame.width / scale
        let height = frame.height / scale
        var small = [Float](repeating: 0, count: width * height)
        let norm = 1 / Float(scale * scale)
        frame.pixels.withUnsafeBufferPointer { pixels in
            for y in 0..<height {
                for x in 0..<width {
                    var sum = 0
                    for dy in 0..<scale {
                        let row = (y * scale + dy) * frame.width + x * scale
                        for dx in 0..<scale { sum += Int(pixels[row + dx]) }
                    }
                    small[y * width + x] = Float(sum) * norm
                }
            }
        }
        return small
    }

    /// 3×3 dilation: joins the fragments of one moving object.
    static func dilate(_ mask: [Bool], width: Int, height: Int) -> [Bool] {
        var out = mask
        for y in 0..<height {
            for x in 0..<width where mask[y * width + x] {
                for dy in -1...1 {
                    for dx in -1...1 {
                        let nx = x + dx
                        let ny = y + dy
                        if nx >= 0, ny >= 0, nx < width, ny < height { out[ny * width + nx] = true }
                    }
                }
            }
        }
        return out
    }

    /// Bounding boxes of the 8-connected foreground regions of at least `minimumArea` pixels.
    static func components(_ mask: [Bool], width: Int, height: Int, minimumArea: Int) -> [Box] {
        var seen = [Bool](repeating: false, count: mask.count)
        var boxes: [Box] = []
        var stack: [Int] = []
        for start in 0..<mask.count where mask[start] && !seen[start] {
            seen[start] = true
            stack.append(start)
            var count = 0
            var (left, top, right, bottom) = (width, height, 0, 0)
            while let index = stack.popLast() {
                count += 1
                let x = index % width
                let y = index / width
                left = min(left, x)
                right = max(right, x)
                top = min(top, y)
                bottom = max(bottom, y)
                for dy in -1...1 {
                    for dx in -1...1 {
                        let nx = x + dx
                        let ny = y + dy
                        guard nx >= 0, ny >= 0, nx < width, ny < height else { continue }
                        let next = ny * width + nx
                        if mask[next], !seen[next] {
                            seen[next] = true
                            stack.append(next)
                        }
                    }
                }
            }
            if count >= minimumArea {
                boxes.append(Box(x: left, y: top, width: right - left + 1, height: bottom - top + 1))
            }
        }
        return boxes
    }
}

/// Square crops of a grey frame's regions, resized for the edge model.
public enum CropMaker {
    /// The region `box` of a grey `frame`, widened to a square about its centre (clamped to the frame),
    /// resized bilinearly to `side × side`, as values in 0...1.
    public static func crop(_ frame: VideoFrame, _ box: Box, side: Int) -> [Float] {
        precondition(frame.channels == 1, "crops are made from grey frames")
        let length = max(box.width, box.height)
        let centreX = box.x + box.width / 2
        let centreY = box.y + box.height / 2
        let left = min(max(0, centreX - length / 2), max(0, frame.width - length))
        let top = min(max(0, centreY - length / 2), max(0, frame.height - length))
        let span = Double(min(length, frame.width, frame.height))
        var out = [Float](repeating: 0, count: side * side)
        let step = span / Double(side)
        frame.pixels.withUnsafeBufferPointer { pixels in
            for y in 0..<side {
                let sy = min(Double(frame.height - 1), Double(top) + (Double(y) + 0.5) * step - 0.5)
                let y0 = max(0, Int(sy))
                let y1 = min(frame.height - 1, y0 + 1)
                let fy = Float(max(0, sy - Double(y0)))
                for x in 0..<side {
                    let sx = min(Double(frame.width - 1), Double(left) + (Double(x) + 0.5) * step - 0.5)
                    let x0 = max(0, Int(sx))
                    let x1 = min(frame.width - 1, x0 + 1)
                    let fx = Float(max(0, sx - Double(x0)))
                    let a = Float(pixels[y0 * frame.width + x0])
                    let b = Float(pixels[y0 * frame.width + x1])
                    let c = Float(pixels[y1 * frame.width + x0])
                    let d = Float(pixels[y1 * frame.width + x1])
                    let top = a + (b - a) * fx
                    let bottom = c + (d - c) * fx
                    out[y * side + x] = (top + (bottom - top) * fy) / 255
                }
            }
        }
        return out
    }
}
