import EkyaCore
import EkyaData
import EkyaDataML
import EkyaML

/// A stream of a long-running session: its id (also its model-store directory), drift preset and seed.
public struct StreamSpec: Sendable, Hashable, Codable {
    public var id: String
    public var scenario: ScenarioPreset
    public var seed: UInt64
    /// A video camera's recording (a file, a directory, or files joined by `+`); nil: a Fashion-MNIST
    /// stream under `scenario`.
    public var source: String?

    public init(id: String, scenario: ScenarioPreset, seed: UInt64, source: String? = nil) {
        self.id = id
        self.scenario = scenario
        self.seed = seed
        self.source = source
    }
}

/// Makes a video camera's stream for a spec with a source (the composition root knows the video adapter):
/// the spec, the stream's configuration, and the windows it must hold.
public typealias VideoStreamMaker = (StreamSpec, StreamConfiguration, Int) throws -> any WindowedCropStream

/// One stream's state in the middle of a window, for live displays.
public struct LiveStreamStatus: Sendable, Equatable, Codable {
    public var stream: String
    public var inferenceShare: Double
    public var trainingShare: Double
    /// The retraining configuration running (or that ran) in this window.
    public var configuration: String?
    /// Fraction of the retraining job's steps done (nil: none started).
    public var progress: Double?
    public var swapped: Bool
    public var failed: Bool

    public init(
        stream: String,
        inferenceShare: Double,
        trainingShare: Double,
        configuration: String?,
        progress: Double?,
        swapped: Bool,
        failed: Bool
    ) {
        self.stream = stream
        self.inferenceShare = inferenceShare
        self.trainingShare = trainingShare
        self.configuration = configuration
        self.progress = progress
        self.swapped = swapped
        self.failed = failed
    }
}

/// A window in progress: its number, phase, window time and every stream's shares and retraining progress.
public struct LiveWindowStatus: Sendable, Equatable, Codable {
    /// Where a window is: micro-profiling (the plan not yet applied), then running under the plan.
    public enum Phase: String, Sendable, Codable {
        case profiling, running
    }

    public var window: Int
    public var phase: Phase
    public var time: Double
    public var windowSeconds: Double
    public var streams: [LiveStreamStatus]

    public init(window: Int, phase: Phase, time: Double, windowSeconds: Double, streams: [LiveStreamStatus]) {
        self.window = window
        self.phase = phase
        self.time = time
        self.windowSeconds = windowSeconds
        self.streams = streams
    }
}

/// What one window of a ``RuntimeSession`` produced.
public struct SessionWindowResult {
    public var record: LiveWindowRecord
    /// Per stream (in `record.streams` order), accuracy over each second of the window.
    public var perSecond: [[Double]]
    public var outcomes: [RealisedOutcome]
    /// Per stream, the profiled configurations: name, predicted end accuracy, predicted cost.
    public var profiles: [[(configuration: String, accuracy: Double, cost: Double)]]
    /// Streams whose serving model changed in this window (a validated swap), with the new model.
    public var swapped: [String: TorchModel]
    /// Device-seconds used by every job over the window's device-seconds.
    public var utilisation: Double
}

/// Errors of a session.
public enum RuntimeSessionError: Error, CustomStringConvertible, Equatable {
    /// The caller asked to stop; the window was abandoned at a step boundary.
    case stopped
    case unknownStream(String)
    case duplicateStream(String)

    public var description: String {
        switch self {
        case .stopped: "stopped at a step boundary"
        case .unknownStream(let id): "no stream '\(id)' in the session"
        case .duplicateStream(let id): "stream '\(id)' is already in the session"
        }
    }
}

/// Ekya live, one window at a time, over a stream set that can change between windows: the driver of
/// `ekya serve`.
///
/// It reuses ``LiveRuntime``'s window (``WindowRun``) unchanged. Streams repeat a drift cycle of `cycle`
/// windows (window `n` shows the stream's window `1 + (n − 1) mod cycle`; window 0 trains starting models),
/// so a session can run for weeks. Like ``LiveRuntime`` it is synchronous and confined to one thread.
public final class RuntimeSession {
    struct Entry {
        var spec: StreamSpec
        var stream: any WindowedCropStream
        var serving: TorchModel
        var carried: Int?
        var active: Set<Int>
    }

    public let settings: RuntimeSettings
    public let pool: ImagePool
    public let cycle: Int
    let architecture: ModelArchitecture
    private var entries: [Entry] = []
    private var history: [RealisedOutcome] = []
    private var windowsRun = 0
    /// Device-seconds per frame of inference (measured when the first stream is added).
    public private(set) var frameCost = 0.0
    /// The teacher network that labels each window's sample when `settings.teacher` is `.model`.
    public var teacherModel: TorchModel?
    /// Makes the streams of specs with a video source; without it such specs are refused.
    public var videoStreams: VideoStreamMaker?

    public init(settings: RuntimeSettings, pool: ImagePool, cycle: Int = 30) throws {
        guard cycle >= 1 else { throw RuntimeError.invalidSettings("the drift cycle needs at least one window") }
        do {
            try settings.validate()
        } catch {
            throw RuntimeError.invalidSettings(error.description)
        }
        self.settings = settings
        self.pool = pool
        self.cycle = cycle
        self.architecture = .small(inputChannels: 1, classCount: pool.classCount)
    }

    /// The streams, in window order.
    public var streams: [StreamSpec] { entries.map(\.spec) }

    /// The model serving a stream.
    public func servingModel(_ id: String) -> TorchModel? {
        entries.first { $0.spec.id == id }?.serving
    }

