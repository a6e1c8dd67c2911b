import EkyaData
import EkyaService
import EkyaSimulation
import EkyaVideo
import Foundation

/// The parsers of outside input, as fuzz targets (`scripts/fuzz`, `ekya-fuzz`): each takes arbitrary bytes
/// and must answer with a value or a thrown error, never a trap, a hang or a memory error.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `ekya run --config` files, up to validated runtime settings.
    case runConfig = "run-config"
    /// `ekya serve --config` files.
    case serveConfig = "serve-config"
    /// `POST /api/streams` bodies.
    case streamRequest = "stream-request"
    /// Retraining-profile traces (`ekya simulate --trace`).
    case traceCSV = "trace-csv"
    /// Crop manifests of users' own images.
    case manifestCSV = "manifest-csv"
    /// Image files (PNG, JPEG, BMP, GIF, TGA, PNM through stb_image).
    case image
    /// Fashion-MNIST IDX files (images and labels).
    case idx
    /// Video sources: container and codec probing and the first frames' decoding (FFmpeg through the shim).
    case video

    /// Feeds `bytes` to the target's parser; errors are the expected answer to bad input.
    public func run(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        switch self {
        case .runConfig:
            if let configuration = try? RunConfiguration.parse(text, file: "fuzz.json") {
                _ = try? configuration.settings().validated(file: "fuzz.json")
            }
        case .serveConfig:
            _ = try? ServiceConfiguration.parse(text, file: "fuzz.json")
        case .streamRequest:
            if let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] {
                _ = try? StreamRequest.parse(object, defaultSeed: 1)
            }
        case .traceCSV:
            _ = try? TraceFormat.parse(text, file: "fuzz.csv")
        case .manifestCSV:
            _ = try? ManifestLoader().parse(text, relativeTo: "/nonexistent-fuzz-directory")
        case .image:
            _ = try? GrayImage(decoding: bytes)
        case .idx:
            _ = try? IDXFile.parseImages(bytes, path: "fuzz.idx")
            _ = try? IDXFile.parseLabels(bytes, path: "fuzz.idx")
        case .video:
            Self.probeVideo(bytes)
        }
    }

    /// Writes `bytes` to a scratch file and decodes up to 8 frames of it, grey and RGB.
    static func probeVideo(_ bytes: [UInt8]) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ekya-fuzz-\(getpid()).video").path
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard let reader = try? VideoReader(source: path, timeout: 2) else { return }
        for index in 0..<8 {
            guard (try? reader.next(width: 24, height: 16, channels: index % 2 == 0 ? 1 : 3)) != nil else { return }
        }
    }
}
