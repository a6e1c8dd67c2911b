/// A batch of grayscale item crops in the common crop format: 28×28 pixels, `Float` in `0...1`, row-major.
///
/// Fashion-MNIST images are already in this format; user images are decoded and resized into it.
/// `sourceIDs` identify the underlying image (pool index or manifest row) so overlap can be checked.
public struct CropBatch: Sendable, Equatable {
    /// Side length of a crop in pixels.
    public static let side = 28
    /// Pixels per crop (`side * side`).
    public static let pixelsPerCrop = side * side

    /// All crops' pixels, `count * pixelsPerCrop` values in `0...1`.
    public var pixels: [Float]
    /// The true class index of each crop; `-1` when unknown, such as an unlabelled manifest row.
    public var labels: [Int]
    /// When each crop was captured, as time since the stream started.
    public var timestamps: [Duration]
    /// Which source image each crop was made from.
    public var sourceIDs: [Int]

    /// Creates a batch; all arrays must describe the same number of crops.
    public init(pixels: [Float], labels: [Int], timestamps: [Duration], sourceIDs: [Int]) {
        precondition(pixels.count == labels.count * Self.pixelsPerCrop, "pixel count does not match crop count")
        precondition(labels.count == timestamps.count && labels.count == sourceIDs.count, "ragged crop batch")
        self.pixels = pixels
        self.labels = labels
        self.timestamps = timestamps
        self.sourceIDs = sourceIDs
    }

    /// An empty batch.
    public init() {
        self.init(pixels: [], labels: [], timestamps: [], sourceIDs: [])
    }

    /// Number of crops.
    public var count: Int { labels.count }

    /// Whether the batch has no crops.
    public var isEmpty: Bool { labels.isEmpty }

    /// The pixels of crop `index` (a copy, indexed from 0).
    public func crop(_ index: Int) -> [Float] {
        Array(pixels[(index * Self.pixelsPerCrop)..<((index + 1) * Self.pixelsPerCrop)])
    }

    /// Reserves room for `count` crops.
    public mutating func reserveCapacity(_ count: Int) {
        pixels.reserveCapacity(count * Self.pixelsPerCrop)
        labels.reserveCapacity(count)
        timestamps.reserveCapacity(count)
        sourceIDs.reserveCapacity(count)
    }

    /// Appends one crop.
    public mutating func append(pixels crop: some Collection<Float>, label: Int, timestamp: Duration, sourceID: Int) {
        precondition(crop.count == Self.pixelsPerCrop, "a crop has \(Self.pixelsPerCrop) pixels")
        pixels.append(contentsOf: crop)
        labels.append(label)
        timestamps.append(timestamp)
        sourceIDs.append(sourceID)
    }

    /// Number of crops of each class in `0..<classCount` (unknown labels are not counted).
    public func classCounts(classCount: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels where (0..<classCount).contains(label) {
            counts[label] += 1
        }
        return counts
    }
}
