import Foundation

/// Loads users' own camera crops from a CSV manifest and replays them as streams.
///
/// Format, one crop per line: `stream,timestamp,image_path[,label]`.
/// - `stream`: any name; rows of several streams may be interleaved.
/// - `timestamp`: seconds since the stream started (a decimal number); non-decreasing within each stream.
/// - `image_path`: a PNG or JPEG file, relative to the manifest's folder unless absolute.
/// - `label` (optional): a class name from ``classNames`` or its index; empty or absent means unlabelled.
///
/// A first line whose second field is `timestamp` is a header and is skipped, as are blank lines and lines
/// starting with `#`. Fields may be double-quoted (`"a,b"`, with `""` for a quote). Images are converted to
/// luma and resized to the 28×28 crop format. Errors name the 1-based line ("row") of the manifest.
public struct ManifestLoader: Sendable {
    /// Known classes; a label must be one of these names or an index into them.
    public var classNames: [String]
    /// Invert images (dark items on a light background become light on dark, like Fashion-MNIST).
    public var invertsImages: Bool

    /// Creates a loader.
    public init(classNames: [String] = FashionMNIST.classNames, invertsImages: Bool = false) {
        self.classNames = classNames
        self.invertsImages = invertsImages
    }

    /// Loads the manifest at `path`; streams come back in order of first appearance.
    public func load(manifestAt path: String) throws(DataError) -> [RecordedStream] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadableFile(path: path) }
        let text = String(decoding: data, as: UTF8.self)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let streams = try parse(text, relativeTo: directory)
        guard !streams.isEmpty else { throw .emptyManifest(path: path) }
        return streams
    }

    /// Parses manifest `text`, resolving relative image paths against `directory`.
    public func parse(_ text: String, relativeTo directory: String) throws(DataError) -> [RecordedStream] {
        var order: [String] = []
        var batches: [String: CropBatch] = [:]
        var lastTimestamp: [String: Double] = [:]
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (offset, rawLine) in lines.enumerated() {
            let row = offset + 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            let fields = try Self.fields(of: line, row: row)
            if order.isEmpty, batches.isEmpty, fields.count >= 2, fields[1].lowercased() == "timestamp" { continue }
            guard fields.count == 3 || fields.count == 4 else {
                throw .malformedRow(row: row, reason: "\(fields.count) fields")
            }
            let stream = fields[0]
            guard !stream.isEmpty else { throw .malformedRow(row: row, reason: "empty stream name") }
            guard let seconds = Double(fields[1]), seconds.isFinite, seconds >= 0 else {
                throw .malformedRow(row: row, reason: "timestamp '\(fields[1])' is not a non-negative number")
            }
            if let previous = lastTimestamp[stream], seconds < previous {
                throw .unsortedTimestamps(row: row, stream: stream, previous: previous, current: seconds)
            }
            lastTimestamp[stream] = seconds
            let label = try self.label(fields.count == 4 ? fields[3] : "", row: row)
            let crop = try image(fields[2], relativeTo: directory, row: row)
            if batches[stream] == nil {
                order.append(stream)
                batches[stream] = CropBatch()
            }
            batches[stream]?.append(
                pixels: crop,
                label: label,
                timestamp: .nanoseconds(Int64((seconds * 1e9).rounded())),
                sourceID: row
            )
        }
        return order.map { RecordedStream(name: $0, crops: batches[$0] ?? CropBatch(), classCount: classNames.count) }
    }

    private func label(_ field: String, row: Int) throws(DataError) -> Int {
        guard !field.isEmpty else { return -1 }
        if let index = classNames.firstIndex(of: field) { return index }
        if let index = classNames.firstIndex(where: { $0.lowercased() == field.lowercased() }) { return index }
        if let index = Int(field), classNames.indices.contains(index) { return index }
        throw .unknownClass(row: row, label: field)
    }

    private func image(_ field: String, relativeTo directory: String, row: Int) throws(DataError) -> [Float] {
        guard !field.isEmpty else { throw .malformedRow(row: row, reason: "empty image path") }
        let path = field.hasPrefix("/") ? field : URL(fileURLWithPath: directory).appendingPathComponent(field).path
        guard let data = FileManager.default.contents(atPath: path) else { throw .missingImage(row: row, path: path) }
        do {
            return try GrayImage(decoding: [UInt8](data)).crop(inverted: invertsImages)
        } catch {
            throw .undecodableImage(row: row, path: path, reason: error.description)
        }
    }

    /// Splits one CSV line into trimmed fields, honouring double quotes.
    static func fields(of line: Substring, row: Int) throws(DataError) -> [String] {
        var fields: [String] = []
        var current = ""
        var isQuoted = false
        var iterator = line.makeIterator()
        var pending: Character?
        while let character = pending ?? iterator.next() {
            pending = nil
            if isQuoted {
                if character == "\"" {
                    let next = iterator.next()
                    if next == "\"" {
                        current.append("\"")
                    } else {
                        isQuoted = false
                        pending = next
                    }
                } else {
                    current.append(character)
                }
            } else if character == "\"" {
                isQuoted = true
            } else if character == "," {
                fields.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(character)
            }
        }
        guard !isQuoted else { throw .malformedRow(row: row, reason: "unterminated quote") }
        fields.append(current.trimmingCharacters(in: .whitespaces))
        return fields
    }
}
