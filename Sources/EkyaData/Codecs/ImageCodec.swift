import CEkyaCodecs

/// An 8-bit grayscale image of any size.
public struct GrayImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Row-major luma, `width * height` bytes.
    public let pixels: [UInt8]

    /// Creates an image; `pixels` must hold `width * height` bytes.
    public init(width: Int, height: Int, pixels: [UInt8]) throws(DataError) {
        guard width > 0, height > 0, pixels.count == width * height else {
            throw .invalidConfiguration("\(pixels.count) bytes do not make a \(width)x\(height) image")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The largest image decoded (4096 × 4096 pixels); crops are far smaller.
    public static let maximumPixels = 4096 * 4096

    /// Decodes a PNG, JPEG, BMP, GIF, TGA or PNM image (via stb_image) and converts it to luma.
    ///
    /// - Throws: ``ImageCodecError/undecodable(_:)`` with stb_image's reason.
    public init(decoding data: [UInt8]) throws(ImageCodecError) {
        var width: Int32 = 0
        var height: Int32 = 0
        // A header may declare any size (a 17-byte TGA can ask for a 2 GB image): refuse before decoding.
        let readable = data.withUnsafeBufferPointer { buffer in
            ekya_image_dimensions(buffer.baseAddress, buffer.count, &width, &height)
        }
        if readable == 1, Int(width) * Int(height) > Self.maximumPixels {
            throw .undecodable(
                "the image declares \(width)×\(height) pixels, more than the \(Self.maximumPixels) an image may have"
            )
        }
        var output: UnsafeMutablePointer<UInt8>?
        let status = data.withUnsafeBufferPointer { buffer in
            ekya_decode_gray(buffer.baseAddress, buffer.count, &width, &height, &output)
        }
        defer { ekya_codecs_free(output) }
        guard status == Int32(ekya_codecs_ok), let output, width > 0, height > 0 else {
            throw .undecodable(String(cString: ekya_image_failure_reason()))
        }
        self.width = Int(width)
        self.height = Int(height)
        self.pixels = [UInt8](UnsafeBufferPointer(start: output, count: Int(width) * Int(height)))
    }

    /// The image encoded as PNG.
    public func pngData() throws(ImageCodecError) -> [UInt8] {
        try encode { pixels, out, length in
            ekya_encode_png(pixels, Int32(width), Int32(height), 1, out, length)
        }
    }

    /// The image encoded as baseline JPEG at `quality` (1...100).
    public func jpegData(quality: Int = 90) throws(ImageCodecError) -> [UInt8] {
        try encode { pixels, out, length in
            ekya_encode_jpeg(pixels, Int32(width), Int32(height), 1, Int32(min(max(quality, 1), 100)), out, length)
        }
    }

    /// The image resized to a `CropBatch.side`² crop with values in `0...1`.
    ///
    /// Downscaling averages the source pixels each crop pixel covers (area filter); upscaling samples the
    /// nearest source pixel. The aspect ratio is not kept: crops are assumed to be roughly square already.
    /// With `inverted`, dark-on-light photos become light-on-dark like Fashion-MNIST.
    public func crop(inverted: Bool = false) -> [Float] {
        let side = CropBatch.side
        var crop = [Float](repeating: 0, count: side * side)
        for row in 0..<side {
            let top = row * height / side
            let bottom = max(top + 1, (row + 1) * height / side)
            for column in 0..<side {
                let left = column * width / side
                let right = max(left + 1, (column + 1) * width / side)
                var sum = 0
                for y in top..<bottom {
                    for x in left..<right { sum += Int(pixels[y * width + x]) }
                }
                let value = Float(sum) / Float((bottom - top) * (right - left) * 255)
                crop[row * side + column] = inverted ? 1 - value : value
            }
        }
        return crop
    }

    private func encode(
        _ body: (UnsafePointer<UInt8>?, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<Int>)
            -> Int32
    ) throws(ImageCodecError) -> [UInt8] {
        var output: UnsafeMutablePointer<UInt8>?
        var length = 0
        let status = pixels.withUnsafeBufferPointer { buffer in body(buffer.baseAddress, &output, &length) }
        defer { ekya_codecs_free(output) }
        guard status == Int32(ekya_codecs_ok), let output else { throw .encodingFailed }
        return [UInt8](UnsafeBufferPointer(start: output, count: length))
    }
}

/// Image decoding and encoding failures.
public enum ImageCodecError: Error, Equatable, CustomStringConvertible {
    /// stb_image could not decode the bytes; the payload is its reason.
    case undecodable(String)
    /// stb_image_write could not encode the image.
    case encodingFailed

    public var description: String {
        switch self {
        case .undecodable(let reason): "cannot decode image: \(reason)"
        case .encodingFailed: "cannot encode image"
        }
    }
}

extension CropBatch {
    /// Crop `index` as an 8-bit grayscale image, for saving it as PNG.
    public func image(_ index: Int) throws(DataError) -> GrayImage {
        try GrayImage(
            width: Self.side,
            height: Self.side,
            pixels: crop(index).map { UInt8((min(max($0, 0), 1) * 255).rounded()) }
        )
    }
}
