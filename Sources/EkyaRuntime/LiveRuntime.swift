import EkyaCore
import EkyaData
import EkyaDataML
import EkyaML

/// What happened to one stream in one window of a live run.
public struct LiveStreamRecord: Sendable {
    public var stream: String
    public var window: Int
    /// Accuracy of the serving model on the window's labelled validation crops at the window start.
    public var startAccuracy: Double
    /// Accuracy the stream's users got: per-frame, against ground truth, with dropped frames.
    public var measuredAccuracy: Double
    /// The simulator's window-accuracy model applied to the executed plan (shares over time, swap time,
    /// the models' accuracies on the frames).
    public var simulatedAccuracy: Double
    /// Retraining configuration run in this window, if any.
    public var configuration: String?
    public var predictedEndAccuracy: Double?
    public var realisedEndAccuracy: Double?
    public var predictedCost: Double?
    public var realisedCost: Double?
    public var swapTime: Double?
    /// Validation accuracy of the model the retraining job started from (the serving model then, or the
    /// window's starting model; see ``RuntimeSettings/retrainsServingModel``).
    public var retrainedFromAccuracy: Double?
    /// When the best micro-profiled model was swapped in (the end of profiling), if it validated better.
    public var profileSwapTime: Double?
    /// Validation accuracy of that profiled model (the bar a retrained model then has to beat).
    public var profiledAccuracy: Double?
    public var refusedSwap: Bool
    public var failure: String?
    /// When a model refined with idle capacity was swapped in (each validated above the serving model).
    public var refinedSwapTimes: [Double] = []
    /// When the running retraining job's best epoch so far was swapped in (each validated above the serving
    /// model), before the job finished.
    public var epochSwapTimes: [Double] = []
    /// Fraction of the teacher's labels for this window's sample that were right.
    public var labelAccuracy: Double
    public var initialInferenceShare: Double
    public var initialTrainingShare: Double
    /// Largest |achieved − allocated| share over the window (fraction of a device) among this stream's jobs;
    /// allocations count only while a job had work.
    public var shareError: Double

    /// When the model serving at the end of the window took over (profiled, retrained or refined), if any
    /// swap happened.
    public var lastSwapTime: Double? {
        ([profileSwapTime, swapTime].compactMap { $0 } + refinedSwapTimes + epochSwapTimes).max()
    }
}

/// A window of a live run.
public struct LiveWindowRecord: Sendable {
    public var window: Int
    public var streams: [LiveStreamRecord]
    /// Labelling and micro-profiling delay before the plan applies, in window seconds.
    public var delay: Double
    /// Device-seconds the teacher spent labelling the window's samples.
    public var labellingCost: Double = 0
    /// Device-seconds spent micro-profiling, and what training every configuration fully would cost.
    public var profilingCost: Double
    public var exhaustiveCost: Double
    public var decisionMilliseconds: Double
    /// Configurations profiled (summed over streams) after pruning, and before.
    public var profiledConfigurations: Int
    public var totalConfigurations: Int

    public var meanMeasured: Double { streams.map(\.measuredAccuracy).reduce(0, +) / Double(max(1, streams.count)) }
    public var meanSimulated: Double {
        streams.map(\.simulatedAccuracy).reduce(0, +) / Double(max(1, streams.count))
    }
}

/// The result of running one scheduler live.
public struct LiveRunReport: Sendable {
    public var scheduler: String
    public var windows: [LiveWindowRecord]
    /// Per stream: (time since run start, accuracy over the last second) samples.
    public var timeline: [String: [(time: Double, accuracy: Double)]]
    /// Per stream: times of model swaps since run start.
    public var swaps: [String: [Double]]
    /// Realised outcomes (canonical trace rows can be made from them).
    public var outcomes: [RealisedOutcome]

    public var meanAccuracy: Double {
        let values = windows.map(\.meanMeasured)
        return values.reduce(0, +) / Double(max(1, values.count))
    }

    public var maxShareError: Double { windows.flatMap(\.streams).map(\.shareError).max() ?? 0 }

    /// Mean over windows of |measured − simulated| in accuracy points.
    public var meanPredictionError: Double {
        let values = windows.map { abs($0.meanMeasured - $0.meanSimulated) * 100 }
        return values.reduce(0, +) / Double(max(1, values.count))
    }
}

/// Ekya running for real: streams, inference under enforced shares, labelling, micro-profiling,
/// scheduling, retraining, validated model swaps, re-allocation — all on libtorch models and real images.
public final class LiveRuntime {
    public let settings: RuntimeSettings
    let streams: [any WindowedCropStream]
    let architecture: ModelArchitecture
    private var windowCache: [Int: [StreamWindow]] = [:]
    private var initialSnapshots: [TorchSnapshot] = []
    /// Device-seconds per frame of inference (measured at start-up).
    public internal(set) var frameCost = 0.0
    /// Stream names: the caller's (the service's stream ids), or one per scenario, numbered if a scenario
    /// repeats.
    public let streamNames: [String]
    /// The teacher network used when `settings.teacher` is `.model`.
    ///
    /// The caller loads it (e.g. with `ModelTeacher.trainedModel`); only the thread running windows uses it.
    public var teacherModel: TorchModel?

    public init(settings: RuntimeSettings, pool: ImagePool) throws {
        try Self.check(settings)
        self.settings = settings
        let configuration = try StreamConfiguration(
            cropsPerSecond: settings.cropsPerSecond,
            windowDuration: .milliseconds(Int64(settings.windowSeconds * 1000)),
            testFraction: settings.testFraction,
            seed: settings.seed
        )
        self.streams = try settings.scenarios.enumerated().map { index, scenario in
            var streamConfiguration = configuration
            streamConfiguration.seed = settings.seed &+ UInt64(index) &* 7919
            return try CameraStream(
                pool: pool,
                scenario: scenario,
                windowCount: settings.windows + 1,
                configuration: streamConfiguration
            )
        }
        self.architecture = .small(inputChannels: 1, classCount: pool.classCount)
        self.streamNames = settings.scenarios.enumerated().map { index, scenario in
            settings.scenarios.filter { $0 == scenario }.count > 1 ? "\(scenario.rawValue)-\(index)" : scenario.rawValue
        }
    }

