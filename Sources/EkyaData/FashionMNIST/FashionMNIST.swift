import Foundation

/// The Fashion-MNIST data set (Xiao, Rasul and Vollgraf, 2017; MIT licence) as installed by Debian.
///
/// 70 000 real 28×28 grayscale photos of retail items in 10 classes: 60 000 in the training split and
/// 10 000 in the test split. The Debian package `dataset-fashion-mnist` installs the gzipped IDX files
/// under ``defaultDirectory``. For the demo these are the item crops a checkout camera classifies.
public enum FashionMNIST {
    /// Where `dataset-fashion-mnist` installs the IDX files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"

    /// The Debian package that provides the files.
    public static let debianPackage = "dataset-fashion-mnist"

    /// Class names, indexed by label.
    public static let classNames = [
        "t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot",
    ]

    /// One of the two published splits.
    public enum Split: String, Sendable, CaseIterable {
        case train
        case test

        var filePrefix: String { self == .train ? "train" : "t10k" }
    }

    /// Whether the IDX files are present in `directory`.
    public static func isAvailable(in directory: String = defaultDirectory) -> Bool {
        Split.allCases.allSatisfy { split in
            files(for: split, in: directory).allSatisfy { FileManager.default.fileExists(atPath: $0) }
        }
    }

    /// Loads one split.
    ///
    /// - Throws: ``DataError/datasetMissing(path:)`` (naming the Debian package) when a file is absent,
    ///   ``DataError/corruptIDX(path:reason:)`` when a file is malformed.
    public static func load(_ split: Split, from directory: String = defaultDirectory) throws(DataError) -> ImagePool {
        let paths = files(for: split, in: directory)
        for path in paths where !FileManager.default.fileExists(atPath: path) {
            throw .datasetMissing(path: path)
        }
        let images = try IDXFile.parseImages(try Gunzip.contents(ofFile: paths[0]), path: paths[0])
        let labels = try IDXFile.parseLabels(try Gunzip.contents(ofFile: paths[1]), path: paths[1])
        guard labels.count == images.count else {
            throw .corruptIDX(path: paths[1], reason: "\(labels.count) labels for \(images.count) images")
        }
        guard labels.allSatisfy({ Int($0) < classNames.count }) else {
            throw .corruptIDX(path: paths[1], reason: "a label is not below \(classNames.count)")
        }
        return try ImagePool(
            width: images.columns,
            height: images.rows,
            pixels: images.pixels,
            labels: labels,
            classNames: classNames
        )
    }

    /// Loads both splits joined, training images first (indices 0..<60000, then the 10 000 test images).
    public static func loadAll(from directory: String = defaultDirectory) throws(DataError) -> ImagePool {
        try load(.train, from: directory).appending(try load(.test, from: directory))
    }

    private static func files(for split: Split, in directory: String) -> [String] {
        let base = URL(fileURLWithPath: directory)
        return ["images-idx3-ubyte.gz", "labels-idx1-ubyte.gz"].map {
            base.appendingPathComponent("\(split.filePrefix)-\($0)").path
        }
    }
}
