/// Parsing of the IDX format used by MNIST and Fashion-MNIST.
///
/// An IDX file is a big-endian header — two zero bytes, a type byte (0x08 = unsigned byte), a dimension
/// count — followed by one 32-bit size per dimension and the data. Images are 3-dimensional
/// (`count × rows × columns`, magic 0x00000803) and labels 1-dimensional (`count`, magic 0x00000801).
public enum IDXFile {
    /// The images in an IDX3 unsigned-byte file: count, rows, columns and the pixel bytes.
    public static func parseImages(
        _ bytes: [UInt8],
        path: String
    ) throws(DataError) -> (count: Int, rows: Int, columns: Int, pixels: [UInt8]) {
        let dimensions = try header(bytes, path: path, expectedDimensions: 3)
        let (count, rows, columns) = (dimensions[0], dimensions[1], dimensions[2])
        let start = 4 + 4 * 3
        // Each dimension is below 2^32, so the product of three can overflow Int: a header that claims more
        // than the file holds is corrupt, not a trap.
        let (plane, planeOverflow) = rows.multipliedReportingOverflow(by: columns)
        let (size, overflow) = count.multipliedReportingOverflow(by: plane)
        guard !planeOverflow, !overflow, bytes.count == start + size else {
            let expected =
                planeOverflow || overflow ? "\(count) × \(rows) × \(columns) image bytes" : "\(start + size) bytes"
            throw .corruptIDX(path: path, reason: "expected \(expected), found \(bytes.count)")
        }
        return (count, rows, columns, Array(bytes[start...]))
    }

    /// The labels in an IDX1 unsigned-byte file.
    public static func parseLabels(_ bytes: [UInt8], path: String) throws(DataError) -> [UInt8] {
        let dimensions = try header(bytes, path: path, expectedDimensions: 1)
        let start = 4 + 4
        guard bytes.count == start + dimensions[0] else {
            throw .corruptIDX(path: path, reason: "expected \(start + dimensions[0]) bytes, found \(bytes.count)")
        }
        return Array(bytes[start...])
    }

    private static func header(_ bytes: [UInt8], path: String, expectedDimensions: Int) throws(DataError) -> [Int] {
        guard bytes.count >= 4 + 4 * expectedDimensions else {
            throw .corruptIDX(path: path, reason: "file is shorter than its header")
        }
        guard bytes[0] == 0, bytes[1] == 0, bytes[2] == 0x08 else {
            throw .corruptIDX(path: path, reason: "magic number does not announce unsigned bytes")
        }
        guard Int(bytes[3]) == expectedDimensions else {
            throw .corruptIDX(path: path, reason: "expected \(expectedDimensions) dimensions, found \(bytes[3])")
        }
        return (0..<expectedDimensions).map { dimension in
            let offset = 4 + 4 * dimension
            return bytes[offset..<(offset + 4)].reduce(0) { ($0 << 8) | Int($1) }
        }
    }
}