    /// The settings' one validation, and the wall clock's one-device rule.
    static func check(_ settings: RuntimeSettings) throws {
        do {
            try settings.validate()
        } catch {
            throw RuntimeError.invalidSettings(error.description)
        }
        guard settings.clock == .virtual || (settings.devices == 1 && settings.slowdown == 1) else {
            throw RuntimeError.invalidSettings("--clock wall runs on this one device: use --devices 1 --slowdown 1")
        }
    }

    /// A runtime over streams the caller made (video cameras), one per entry of `settings.scenarios`, named
    /// `names`.
    public init(settings: RuntimeSettings, streams: [any WindowedCropStream], names: [String]) throws {
        try Self.check(settings)
        guard !streams.isEmpty, streams.count == settings.scenarios.count, names.count == streams.count else {
            throw RuntimeError.invalidSettings("one stream and one name per scenario")
        }
        self.settings = settings
        self.streams = streams
        self.streamNames = names
        self.architecture = .small(inputChannels: 1, classCount: streams.map(\.classCount).max() ?? 1)
    }

    /// Classes the streams' labels index (the models' outputs).
    public var classCount: Int { streams.map(\.classCount).max() ?? 1 }

    func windowData(_ index: Int) -> [StreamWindow] {
        if let cached = windowCache[index] { return cached }
        let data = streams.map { $0.window(index) }
        windowCache[index] = data
        return data
    }

    /// Trains every stream's starting model on its window 0 and measures the per-frame inference cost.
    public func prepare() throws {
        initialSnapshots = try windowData(0).map { window in
            try WindowContext.startingModel(architecture, seed: settings.seed, on: window).snapshot()
        }
        frameCost = try settings.meter.frameCost(of: try copy(initialSnapshots[0]), on: windowData(0)[0].test)
    }

    /// The starting model of stream `index` (after ``prepare()``).
    func initialSnapshot(_ index: Int) throws -> TorchSnapshot {
        if initialSnapshots.isEmpty { try prepare() }
        return initialSnapshots[index]
    }

    func copy(_ snapshot: TorchSnapshot) throws -> TorchModel {
        try WindowContext.model(architecture, seed: settings.seed, from: snapshot)
    }

    /// What each window of the run needs from it.
    var windowContext: WindowContext {
        WindowContext(
            settings: settings,
            names: streamNames,
            classCount: classCount,
            architecture: architecture,
            fullRateShare: fullRateShare,
            teacherModel: teacherModel
        )
    }

    /// Inference share that processes every frame.
    public var fullRateShare: Double {
        WindowContext.fullRateShare(frameCost: frameCost, settings: settings)
    }

    /// Runs all windows with `scheduler`; `progress` receives human-readable status lines.
    public func run(
        scheduler: any Scheduler,
        predictor: any AccuracyPredictor = OptimusWorkPredictor(),
        pace: (Double) throws -> Void = { _ in },
        progress: (String) -> Void = { _ in }
    ) throws -> LiveRunReport {
        if initialSnapshots.isEmpty { try prepare() }
        var serving = try initialSnapshots.map { try copy($0) }
        var carried = [Int?](repeating: nil, count: streams.count)
        var history: [RealisedOutcome] = []
        var windows: [LiveWindowRecord] = []
        var timeline: [String: [(time: Double, accuracy: Double)]] = [:]
        var swaps: [String: [Double]] = [:]
        let names = streamNames
        var active = [Set<Int>](repeating: Set(settings.configurations.indices), count: streams.count)
        let context = windowContext
        for window in 1...settings.windows {
            let data = windowData(window)
            let runner = try WindowRun(
                context: context,
                window: window,
                inputs: data.indices.map {
                    WindowRun.Input(data: data[$0], serving: serving[$0], carried: carried[$0], active: active[$0])
                },
                history: history,
                scheduler: scheduler,
                predictor: predictor
            )
            let result = try runner.execute(pace: pace, progress: progress)
            serving = result.serving
            carried = result.carried
            if window % 2 == 0 {
                for index in active.indices {
                    active[index] = settings.pruned(active[index], predictions: result.predictions[index])
                }
            }
            history += result.outcomes
            windows.append(result.record)
            let offset = Double(window - 1) * settings.windowSeconds
            for (index, name) in names.enumerated() {
                timeline[name, default: []] += result.perSecond[index].enumerated().map {
                    (offset + Double($0.offset), $0.element)
                }
                let record = result.record.streams[index]
                for time in [record.profileSwapTime, record.swapTime].compactMap({ $0 }) {
                    swaps[name, default: []].append(offset + time)
                }
            }
            let line = result.record.streams.map {
                "\($0.stream) \(TextFormat.percent($0.measuredAccuracy))\(($0.swapTime ?? $0.profileSwapTime) != nil ? " ⇄" : "")"
            }
            progress(
                "window \(window) done [\(scheduler.name)]: " + line.joined(separator: ", ")
                    + " | mean \(TextFormat.percent(result.record.meanMeasured)) (model \(TextFormat.percent(result.record.meanSimulated)))"
            )
        }
        return LiveRunReport(
            scheduler: scheduler.name,
            windows: windows,
            timeline: timeline,
            swaps: swaps,
            outcomes: history
        )
    }
}
