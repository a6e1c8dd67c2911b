import CEkyaML

/// Labelled images copied once into libtorch tensors, addressed by index in training and inference.
///
/// Not thread-safe; confine to one owner (an actor) like the models that read it.
public final class TorchDataset {
    let handle: OpaquePointer
    /// Number of images.
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    /// The label of each image.
    public let labels: [Int]

    /// Copies `pixels` (count × channels × height × width floats, row-major) and their labels.
    public init(pixels: [Float], labels: [Int], channels: Int, height: Int, width: Int) throws(MLError) {
        let perImage = channels * height * width
        guard channels > 0, height > 0, width > 0, !labels.isEmpty, pixels.count == labels.count * perImage else {
            throw .invalidArgument(
                "\(pixels.count) pixels do not form \(labels.count) images of \(channels)×\(height)×\(width)"
            )
        }
        let labels64 = labels.map { Int64($0) }
        var result: OpaquePointer?
        let status = pixels.withUnsafeBufferPointer { pixelBuffer in
            labels64.withUnsafeBufferPointer { labelBuffer in
                ekml_dataset_create(
                    pixelBuffer.baseAddress,
                    labelBuffer.baseAddress,
                    Int64(labels.count),
                    Int32(channels),
                    Int32(height),
                    Int32(width),
                    &result
                )
            }
        }
        try check(status)
        guard let result else { throw .torch("dataset creation returned no handle") }
        self.handle = result
        self.count = labels.count
        self.channels = channels
        self.height = height
        self.width = width
        self.labels = labels
    }

    deinit {
        ekml_dataset_destroy(handle)
    }
}
