import EkyaCore
import EkyaData
import EkyaRuntime
import EkyaVideo
import Foundation

/// Where the live streams of `ekya demo` and `ekya run` come from.
enum StreamSource: String, CaseIterable, Sendable {
    /// Real cameras: the embedded clips, each under a drift preset's light and weather.
    case video
    /// Fashion-MNIST crops with synthetic drift: the small, fast fixture.
    case fashion
}

/// The video cameras of the embedded default: one per drift preset, on the PETS 2009 camera; the third
/// and fourth also see the street of `bikes.mp4` (a scene change: cars and cyclists, no pedestrians the
/// teacher finds) after, or before, the pedestrians.
enum VideoCameras {
    struct Camera {
        var name: String
        var clips: [String]
        var scenario: ScenarioPreset
        var source: String { clips.joined(separator: "+") }
    }

    static func cameras(for scenarios: [ScenarioPreset]) -> [Camera] {
        scenarios.enumerated().map { index, scenario in
            let clips: [String]
            switch index % 4 {
            case 2: clips = [VideoClips.pets, VideoClips.bikes]
            case 3: clips = [VideoClips.bikes, VideoClips.pets]
            default: clips = [VideoClips.pets]
            }
            let clipNames = clips.map {
                ($0 as NSString).lastPathComponent.split(separator: ".").first.map(String.init) ?? ""
            }
            return Camera(
                name: "\(clipNames.joined(separator: "+"))-\(scenario.rawValue)-\(index + 1)",
                clips: clips,
                scenario: scenario
            )
        }
    }

    /// The cameras as streams (catalogues built on first use and cached), their names and sources.
    static func streams(
        settings: RuntimeSettings,
        teacherStride: Int = 5,
        log: (String) -> Void
    ) throws -> (
        streams: [any WindowedCropStream], names: [String], sources: [String]
    ) {
        guard VideoClips.available else {
            throw AppError.invalidOption(
                "the video clips are missing from \(VideoClips.directory): run scripts/setup, or use --source fashion"
            )
        }
        var catalogues: [String: VideoCatalogue] = [:]
        let cameras = cameras(for: settings.scenarios)
        for clip in Set(cameras.flatMap(\.clips)).sorted() {
            do {
                catalogues[clip] = try VideoCatalogue.load(clip: clip, stride: teacherStride, log: log)
            } catch {
                throw AppError.invalidOption("\(error)")
            }
        }
        let configuration = try StreamConfiguration(
            cropsPerSecond: settings.cropsPerSecond,
            windowDuration: .milliseconds(Int64(settings.windowSeconds * 1000)),
            testFraction: settings.testFraction,
            seed: settings.seed
        )
        let streams: [any WindowedCropStream] = try cameras.enumerated().map { index, camera in
            var streamConfiguration = configuration
            streamConfiguration.seed = settings.seed &+ UInt64(index) &* 7919
            return try VideoStream(
                catalogues: camera.clips.compactMap { catalogues[$0] },
                scenario: camera.scenario,
                windowCount: settings.windows + 1,
                configuration: streamConfiguration
            )
        }
        return (streams, cameras.map(\.name), cameras.map(\.source))
    }
}
