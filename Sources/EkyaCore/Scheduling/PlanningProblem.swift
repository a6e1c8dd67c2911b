/// A retraining option as the scheduler sees it: a *planned* end accuracy and remaining cost.
///
/// Schedulers never see what a job will really reach or cost: the simulator and the runtime build
/// these from predictions (and, for running jobs, from observed progress) only.
public struct PlanningOption: Sendable, Equatable {
    public var name: String
    public var endAccuracy: Double
    /// Remaining compute at 100 % of one device, in device-seconds.
    public var cost: Double

    public init(name: String, endAccuracy: Double, cost: Double) {
        self.name = name
        self.endAccuracy = endAccuracy
        self.cost = cost
    }
}

/// One stream at a planning moment.
public struct PlanningStream: Sendable, Equatable {
    public var id: String
    /// Accuracy of the model now serving the stream.
    public var currentAccuracy: Double
    /// Retraining options worth running: those whose planned end accuracy beats `currentAccuracy`
    /// (for a job already running: exactly its own configuration with its remaining cost).
    public var options: [PlanningOption]
    /// True when `options` is the single configuration of a job that is already running.
    public var isRunning: Bool
    /// For a running job: the progress observed so far.
    public var progress: JobProgress?

    /// Creates a stream; options that cannot beat the current accuracy are dropped unless the job runs already.
    public init(
        id: String,
        currentAccuracy: Double,
        options: [PlanningOption],
        isRunning: Bool = false,
        progress: JobProgress? = nil
    ) {
        self.id = id
        self.currentAccuracy = currentAccuracy
        self.options = isRunning ? options : options.filter { $0.endAccuracy > currentAccuracy && $0.cost >= 0 }
        self.isRunning = isRunning
        self.progress = progress
    }

    /// Whether this stream has a retraining job to schedule.
    public var hasTrainingJob: Bool { !options.isEmpty }
}

/// What a scheduler decides on: the streams, the compute, the window, and the moment of planning.
public struct PlanningProblem: Sendable {
    public var streams: [PlanningStream]
    public var capacity: Capacity
    public var timing: WindowTiming
    /// Seconds since the window started (0 at the window start, later when re-planning).
    public var now: Double
    public var scaling: InferenceScaling
    /// Paper's a_MIN: an inference share whose accuracy would fall below this is not acceptable.
    public var minimumAccuracy: Double
    /// Smallest inference share per stream a plan may give (a robustness floor; 0 for none).
    public var inferenceFloor: Double
    /// The window being planned.
    public var window: Int
    /// Realised outcomes of jobs that finished before this planning moment (never later ones).
    public var history: [RealisedOutcome]

    public init(
        streams: [PlanningStream],
        capacity: Capacity,
        timing: WindowTiming,
        now: Double = 0,
        scaling: InferenceScaling = .ekyaDefault,
        minimumAccuracy: Double = 0,
        inferenceFloor: Double = 0,
        window: Int = 1,
        history: [RealisedOutcome] = []
    ) {
        self.streams = streams
        self.capacity = capacity
        self.timing = timing
        self.now = now
        self.scaling = scaling
        self.minimumAccuracy = minimumAccuracy
        self.inferenceFloor = inferenceFloor
        self.window = window
        self.history = history
    }
}

/// The decision for one stream: its inference share, its training share and the chosen configuration.
public struct StreamPlan: Sendable, Equatable {
    public var inference: Double
    public var training: Double
    /// Index into the stream's `options`, or nil for no retraining.
    public var option: Int?

    public init(inference: Double, training: Double, option: Int?) {
        self.inference = inference
        self.training = training
        self.option = option
    }

    public static let idle = StreamPlan(inference: 0, training: 0, option: nil)
}

/// A scheduler's decision for all streams.
public struct Plan: Sendable, Equatable {
    public var streams: [StreamPlan]
    /// Mean over streams of the planned accuracy over the rest of the window.
    public var estimatedAccuracy: Double
    /// Accuracy (0...1, mean over streams) the plan lost because jobs did not pack onto devices.
    public var placementLoss: Double

    public init(streams: [StreamPlan], estimatedAccuracy: Double, placementLoss: Double = 0) {
        self.streams = streams
        self.estimatedAccuracy = estimatedAccuracy
        self.placementLoss = placementLoss
    }

    /// Shares of all jobs (inference and training of each stream), in stream order.
    public var jobShares: [Double] {
        streams.flatMap { [$0.inference, $0.training] }
    }
}

/// Decides inference and training shares and configurations for a window (or its rest).
public protocol Scheduler: Sendable {
    /// The name it is selected by.
    var name: String { get }
    /// Plans `problem`; pure and deterministic.
    func plan(_ problem: PlanningProblem) -> Plan
    /// Seconds between progress check points at which the scheduler wants to re-plan (nil: only on completions).
    var replanInterval: Double? { get }
    /// Whether it plans with micro-profiler predictions; a live run skips (and does not charge) profiling
    /// for a scheduler that does not, such as a fixed uniform baseline.
    var usesProfiles: Bool { get }
    /// Whether capacity its plans leave idle retrains streams whose job has finished with another
    /// configuration, swapped in only when it ends more accurate (the live runtime's refinement).
    var refinesWithIdleCapacity: Bool { get }
}

extension Scheduler {
    public var replanInterval: Double? { nil }
    public var usesProfiles: Bool { true }
    public var refinesWithIdleCapacity: Bool { false }
}
