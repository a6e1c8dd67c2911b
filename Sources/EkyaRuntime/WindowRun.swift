import EkyaCore
import EkyaData
import EkyaDataML
import EkyaML

/// What a window needs from the run around it: the settings, the streams' names, the models' architecture
/// and the measured full-rate inference share.
struct WindowContext {
    var settings: RuntimeSettings
    var names: [String]
    /// Classes the streams' labels index (the models' outputs).
    var classCount: Int
    var architecture: ModelArchitecture
    /// Inference share that processes every frame (measured at start-up).
    var fullRateShare: Double
    /// The teacher network used when `settings.teacher` is `.model`.
    var teacherModel: TorchModel?

    /// A fresh model of `architecture` holding `snapshot`'s weights, on one thread.
    static func model(
        _ architecture: ModelArchitecture,
        seed: UInt64,
        from snapshot: TorchSnapshot
    ) throws
        -> TorchModel
    {
        let model = try TorchModel(architecture, seed: seed)
        try model.restore(snapshot)
        try model.setThreads(1)
        return model
    }

    /// A stream's starting model: trained on its window 0 (8 epochs, one thread).
    static func startingModel(
        _ architecture: ModelArchitecture,
        seed: UInt64,
        on window: StreamWindow
    ) throws
        -> TorchModel
    {
        let training = WindowTrainingSettings(architecture: architecture, epochs: 8, threads: 1, seed: seed)
        return try CropModels.train(on: window.train, settings: training)
    }

    func copy(_ snapshot: TorchSnapshot) throws -> TorchModel {
        try Self.model(architecture, seed: settings.seed, from: snapshot)
    }

    /// The inference share that processes every frame when a frame costs `frameCost` device-seconds.
    static func fullRateShare(frameCost: Double, settings: RuntimeSettings) -> Double {
        max(settings.quantum, frameCost * settings.cropsPerSecond * settings.testFraction)
    }
}

/// One retraining window of a live run: label, micro-profile, schedule, execute, swap, re-allocate.
///
/// A class owned by one caller for one window: its mutable state is the window's state machine, one
/// ``StreamState`` per stream beside the executor and the background profiling queue. The stages live in
/// extensions: profiling (`WindowRun+Profiling`), plans and shares (`WindowRun+Shares`), completions and
/// swaps (`WindowRun+Swaps`), measurement (`WindowRun+Measure`); the share arithmetic and the swap rule are
/// pure (``ShareAllocation``, ``SwapDecision``, ``WindowAccuracy``).
final class WindowRun {
    struct Profile {
        var predictedAccuracy: Double
        var predictedCost: Double
    }

    /// Pruned configurations have no profile.
    typealias Profiles = [Profile?]

    /// One stream's state over the window.
    struct StreamState {
        let name: String
        let data: StreamWindow
        /// The model serving when the window began (the micro-profiler's predictions are about it).
        let initialServing: TorchModel
        /// The configurations not pruned yet.
        let active: Set<Int>
        /// The window's sample, labelled by the teacher.
        let dataset: TorchDataset
        /// Serves the window's frames with `serving`.
        let inference: InferenceJob
        var serving: TorchModel
        var record: LiveStreamRecord
        /// The validation split of `dataset`, and the serving model's accuracy on it.
        var validation: [Int] = []
        var current = 0.0
        var profiles: Profiles = []
        /// Device-seconds of profiling done when this stream's own profiling ended (streams run one after another).
        var profiledAt = 0.0
        /// The best model micro-profiling trained, if it validated above the serving model.
        var profiledModel: (model: TorchModel, accuracy: Double)?
        var retraining: RetrainingJob?
        /// A retraining job finished (or failed) this window.
        var finished = false
        /// The job refining the serving model with capacity the plan leaves idle.
        var refinement: RetrainingJob?
        /// Refinement failed this window (not restarted).
        var refinementStopped = false
        /// When the running retraining job's best epoch so far was swapped in, and its validation accuracy.
        var servedEpoch: (time: Double, accuracy: Double)?
        /// Configurations whose profiles arrived from the background (after the plan).
        var lateOptions: Set<Int> = []
        /// The layer groups of the retraining jobs started this window (one job per group).
        var startedLayers: Set<TrainableLayers> = []
        /// Every model swapped in during the window after the start model, in time order.
        var swaps: [(time: Double, model: TorchModel)] = []
        var shareLog: [(time: Double, share: Double)] = []
        /// Accounting of this stream's jobs that left the executor.
        var retiredAccounting: [ShareExecutor.Accounting] = []
    }

