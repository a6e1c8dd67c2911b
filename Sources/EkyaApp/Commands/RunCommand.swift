import ArgumentParser
import EkyaCore
import EkyaData
import EkyaML
import EkyaRuntime
import EkyaService
import EkyaVideo
import Foundation

/// `ekya run --config FILE`: a live run described by a JSON file.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run Ekya live from a JSON configuration (streams, data, budget, window, schedulers).",
        discussion: """
            Schema (every key but "streams" is optional; unknown keys are errors):
              {"streams": ["stable", "day-night"],   scenario presets, one Fashion-MNIST stream each, or video
                          cameras {"scenario": "weather", "source": "cam.mp4"} (a file, a directory of files,
                          or files joined by "+", played in order and looped; the HOG teacher labels them)
               "schedulers": ["ekya", "uniform:all-4:50"],   the first is Ekya, the rest are compared
               "windows": 4, "window_seconds": 60, "devices": 1, "slowdown": 10,
               "clock": "virtual" | "wall", "policy": "paper", "crops_per_second": 20, "seed": 1,
               "optimizer": "sgd" | "adam", "learning_rate": 0.01, "label_error_rate": 0.0,
               "teacher": "ground-truth" | "model", "teacher_cache": "~/.cache/ekya",
               "serve_profiled_models": true,   serve the best profiled model until retraining finishes
               "refine_with_idle_capacity": true,   train serving models further with capacity plans leave idle
               "serve_improved_epochs": true,   serve a retraining job's best epoch so far before it finishes
               "profile_in_background": true,   profile the head before the plan, other layers in the background
               "retrain_serving_model": true,   a retraining job starts from the serving model, not the window's first
               "full_rate_headroom": 1.5,    a stream at full frame rate keeps this multiple of its full-rate share
               "predictor": "optimus-work" | "ekya-optimus" | "optimus-all",
               "grid": "small" | "paper",   6 configurations, or the paper's 18 (× 25/50/100 % of the data)
               "profile_epochs": 2, "profiling_subset": "fixed" | "rotating",   micro-profiling epochs, and their crops
               "data_directory": "/usr/share/datasets/fashion-mnist", "plot": "run.svg", "trace_out": "run.csv",
               "json": false}
            """
    )

    @Option(help: "The JSON configuration file.")
    var config: String

    @OptionGroup var device: DeviceOption

    func run() throws {
        try device.apply()
        let text = try FileIO.read(config)
        let file = try RunConfiguration.parse(text, file: config)
        let videos = try file.streams.map { try $0.clips() }
        try LiveSession.run(
            settings: try file.settings(),
            source: videos.allSatisfy(\.isEmpty) ? .fashion : .files(videos),
            schedulers: file.schedulers ?? ["ekya"],
            dataDirectory: file.dataDirectory ?? FashionMNIST.defaultDirectory,
            teacherCache: file.teacherCache,
            plot: file.plot,
            traceOut: file.traceOut,
            json: file.json ?? false,
            predictor: try file.predictor.map(PredictorKind.chosen) ?? .optimusWork
        )
    }
}

/// A stream of `ekya run --config`: a preset name (a Fashion-MNIST stream under it), or a video camera
/// `{"scenario": "weather", "source": "clip.mp4"}` whose source is a file, a directory of files, or
/// files joined with `+` (played in order, looping).
struct RunStream: Decodable, Equatable {
    var scenario: String
    var source: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case scenario, source
    }

    init(scenario: String, source: String? = nil) {
        self.scenario = scenario
        self.source = source
    }

    init(from decoder: any Decoder) throws {
        if let name = try? decoder.singleValueContainer().decode(String.self) {
            self.init(scenario: name)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            scenario: try container.decode(String.self, forKey: .scenario),
            source: try container.decodeIfPresent(String.self, forKey: .source)
        )
    }

    /// The clip files of the source, in play order.
    func clips() throws -> [String] {
        guard let source else { return [] }
        var clips: [String] = []
        for part in source.split(separator: "+").map(String.init) {
            do {
                let parsed = try VideoSource.parse(part)
                guard !parsed.isLive else {
                    throw AppError.invalidOption(
                        "stream source '\(part)': a live URL has no end to catalogue; give files (ekya run plays recordings)"
                    )
                }
                clips += try parsed.files()
            } catch let error as VideoError {
                throw AppError.invalidOption("\(error)")
            }
        }
        guard !clips.isEmpty else { throw AppError.invalidOption("stream source '\(source)' names no file") }
        return clips
    }
}

