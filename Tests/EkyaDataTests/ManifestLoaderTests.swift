import EkyaData
import Foundation
import Testing

@Suite struct ManifestLoaderTests {
    /// Writes a small PNG (and a JPEG) into `directory` and returns their names.
    func writeImages(in directory: URL) throws {
        let square = try GrayImage(
            width: 56,
            height: 56,
            pixels: (0..<(56 * 56)).map { index in
                let (row, column) = (index / 56, index % 56)
                return (16..<40).contains(row) && (16..<40).contains(column) ? 200 : 10
            }
        )
        try Data(square.pngData()).write(to: directory.appendingPathComponent("a.png"))
        try Data(square.jpegData(quality: 95)).write(to: directory.appendingPathComponent("b.jpg"))
        try Data("not an image".utf8).write(to: directory.appendingPathComponent("broken.png"))
    }

    func load(_ manifest: String) throws -> [RecordedStream] {
        let directory = try Fixtures.temporaryDirectory()
        try writeImages(in: directory)
        let path = directory.appendingPathComponent("manifest.csv")
        try Data(manifest.utf8).write(to: path)
        return try ManifestLoader().load(manifestAt: path.path)
    }

    @Test func loadsStreamsDecodingPNGAndJPEG() throws {
        // Given a manifest with a header, two interleaved streams, names and indices as labels
        let streams = try load(
            """
            stream,timestamp,image_path,label
            till-1,0.0,a.png,bag
            till-2,0.5,b.jpg,
            till-1,1.5,b.jpg,3
            "till-1",2.0,a.png,Sneaker
            """
        )
        // Then each stream's crops are decoded, resized to 28x28 and labelled
        #expect(streams.map(\.name) == ["till-1", "till-2"])
        let crops = streams[0].crops
        #expect(crops.count == 3)
        #expect(crops.labels == [8, 3, 7])
        #expect(streams[1].crops.labels == [-1])
        #expect(crops.timestamps == [.zero, .milliseconds(1500), .seconds(2)])
        #expect(crops.sourceIDs == [2, 4, 5])
        #expect(abs(crops.crop(0)[14 * 28 + 14] - 200 / 255) < 0.01)
        #expect(abs(crops.crop(0)[0] - 10 / 255) < 0.01)
        #expect(abs(crops.crop(1)[14 * 28 + 14] - 200 / 255) < 0.05)
    }

    @Test func windowsSplitTrainAndTestWithoutOverlap() throws {
        let rows = (0..<40).map { "cam,\(Double($0) * 0.5),a.png,bag" }.joined(separator: "\n")
        let stream = try #require(try load(rows).first)
        let windows = try stream.windows(duration: .seconds(5), testFraction: 0.25)
        #expect(windows.count == 4)
        for window in windows {
            #expect(window.train.count == 7 && window.test.count == 3)
            #expect(Set(window.train.sourceIDs).isDisjoint(with: window.test.sourceIDs))
            #expect(window.drift.classMix[8] == 1)
        }
    }

    @Test func missingFileNamesTheRow() throws {
        let error = #expect(throws: DataError.self) { try load("cam,0,a.png\ncam,1,nowhere.png") }
        guard case .missingImage(let row, let path) = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(row == 2 && path.hasSuffix("nowhere.png"))
        #expect(error?.description.contains("row 2") == true)
    }

    @Test func undecodableImageNamesTheRow() throws {
        let error = #expect(throws: DataError.self) { try load("cam,0,a.png\n\ncam,1,broken.png") }
        guard case .undecodableImage(let row, _, _) = error else {
            Issue.record("unexpected \(String(describing: error))")
            return
        }
        #expect(row == 3)
    }

    @Test func anImageThatDeclaresAHugeSizeIsRefusedBeforeDecoding() {
        // 17 bytes that stb_image reads as a TGA header asking for a giant image (found by the fuzzer:
        // decoding it took over 13 s and 2 GB).
        let header: [UInt8] = [
            0x06, 0x00, 0x0A, 0x20, 0x55, 0x6E, 0x73, 0x61, 0x66, 0x65, 0x42, 0x75, 0x66, 0x66, 0x65, 0x33, 0x20,
        ]
        #expect {
            _ = try GrayImage(decoding: header)
        } throws: { error in
            guard case .undecodable(let reason) = error as? ImageCodecError else { return false }
            return reason.contains("more than the \(GrayImage.maximumPixels) an image may have")
        }
    }

    @Test func unknownClassNamesTheRow() throws {
        #expect(throws: DataError.unknownClass(row: 2, label: "banana")) {
            try load("stream,timestamp,image_path,label\ncam,0,a.png,banana")
        }
        #expect(throws: DataError.unknownClass(row: 1, label: "10")) { try load("cam,0,a.png,10") }
    }

    @Test func unsortedTimestampsNameTheRow() throws {
        #expect(throws: DataError.unsortedTimestamps(row: 3, stream: "cam", previous: 2, current: 1)) {
            try load("cam,2,a.png\nother,0,a.png\ncam,1,a.png")
        }
    }

    @Test func malformedRowsAreRejected() throws {
        #expect(throws: DataError.malformedRow(row: 1, reason: "2 fields")) { try load("cam,0") }
        #expect(throws: DataError.self) { try load("cam,soon,a.png") }
        #expect(throws: DataError.self) { try load("") }
    }
}
