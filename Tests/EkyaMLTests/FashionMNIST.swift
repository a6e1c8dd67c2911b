import EkyaML
import Foundation

/// A small reader of Debian's `dataset-fashion-mnist` IDX files, for these tests only.
///
/// (The project's real loader lives in EkyaData; the ML tests stay independent of it.)
enum FashionMNIST {
    static let directory = "/usr/share/datasets/fashion-mnist"

    static var isAvailable: Bool {
        FileManager.default.fileExists(atPath: "\(directory)/train-images-idx3-ubyte.gz")
            && FileManager.default.fileExists(atPath: "/bin/gzip")
    }

    /// The first `count` images (pixels scaled to 0...1) and labels of the `train` or `t10k` split.
    static func load(split: String, count: Int) throws -> (pixels: [Float], labels: [Int]) {
        let images = try gunzip("\(directory)/\(split)-images-idx3-ubyte.gz")
        let labels = try gunzip("\(directory)/\(split)-labels-idx1-ubyte.gz")
        let pixelCount = count * 28 * 28
        guard images.count >= 16 + pixelCount, labels.count >= 8 + count else {
            throw CocoaError(.fileReadCorruptFile)
        }
        let pixels = images[16..<(16 + pixelCount)].map { Float($0) / 255 }
        return (pixels, labels[8..<(8 + count)].map { Int($0) })
    }

    private static func gunzip(_ path: String) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileReadCorruptFile) }
        return [UInt8](data)
    }
}

enum Probe {
    /// Pixels from a multiplicative hash of the element index (scripts/make_torchscript_fixture.py).
    static func pixels(count: Int) -> [Float] {
        (0..<count).map { k in Float(Double((UInt64(k) &* 2_654_435_761) % 4_294_967_296) / 4_294_967_296) }
    }

    /// Random-looking labelled images of one shape.
    static func dataset(count: Int, channels: Int = 1, size: Int = 28, classes: Int = 10) throws -> TorchDataset {
        try TorchDataset(
            pixels: pixels(count: count * channels * size * size),
            labels: (0..<count).map { $0 % classes },
            channels: channels,
            height: size,
            width: size
        )
    }

    static let fixtureDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ekya-ml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func allParameters(_ model: TorchModel) throws -> [[Float]] {
        try model.parameterNames.indices.map { try model.parameterValues(at: $0) }
    }

    static func allBuffers(_ model: TorchModel) throws -> [[Float]] {
        try model.bufferNames.indices.map { try model.bufferValues(at: $0) }
    }
}
