import EkyaRuntime
import EkyaStore
import Foundation
import Hummingbird

/// The dashboard's files (plain HTML, CSS and JS committed in `Sources/EkyaService/Dashboard`; no CDN, no npm)
/// and the API's OpenAPI document, read once from the module's resources.
public struct Dashboard: Sendable {
    let files: [String: String]

    public init() {
        var files: [String: String] = [:]
        for name in ["index.html", "dashboard.js", "dashboard.css", "openapi.json"] {
            let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2,
                let url = Bundle.module.url(forResource: parts[0], withExtension: parts[1], subdirectory: "Dashboard")
                    ?? Bundle.module.url(forResource: parts[0], withExtension: parts[1]),
                let text = try? String(contentsOf: url, encoding: .utf8)
            else { continue }
            files[name] = text
        }
        self.files = files
    }

    func response(for name: String) -> Response {
        guard let text = files[name] else {
            return JSON.error(.internalServerError, "dashboard file '\(name)' is missing from this build")
        }
        let type =
            switch name.split(separator: ".").last {
            case "html": "text/html; charset=utf-8"
            case "css": "text/css; charset=utf-8"
            case "json": "application/json; charset=utf-8"
            default: "text/javascript; charset=utf-8"
            }
        return Response(
            status: .ok,
            headers: [.contentType: type, .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }
}

/// What the dashboard polls (`GET /api/dashboard`): per stream, accuracy over time with swap markers,
/// predicted vs realised accuracy per window, current shares and retraining progress.
struct DashboardData: Codable, Sendable {
    struct Stream: Codable, Sendable {
        var id: String
        var scenario: String
        var status: String
        var servingVersion: Int?
        var inferenceShare: Double?
        var trainingShare: Double?
        var configuration: String?
        var retrainingProgress: Double?
        /// (time in window-seconds since window 1 began, accuracy over that second), downsampled.
        var series: [[Double]]
        var swaps: [Double]
        /// The stream's recent windows as `/api/windows?stream=` gives them, without the per-second timeline
        /// (`series` holds it, downsampled).
        var windows: [StreamWindowDTO]
    }

    var window: Int?
    var phase: String
    var time: Double?
    var windowSeconds: Double
    var lastCompletedWindow: Int?
    var streams: [Stream]

    /// Windows shown per stream.
    static let history = 12

    static func make(_ api: APIContext) throws -> DashboardData {
        let state = api.state.snapshot
        let seconds = api.windowSeconds
        let streams = try API.streams(api).map { stream -> Stream in
            let rows = try api.store.windows(stream: stream.id, limit: history).reversed()
            var series: [[Double]] = []
            var swaps: [Double] = []
            var windows: [StreamWindowDTO] = []
            for row in rows {
                let offset = Double(row.window.number - 1) * seconds
                if let result = row.result {
                    // Mean accuracy over 5-second buckets: one second holds only a few frames.
                    let values = result.timelineValues
                    let bucket = max(1, min(5, values.count / 4))
                    for start in stride(from: 0, to: values.count, by: bucket) {
                        let slice = values[start..<min(start + bucket, values.count)]
                        let mean = slice.reduce(0, +) / Double(slice.count)
                        series.append([
                            offset + Double(start) + Double(slice.count) / 2, (mean * 1000).rounded() / 1000,
                        ])
                    }
                    if let swap = result.swapTime { swaps.append(offset + swap) }
                }
                var point = API.streamWindow(row, stream: stream.id)
                point.timeline = nil
                windows.append(point)
            }
            return Stream(
                id: stream.id,
                scenario: stream.scenario,
                status: stream.status,
                servingVersion: stream.servingVersion,
                inferenceShare: stream.inferenceShare,
                trainingShare: stream.trainingShare,
                configuration: stream.configuration,
                retrainingProgress: stream.retrainingProgress,
                series: series,
                swaps: swaps,
                windows: windows
            )
        }
        return DashboardData(
            window: state.window,
            phase: state.phase.description,
            time: state.live?.time,
            windowSeconds: seconds,
            lastCompletedWindow: state.lastCompletedWindow,
            streams: streams
        )
    }
}
