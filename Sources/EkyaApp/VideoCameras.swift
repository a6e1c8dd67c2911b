import EkyaCore
import EkyaData
import EkyaRuntime
import EkyaVideo
import Foundation

/// Where the live streams of `ekya demo` and `ekya run` come from.
enum StreamSource: Sendable, Equatable {
    /// Real cameras: the embedded clips, each under a drift preset's light and weather.
    case video
    /// Fashion-MNIST crops with synthetic drift: the small, fast fixture.
    case fashion
    /// Per stream, the clip files of a video camera, or none for a Fashion-MNIST stream.
    case files([[String]])

    /// The `--source` option's value.
    init?(option: String) {
        switch option {
        case "video": self = .video
        case "fashion": self = .fashion
        default: return nil
        }
    }
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

    /// Cameras on the given clips, one per scenario.
    static func cameras(for scenarios: [ScenarioPreset], clips: [[String]]) -> [Camera] {
        zip(scenarios, clips).enumerated().map { index, pair in
            let names = pair.1.map {
                ($0 as NSString).lastPathComponent.split(separator: ".").first.map(String.init) ?? ""
            }
            return Camera(
                name: "\(names.joined(separator: "+"))-\(pair.0.rawValue)-\(index + 1)",
                clips: pair.1,
                scenario: pair.0
            )
        }
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
        clips: [[String]]? = nil,
        pool: ImagePool? = nil,
        teacherStride: Int = 5,
        log: (String) -> Void
    ) throws -> (
        streams: [any WindowedCropStream], names: [String], sources: [String]
    ) {
        guard clips != nil || VideoClips.available else {
            throw AppError.invalidOption(
                "the video clips are missing from \(VideoClips.directory): run scripts/setup, or use --source fashion"
            )
        }
        var catalogues: [String: VideoCatalogue] = [:]
        let cameras: [Camera] =
            if let clips { Self.cameras(for: settings.scenarios, clips: clips) } else {
                Self.cameras(for: settings.scenarios)
            }
        for clip in Set(cameras.flatMap { $0.clips }).sorted() {
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
            if camera.clips.isEmpty {
                // A Fashion-MNIST stream beside the cameras.
                guard let pool else { throw AppError.invalidOption("a Fashion-MNIST stream needs the data set") }
                return try CameraStream(
                    pool: pool,
                    scenario: camera.scenario,
                    windowCount: settings.windows + 1,
                    configuration: streamConfiguration
                )
            }
            return try VideoStream(
                catalogues: camera.clips.compactMap { catalogues[$0] },
                scenario: camera.scenario,
                windowCount: settings.windows + 1,
                configuration: streamConfiguration
            )
        }
        let names = cameras.enumerated().map { index, camera in
            camera.clips.isEmpty ? "\(camera.scenario.rawValue)-\(index + 1)" : camera.name
        }
        let sources = cameras.map { $0.clips.isEmpty ? "fashion-mnist:\($0.scenario.rawValue)" : $0.source }
        return (streams, names, sources)
    }

    /// The service's video streams: a spec's source (files, a directory, clips joined by `+`) catalogued
    /// (cached after the first time) and played as a ``VideoStream`` under its preset.
    ///
    /// A source that is one URL is a live camera (``LiveVideoStream``), registered in `liveSources` under the
    /// stream's id; it must deliver objects within `firstObjectsSeconds` or the stream is refused.
    static func maker(
        liveSources: LiveSources,
        firstObjectsSeconds: Double = 30,
        log: @escaping (String) -> Void
    ) -> VideoStreamMaker {
        { spec, configuration, windowCount in
            if let url = spec.source, url.contains("://"), !url.contains("+") {
                // Made twice when a stream is added (starting model, then the session): one ingest per id.
                if let running = liveSources.source(spec.id) as? LiveVideoStream, running.source == url,
                    running.liveStatus.connection != .disconnected || running.liveStatus.bufferedObjects > 0
                {
                    return running
                }
                let stream = try LiveVideoStream(
                    url: url,
                    scenario: spec.scenario,
                    windowCount: windowCount,
                    configuration: configuration
                )
                let wanted = max(4, configuration.cropsPerWindow / 4)
                guard stream.waitForObjects(wanted, within: firstObjectsSeconds) > 0 else {
                    let status = stream.liveStatus
                    stream.stop()
                    throw AppError.invalidOption(
                        "stream '\(spec.id)': no moving objects from \(url) within \(Int(firstObjectsSeconds)) s"
                            + " (\(status.framesReceived) frames; \(status.reason ?? status.connection.rawValue))"
                    )
                }
                liveSources.register(spec.id, stream)
                log("stream '\(spec.id)': live from \(url)")
                return stream
            }
            let clips = try RunStream(scenario: spec.scenario.rawValue, source: spec.source).clips()
            let catalogues = try clips.map { clip in
                do {
                    return try VideoCatalogue.load(clip: clip, log: log)
                } catch {
                    throw AppError.invalidOption("stream '\(spec.id)': \(error)")
                }
            }
            return try VideoStream(
                catalogues: catalogues,
                scenario: spec.scenario,
                windowCount: windowCount,
                configuration: configuration
            )
        }
    }
}