    /// What one stream brings into the window.
    struct Input {
        /// The window's frames: the labelled sample and the inference frames.
        var data: StreamWindow
        /// The model serving when the window begins.
        var serving: TorchModel
        /// What the previous window's last frame left to the first one (``InferenceJob/correctness(carryingIn:)``).
        var carried: Int?
        /// The configurations not pruned yet.
        var active: Set<Int>
    }

    struct Result {
        var record: LiveWindowRecord
        var serving: [TorchModel]
        var carried: [Int?]
        var outcomes: [RealisedOutcome]
        /// Per stream, accuracy over each second of the window.
        var perSecond: [[Double]]
        /// Per stream and configuration, the predicted end accuracy and cost (nil when pruned).
        var predictions: [[(accuracy: Double, cost: Double)?]]
    }

    let context: WindowContext
    let window: Int
    let inputs: [Input]
    let history: [RealisedOutcome]
    let scheduler: any Scheduler
    let predictor: any AccuracyPredictor
    let seed: UInt64

    // Window state.
    var streams: [StreamState] = []
    var executor = ShareExecutor()
    var outcomes: [RealisedOutcome] = []
    /// Profiling runs left for the background (stream, configurations the run serves), in start order.
    var pendingProfiling: [(index: Int, group: [Int])] = []
    /// The background profiling run in progress, if any.
    var profiling: ProfilingJob?
    /// Device-seconds of background profiling done, and what training its configurations fully would cost.
    var backgroundProfilingCost = 0.0
    var backgroundExhaustiveCost = 0.0
    var capacity: Capacity
    var timing: WindowTiming
    var scaling: InferenceScaling = .ekyaDefault
    var nextCheckpoint = Double.infinity
    var nextStatus = Double.infinity

    init(
        context: WindowContext,
        window: Int,
        inputs: [Input],
        history: [RealisedOutcome],
        scheduler: any Scheduler,
        predictor: any AccuracyPredictor
    ) throws {
        guard context.names.count == inputs.count else {
            throw RuntimeError.invalidSettings("one name per stream: \(context.names.count) for \(inputs.count)")
        }
        self.context = context
        self.window = window
        self.inputs = inputs
        self.history = history
        self.scheduler = scheduler
        self.predictor = predictor
        self.seed = context.settings.seed &+ UInt64(window) &* 1_000_003
        self.capacity = try Capacity(devices: context.settings.devices, quantum: context.settings.quantum)
        self.timing = try WindowTiming(length: Int(context.settings.windowSeconds.rounded()), labellingDelay: 0)
    }

    var settings: RuntimeSettings { context.settings }