/// The documented schema of `ekya run --config`.
struct RunConfiguration: Decodable, Equatable {
    var streams: [RunStream]
    var schedulers: [String]?
    var windows: Int?
    var windowSeconds: Double?
    var devices: Int?
    var slowdown: Double?
    var clock: String?
    var policy: String?
    var cropsPerSecond: Double?
    var seed: UInt64?
    var optimizer: String?
    var learningRate: Double?
    var labelErrorRate: Double?
    var teacher: String?
    var teacherCache: String?
    var dataDirectory: String?
    var plot: String?
    var traceOut: String?
    var json: Bool?
    var serveProfiledModels: Bool?
    var refineWithIdleCapacity: Bool?
    var serveImprovedEpochs: Bool?
    var profileInBackground: Bool?
    var retrainServingModel: Bool?
    var fullRateHeadroom: Double?
    var predictor: String?
    var grid: String?
    var profileEpochs: Int?
    var profilingSubset: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case streams, schedulers, windows, devices, slowdown, clock, policy, seed, optimizer, plot, json, teacher
        case predictor, grid
        case teacherCache = "teacher_cache"
        case windowSeconds = "window_seconds"
        case cropsPerSecond = "crops_per_second"
        case learningRate = "learning_rate"
        case labelErrorRate = "label_error_rate"
        case dataDirectory = "data_directory"
        case traceOut = "trace_out"
        case serveProfiledModels = "serve_profiled_models"
        case refineWithIdleCapacity = "refine_with_idle_capacity"
        case serveImprovedEpochs = "serve_improved_epochs"
        case profileInBackground = "profile_in_background"
        case retrainServingModel = "retrain_serving_model"
        case fullRateHeadroom = "full_rate_headroom"
        case profileEpochs = "profile_epochs"
        case profilingSubset = "profiling_subset"
    }

    /// Parses and validates a configuration; errors name the file and the field.
    static func parse(_ text: String, file: String) throws -> RunConfiguration {
        let data = Data(text.utf8)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw AppError.invalidOption("\(file): not valid JSON (\(error.localizedDescription))")
        }
        guard let dictionary = object as? [String: Any] else {
            throw AppError.invalidOption("\(file): the configuration must be a JSON object")
        }
        if let duplicate = firstDuplicateKey(in: text) {
            throw AppError.invalidOption("\(file): key '\(duplicate)' appears twice")
        }
        // Integers are checked here, so that 1.5 or 1e30 is named as a bad integer, not as bad JSON.
        for key in [CodingKeys.windows, .devices, .seed, .profileEpochs] {
            guard let value = dictionary[key.rawValue] else { continue }
            guard let number = jsonInteger(value), number >= (key == .seed ? 0 : 1) else {
                throw AppError.invalidOption(
                    "\(file): field '\(key.rawValue)' must be \(key == .seed ? "a non-negative" : "a positive") integer"
                )
            }
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = dictionary.keys.sorted().first(where: { !known.contains($0) }) {
            throw AppError.invalidOption(
                "\(file): unknown key '\(unknown)'; known keys: \(known.sorted().joined(separator: ", "))"
            )
        }
        do {
            let configuration = try JSONDecoder().decode(RunConfiguration.self, from: data)
            try configuration.check(file: file)
            return configuration
        } catch let error as DecodingError {
            throw AppError.invalidOption("\(file): \(Self.describe(error))")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.reduce("") { path, key in
                if let index = key.intValue { return path + "[\(index)]" }
                return path.isEmpty ? key.stringValue : path + "." + key.stringValue
            }
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing required key '\(path(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' must be \(describe(type))"
        case .dataCorrupted(let context):
            return "field '\(path(context.codingPath))' is invalid: \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// What a JSON value of `type` is, in a user's words.
    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is UInt64.Type: "an integer"
        case is Double.Type: "a number"
        default: "\(type)".hasPrefix("Array") ? "an array" : "a JSON \(type)"
        }
    }

    func check(file: String) throws {
        guard !streams.isEmpty else { throw AppError.invalidOption("\(file): field 'streams' must not be empty") }
        for (index, stream) in streams.enumerated() {
            guard ScenarioPreset(rawValue: stream.scenario) != nil else {
                let names = ScenarioPreset.allCases.map(\.rawValue).joined(separator: ", ")
                throw AppError.invalidOption(
                    "\(file): field 'streams': unknown scenario '\(stream.scenario)'; known: \(names)"
                )
            }
            do {
                _ = try stream.clips()
            } catch let error as AppError {
                throw AppError.invalidOption("\(file): field 'streams[\(index)].source': \(error)")
            }
        }
        for name in schedulers ?? [] {
            do {
                _ = try SchedulerSpec.make(name)
            } catch {
                throw AppError.invalidOption("\(file): field 'schedulers': \(error)")
            }
        }
        if let clock, ClockMode(rawValue: clock) == nil {
            throw AppError.invalidOption("\(file): field 'clock' must be \(ClockMode.choices)")
        }
        if let policy, ReallocationPolicy(rawValue: policy) == nil {
            throw AppError.invalidOption("\(file): field 'policy': unknown re-allocation policy '\(policy)'")
        }
        if let optimizer, OptimizerKind(rawValue: optimizer) == nil {
            throw AppError.invalidOption("\(file): field 'optimizer' must be \(OptimizerKind.choices)")
        }
        if let predictor, PredictorKind(rawValue: predictor) == nil {
            throw AppError.invalidOption("\(file): field 'predictor' must be \(PredictorKind.choices)")
        }
        if let grid, RetrainingConfiguration.grid(named: grid) == nil {
            throw AppError.invalidOption("\(file): field 'grid' must be 'small' or 'paper'")
        }
        if let profilingSubset, TrainingPlan.Subset(rawValue: profilingSubset) == nil {
            throw AppError.invalidOption("\(file): field 'profiling_subset' must be \(TrainingPlan.Subset.choices)")
        }
        if let teacher, TeacherKind(rawValue: teacher) == nil {
            throw AppError.invalidOption("\(file): field 'teacher' must be \(TeacherKind.choices)")
        }
        for (key, path) in [("plot", plot), ("trace_out", traceOut)] {
            guard let path else { continue }
            if let problem = FileIO.problemWritingFile(at: path) {
                throw AppError.invalidOption("\(file): field '\(key)': \(problem)")
            }
        }
        _ = try settings().validated(file: file)
    }

    func settings() throws -> RuntimeSettings {
        let clockMode = clock.flatMap(ClockMode.init(rawValue:)) ?? .virtual
        return RuntimeSettings(
            scenarios: streams.compactMap { ScenarioPreset(rawValue: $0.scenario) },
            windows: windows ?? 4,
            windowSeconds: windowSeconds ?? 60,
            cropsPerSecond: cropsPerSecond ?? 20,
            devices: devices ?? 1,
            slowdown: clockMode == .wall ? 1 : (slowdown ?? 10),
            clock: clockMode,
            configurations: RetrainingConfiguration.grid(named: grid ?? "small") ?? RetrainingConfiguration.defaultGrid,
            profileEpochs: profileEpochs ?? 2,
            profilingSubset: profilingSubset.flatMap(TrainingPlan.Subset.init(rawValue:)) ?? .fixed,
            servesProfiledModels: serveProfiledModels ?? true,
            refinesWithIdleCapacity: refineWithIdleCapacity ?? true,
            servesImprovedEpochs: serveImprovedEpochs ?? true,
            profilesInBackground: profileInBackground ?? true,
            retrainsServingModel: retrainServingModel ?? true,
            fullRateHeadroom: fullRateHeadroom ?? 1.5,
            policy: try ReallocationPolicy(name: policy ?? "paper"),
            labelErrorRate: labelErrorRate ?? 0,
            teacher: teacher.flatMap(TeacherKind.init(rawValue:)) ?? .groundTruth,
            learningRate: learningRate ?? 0.01,
            optimizer: optimizer.flatMap(OptimizerKind.init(rawValue:)) ?? .sgd,
            seed: seed ?? 1
        )
    }
}
