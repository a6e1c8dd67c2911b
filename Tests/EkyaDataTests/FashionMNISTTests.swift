import EkyaData
import Foundation
import Testing

@Suite struct FashionMNISTTests {
    @Test func anIDXHeaderWhoseSizesOverflowIsCorruptNotATrap() {
        // Given an IDX3 header that claims 2^32 − 1 images of (2^32 − 1)² pixels (found by the idx fuzz target)
        let bytes: [UInt8] = [0, 0, 8, 3] + [UInt8](repeating: 0xFF, count: 12)
        // Then parsing throws a corrupt-file error naming the sizes
        #expect {
            try IDXFile.parseImages(bytes, path: "huge.idx")
        } throws: { error in
            "\(error)".contains("4294967295 × 4294967295 × 4294967295")
        }
    }

    @Test(.enabled(if: Fixtures.hasDataset, "needs the Debian package dataset-fashion-mnist"))
    func trainSplitHasKnownCountsPixelsAndLabels() throws {
        // When the training split is loaded from the Debian package
        let pool = try FashionMNIST.load(.train)
        // Then it has the published shape, balance and first values
        #expect(pool.count == 60_000)
        #expect(pool.width == 28 && pool.height == 28)
        #expect(Array(pool.labels.prefix(10)) == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
        #expect(pool.labels.last == 5)
        #expect((0..<10).allSatisfy { label in pool.labels.filter { $0 == label }.count == 6_000 })
        #expect(pool.pixel(image: 0, row: 14, column: 12) == 237)
        #expect(pool.pixel(image: 0, row: 14, column: 25) == 255)
        #expect(pool.pixel(image: 0, row: 4, column: 14) == 36)
        #expect(pool.pixels[0..<784].reduce(0) { $0 + Int($1) } == 76_247)
    }

    @Test(.enabled(if: Fixtures.hasDataset, "needs the Debian package dataset-fashion-mnist"))
    func testSplitHasKnownCountsPixelsAndLabels() throws {
        let pool = try FashionMNIST.load(.test)
        #expect(pool.count == 10_000)
        #expect(Array(pool.labels.prefix(10)) == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
        #expect(pool.pixel(image: 0, row: 14, column: 12) == 98)
        #expect(pool.pixels[(9_999 * 784)...].reduce(0) { $0 + Int($1) } == 24_390)
    }

    @Test(.enabled(if: Fixtures.hasDataset, "needs the Debian package dataset-fashion-mnist"))
    func joinedPoolPutsTestImagesAfterTrainingImages() throws {
        let pool = try #require(Fixtures.pool)
        #expect(pool.count == 70_000)
        #expect(pool.labels[60_000] == 9 && pool.labels[60_001] == 2)
        #expect(pool.classNames[9] == "ankle-boot")
    }

    @Test func missingDatasetNamesTheDebianPackage() throws {
        // Given a directory without the IDX files
        let directory = try Fixtures.temporaryDirectory()
        // When loading, then the error says which package to install
        let error = #expect(throws: DataError.self) { try FashionMNIST.load(.train, from: directory.path) }
        #expect(error?.description.contains("dataset-fashion-mnist") == true)
        #expect(!FashionMNIST.isAvailable(in: directory.path))
    }

    @Test func parsesHandMadeIDXFiles() throws {
        // Given a 2-image, 2x3 IDX3 file and a matching IDX1 file
        let images: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3] + Array(1...12)
        let labels: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 2, 7, 3]
        // When parsed
        let parsed = try IDXFile.parseImages(images, path: "images")
        // Then the dimensions and data come back
        #expect(parsed.count == 2 && parsed.rows == 2 && parsed.columns == 3)
        #expect(parsed.pixels == Array(1...12))
        #expect(try IDXFile.parseLabels(labels, path: "labels") == [7, 3])
    }

    @Test(arguments: [
        [UInt8]([0, 0, 8, 1, 0, 0, 0, 3, 1, 2]),  // truncated
        [UInt8]([0, 0, 9, 1, 0, 0, 0, 1, 1]),  // not unsigned bytes
        [UInt8]([0, 0, 8, 3, 0, 0, 0, 1, 1]),  // wrong dimension count
        [UInt8]([1, 2]),  // shorter than the header
    ])
    func rejectsMalformedLabelFiles(bytes: [UInt8]) {
        #expect(throws: DataError.self) { try IDXFile.parseLabels(bytes, path: "labels") }
    }
}
