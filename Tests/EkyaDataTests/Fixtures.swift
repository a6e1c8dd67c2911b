import EkyaData
import Foundation

/// Shared, lazily loaded test fixtures.
enum Fixtures {
    /// Both Fashion-MNIST splits joined (loaded once per test process).
    static let pool: ImagePool? = try? FashionMNIST.loadAll()

    /// Whether the Debian package `dataset-fashion-mnist` is installed.
    static let hasDataset = FashionMNIST.isAvailable()

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ekya-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A 28×28 crop with a bright square in the middle and a gradient elsewhere.
    static func sampleCrop() -> [Float] {
        (0..<CropBatch.pixelsPerCrop).map { index in
            let row = index / CropBatch.side
            let column = index % CropBatch.side
            if (8..<20).contains(row), (8..<20).contains(column) { return 0.9 }
            return Float(column) / Float(CropBatch.side) * 0.3
        }
    }

    static func mean(_ values: [Float]) -> Float {
        values.reduce(0, +) / Float(values.count)
    }

    static func standardDeviation(_ values: [Float]) -> Float {
        let average = mean(values)
        return (values.reduce(0) { $0 + ($1 - average) * ($1 - average) } / Float(values.count)).squareRoot()
    }
}
