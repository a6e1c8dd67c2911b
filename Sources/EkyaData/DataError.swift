/// Everything that can go wrong while loading images, building streams or reading a manifest.
///
/// Each case's ``description`` says what to do about it; manifest errors name the 1-based row.
public enum DataError: Error, Equatable, CustomStringConvertible {
    /// The Fashion-MNIST files are not where the Debian package puts them.
    case datasetMissing(path: String)
    /// An IDX file exists but is not a well-formed IDX file of the expected kind.
    case corruptIDX(path: String, reason: String)
    /// A file could not be read.
    case unreadableFile(path: String)
    /// No built-in scenario has this name.
    case unknownScenario(String)
    /// A stream or labeler parameter is out of range.
    case invalidConfiguration(String)
    /// A manifest row does not have the `stream,timestamp,image_path[,label]` shape.
    case malformedRow(row: Int, reason: String)
    /// A manifest row names an image file that does not exist.
    case missingImage(row: Int, path: String)
    /// A manifest row names a file that is not a decodable PNG/JPEG image.
    case undecodableImage(row: Int, path: String, reason: String)
    /// A manifest row's label is not one of the known classes.
    case unknownClass(row: Int, label: String)
    /// A manifest row's timestamp is earlier than the previous row of the same stream.
    case unsortedTimestamps(row: Int, stream: String, previous: Double, current: Double)
    /// A manifest has no rows.
    case emptyManifest(path: String)

    public var description: String {
        switch self {
        case .datasetMissing(let path):
            "Fashion-MNIST not found at \(path); install the Debian package 'dataset-fashion-mnist' "
                + "(sudo apt-get install dataset-fashion-mnist) or pass the directory that holds the IDX files"
        case .corruptIDX(let path, let reason):
            "\(path) is not a valid IDX file: \(reason)"
        case .unreadableFile(let path):
            "cannot read \(path)"
        case .unknownScenario(let name):
            "no scenario named '\(name)'; known: \(ScenarioPreset.allCases.map(\.rawValue).joined(separator: ", "))"
        case .invalidConfiguration(let reason):
            "invalid configuration: \(reason)"
        case .malformedRow(let row, let reason):
            "manifest row \(row): \(reason) (expected stream,timestamp,image_path[,label])"
        case .missingImage(let row, let path):
            "manifest row \(row): image file \(path) does not exist"
        case .undecodableImage(let row, let path, let reason):
            "manifest row \(row): cannot decode image \(path) (\(reason)); PNG and JPEG are supported"
        case .unknownClass(let row, let label):
            "manifest row \(row): unknown class '\(label)'"
        case .unsortedTimestamps(let row, let stream, let previous, let current):
            "manifest row \(row): timestamp \(current) of stream '\(stream)' is earlier than the previous \(previous); "
                + "sort each stream's rows by timestamp"
        case .emptyManifest(let path):
            "manifest \(path) has no rows"
        }
    }
}