    /// Runs the window: label, profile, schedule, execute with swaps and re-allocation, measure.
    func execute(pace: (Double) throws -> Void, progress: (String) -> Void) throws -> Result {
        let labellingCost = try label()
        let (profilingCost, exhaustiveCost) = try profile()
        let devices = Double(settings.devices)
        let delay = min(settings.windowSeconds / 2, (labellingCost + profilingCost) / devices)
        timing = try WindowTiming(length: Int(settings.windowSeconds.rounded()), labellingDelay: delay)
        scaling = .linear(cap: context.fullRateShare)

        // Inference starts at once, on a fair share until the plan is ready.
        executor = ShareExecutor(tick: settings.tick)
        let backlog = InferenceJob.backlog(cropsPerSecond: settings.cropsPerSecond, tick: settings.tick)
        let fair = min(devices / Double(streams.count), 1)
        for index in streams.indices {
            streams[index].inference.maximumBacklog = backlog
            executor.add(streams[index].inference, share: fair)
            streams[index].shareLog = [(0, fair)]
            streams[index].record.startAccuracy = streams[index].current
            streams[index].record.initialInferenceShare = fair
        }
        // Each stream's profiled model serves from the end of its own profiling run (after labelling).
        for index in streams.indices.sorted(by: { (streams[$0].profiledAt, $0) < (streams[$1].profiledAt, $1) }) {
            let ready = min(delay, (labellingCost + streams[index].profiledAt) / devices)
            try executor.run(until: ready, pace: pace)
            swapInProfiledModel(index, at: ready, progress: progress)
        }
        try executor.run(until: delay, pace: pace)
        // What a frame costs now, inside the running executor (measured, not the start-up figure).
        let processed = streams.map(\.inference.processed).reduce(0, +)
        if processed >= 20 {
            let perFrame = streams.map(\.inference.deviceTime).reduce(0, +) / Double(processed)
            let fullRate = perFrame * settings.cropsPerSecond * settings.testFraction
            scaling = .linear(cap: max(settings.quantum, context.fullRateShare, fullRate))
        }

        // Schedule.
        let clock = ContinuousClock()
        let started = clock.now
        let initialProblem = problem(at: delay)
        let initialPlan = scheduler.plan(initialProblem)
        let decision = started.duration(to: clock.now)
        try apply(initialPlan, problem: initialProblem, at: delay)
        for index in streams.indices {
            streams[index].record.initialInferenceShare = initialPlan.streams[index].inference
            streams[index].record.initialTrainingShare = initialPlan.streams[index].training
        }
        let planned = initialPlan.streams.enumerated().map { index, plan in
            plan.option.map {
                "\(streams[index].name):\(initialProblem.streams[index].options[$0].name)@\(TextFormat.fixed2(plan.training))"
            } ?? "\(streams[index].name):-"
        }
        progress(
            "window \(window) [\(scheduler.name)] t=\(Int(delay))s plan: \(planned.joined(separator: " ")) "
                + "(profiling \(Int(profilingCost)) device-s; full frame rate \(TextFormat.fixed2(scaling.saturationShare)))"
        )

        // Execute; on each completion validate, swap or refuse, and re-allocate.
        nextCheckpoint = scheduler.replanInterval.map { delay + $0 } ?? .infinity
        nextStatus = delay + settings.windowSeconds / 4
        try executor.run(until: settings.windowSeconds, pace: pace) { now in
            try self.afterTick(now, progress: progress)
        }

        // Measure what users got, and what the window-accuracy model says about the executed plan.
        let (carried, perSecond) = try measure()
        return Result(
            record: LiveWindowRecord(
                window: window,
                streams: streams.map(\.record),
                delay: delay,
                labellingCost: labellingCost,
                profilingCost: profilingCost + backgroundProfilingCost,
                exhaustiveCost: exhaustiveCost + backgroundExhaustiveCost,
                decisionMilliseconds: decision.inMilliseconds,
                profiledConfigurations: scheduler.usesProfiles ? inputs.map(\.active.count).reduce(0, +) : 0,
                totalConfigurations: settings.configurations.count * streams.count
            ),
            serving: streams.map(\.serving),
            carried: carried,
            outcomes: outcomes,
            perSecond: perSecond,
            // A baseline has no predictions (its pruning is moot: it profiles nothing).
            predictions: streams.map {
                $0.profiles.map { profile in
                    profile.flatMap { scheduler.usesProfiles ? ($0.predictedAccuracy, $0.predictedCost) : nil }
                }
            }
        )
    }

    /// Every stream's shares, configuration and progress now, for live displays.
    func status(at now: Double) -> LiveWindowStatus {
        LiveWindowStatus(
            window: window,
            phase: now < timing.labellingDelay ? .profiling : .running,
            time: now,
            windowSeconds: settings.windowSeconds,
            streams: streams.map { stream in
                LiveStreamStatus(
                    stream: stream.record.stream,
                    inferenceShare: executor.share(of: stream.inference.id) ?? 0,
                    trainingShare: stream.retraining.flatMap { executor.share(of: $0.id) } ?? 0,
                    configuration: stream.record.configuration,
                    progress: stream.retraining.map(\.progress) ?? (stream.finished ? 1 : nil),
                    swapped: stream.record.lastSwapTime != nil,
                    failed: stream.record.failure != nil
                )
            }
        )
    }

    /// Per stream, the profiled configurations: name, predicted end accuracy, predicted cost.
    var profileSummary: [[(configuration: String, accuracy: Double, cost: Double)]] {
        let configurations = settings.configurations
        return streams.map { stream in
            stream.profiles.enumerated().compactMap { option, profile in
                profile.map { (configurations[option].name, $0.predictedAccuracy, $0.predictedCost) }
            }
        }
    }

    /// Device-seconds every job of the window used, retired or still in the executor.
    var usedDeviceSeconds: Double {
        var used = streams.flatMap(\.retiredAccounting).map(\.used).reduce(0, +)
        for id in executor.jobIDs { used += executor.accounting(of: id)?.used ?? 0 }
        return used
    }
}
