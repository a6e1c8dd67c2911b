/// A set of labelled 8-bit grayscale images, all the same size, stored contiguously.
public struct ImagePool: Sendable, Equatable {
    /// Image width in pixels.
    public let width: Int
    /// Image height in pixels.
    public let height: Int
    /// All images' pixels, row-major, `count * width * height` bytes (0 = black background).
    public let pixels: [UInt8]
    /// Class index of each image.
    public let labels: [UInt8]
    /// Human-readable class names, indexed by label.
    public let classNames: [String]
    /// `imagesByClassAndLook[class][look]`: look 0 = lighter half (less ink), 1 = darker half, 2 = all.
    let imagesByClassAndLook: [[[Int]]]

    /// Creates a pool; `pixels` must hold exactly `labels.count` images of `width × height`.
    public init(width: Int, height: Int, pixels: [UInt8], labels: [UInt8], classNames: [String]) throws(DataError) {
        guard width > 0, height > 0, pixels.count == labels.count * width * height else {
            throw .invalidConfiguration(
                "\(pixels.count) pixels do not make \(labels.count) images of \(width)x\(height)"
            )
        }
        guard labels.allSatisfy({ Int($0) < classNames.count }) else {
            throw .invalidConfiguration("a label is not below the class count \(classNames.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
        self.labels = labels
        self.classNames = classNames
        self.imagesByClassAndLook = Self.indexLooks(
            pixels: pixels,
            labels: labels,
            size: width * height,
            classCount: classNames.count
        )
    }

    /// Splits each class at its median ink mass (sum of pixel values), ties broken by index.
    private static func indexLooks(pixels: [UInt8], labels: [UInt8], size: Int, classCount: Int) -> [[[Int]]] {
        var byClass = [[Int]](repeating: [], count: classCount)
        var ink = [Int](repeating: 0, count: labels.count)
        pixels.withUnsafeBufferPointer { pixels in
            for image in 0..<labels.count {
                var sum = 0
                for offset in (image * size)..<((image + 1) * size) { sum += Int(pixels[offset]) }
                ink[image] = sum
            }
        }
        for image in 0..<labels.count { byClass[Int(labels[image])].append(image) }
        return byClass.map { images in
            let sorted = images.sorted { ink[$0] != ink[$1] ? ink[$0] < ink[$1] : $0 < $1 }
            let half = sorted.count / 2
            return [Array(sorted[..<half]).sorted(), Array(sorted[half...]).sorted(), images]
        }
    }

    /// Number of images.
    public var count: Int { labels.count }

    /// Number of classes.
    public var classCount: Int { classNames.count }

    /// The pixel at (`row`, `column`) of image `index`.
    public func pixel(image index: Int, row: Int, column: Int) -> UInt8 {
        pixels[index * width * height + row * width + column]
    }

    /// The concatenation of two pools with the same geometry and classes; `other`'s indices follow `self`'s.
    public func appending(_ other: ImagePool) throws(DataError) -> ImagePool {
        guard other.width == width, other.height == height, other.classNames == classNames else {
            throw .invalidConfiguration("cannot join image pools of different shape or classes")
        }
        return try ImagePool(
            width: width,
            height: height,
            pixels: pixels + other.pixels,
            labels: labels + other.labels,
            classNames: classNames
        )
    }
}