    func makeStream(_ spec: StreamSpec) throws -> any WindowedCropStream {
        let configuration = try StreamConfiguration(
            cropsPerSecond: settings.cropsPerSecond,
            windowDuration: .milliseconds(Int64(settings.windowSeconds * 1000)),
            testFraction: settings.testFraction,
            seed: spec.seed
        )
        if spec.source != nil {
            guard let videoStreams else {
                throw RuntimeError.invalidSettings("stream '\(spec.id)': this session cannot open video sources")
            }
            guard settings.teacher == .groundTruth else {
                throw RuntimeError.invalidSettings(
                    "stream '\(spec.id)': a video camera is labelled by its detector, not by the model teacher"
                )
            }
            return try videoStreams(spec, configuration, cycle + 1)
        }
        return try CameraStream(
            pool: pool,
            scenario: spec.scenario,
            windowCount: cycle + 1,
            configuration: configuration
        )
    }

    /// A fresh model of the session's architecture holding `snapshot`'s weights, on one thread.
    public func model(from snapshot: TorchSnapshot) throws -> TorchModel {
        try WindowContext.model(architecture, seed: settings.seed, from: snapshot)
    }

    /// Loads a checkpoint written by `TorchModel.saveCheckpoint(to:)` into the session's architecture
    /// (the restore fails if the file holds another architecture).
    public func loadModel(contentsOf path: String) throws -> TorchModel {
        let loaded = try TorchModel(contentsOf: path)
        return try model(from: try loaded.snapshot())
    }

    /// Trains a stream's starting model on its window 0 (what ``LiveRuntime/prepare()`` does per stream).
    public func trainStartingModel(_ spec: StreamSpec) throws -> TorchModel {
        let stream = try makeStream(spec)
        let trained = try WindowContext.startingModel(architecture, seed: spec.seed, on: stream.window(0))
        return try model(from: try trained.snapshot())
    }

    /// Adds a stream serving `model`; it takes part from the next window.
    public func add(_ spec: StreamSpec, serving model: TorchModel) throws {
        guard !entries.contains(where: { $0.spec.id == spec.id }) else {
            throw RuntimeSessionError.duplicateStream(spec.id)
        }
        let stream = try makeStream(spec)
        if frameCost == 0 { frameCost = try settings.meter.frameCost(of: model, on: stream.window(0).test) }
        entries.append(
            Entry(
                spec: spec,
                stream: stream,
                serving: model,
                carried: nil,
                active: Set(settings.configurations.indices)
            )
        )
    }

    /// Removes a stream; it takes no part in the next window.
    public func remove(_ id: String) throws {
        guard entries.contains(where: { $0.spec.id == id }) else { throw RuntimeSessionError.unknownStream(id) }
        entries.removeAll { $0.spec.id == id }
        history.removeAll { $0.stream == id }
    }

    /// Replaces the model serving a stream (a rollback).
    public func replaceModel(_ id: String, with model: TorchModel) throws {
        guard let index = entries.firstIndex(where: { $0.spec.id == id }) else {
            throw RuntimeSessionError.unknownStream(id)
        }
        entries[index].serving = model
    }

    /// Runs window `number` over the current streams.
    ///
    /// - Parameters:
    ///   - shouldStop: polled at every executor step; when it returns true the window is abandoned
    ///     (``RuntimeSessionError/stopped``) and the serving models stay as they were before the window.
    ///   - observe: receives the window's live status about every `observeInterval` window-seconds.
    public func runWindow(
        _ number: Int,
        scheduler: any Scheduler,
        predictor: any AccuracyPredictor = OptimusWorkPredictor(),
        observeInterval: Double = 1,
        shouldStop: () -> Bool = { false },
        observe: (LiveWindowStatus) -> Void = { _ in },
        progress: (String) -> Void = { _ in }
    ) throws -> SessionWindowResult {
        guard !entries.isEmpty else { throw RuntimeError.invalidSettings("no streams") }
        let context = WindowContext(
            settings: settings,
            names: entries.map(\.spec.id),
            classCount: pool.classCount,
            architecture: architecture,
            fullRateShare: WindowContext.fullRateShare(frameCost: frameCost, settings: settings),
            teacherModel: teacherModel
        )
        let dataIndex = 1 + (number - 1) % cycle
        let runner = try WindowRun(
            context: context,
            window: number,
            inputs: entries.map {
                WindowRun.Input(
                    data: $0.stream.window(dataIndex),
                    serving: $0.serving,
                    carried: $0.carried,
                    active: $0.active
                )
            },
            history: history,
            scheduler: scheduler,
            predictor: predictor
        )
        var nextObservation = 0.0
        let pace: (Double) throws -> Void = { now in
            if shouldStop() { throw RuntimeSessionError.stopped }
            guard now >= nextObservation else { return }
            nextObservation = now + observeInterval
            observe(runner.status(at: now))
        }
        let result = try runner.execute(pace: pace, progress: progress)
        var swapped: [String: TorchModel] = [:]
        for index in entries.indices {
            if result.serving[index] !== entries[index].serving {
                swapped[entries[index].spec.id] = result.serving[index]
                entries[index].serving = result.serving[index]
            }
            entries[index].carried = result.carried[index]
        }
        windowsRun += 1
        if windowsRun % 2 == 0 {
            for index in entries.indices {
                entries[index].active = settings.pruned(entries[index].active, predictions: result.predictions[index])
            }
        }
        // The calibrating schedulers learn from recent outcomes; a bounded history keeps memory flat for weeks.
        history = Array((history + result.outcomes).suffix(64 * max(1, entries.count)))
        return SessionWindowResult(
            record: result.record,
            perSecond: result.perSecond,
            outcomes: result.outcomes,
            profiles: runner.profileSummary,
            swapped: swapped,
            utilisation: runner.usedDeviceSeconds / (settings.windowSeconds * Double(settings.devices))
        )
    }
}
