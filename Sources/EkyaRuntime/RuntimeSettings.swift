import EkyaCore
import EkyaData
import EkyaML

/// One retraining configuration of the live runtime (Ekya's γ): which layers train, epochs, data fraction.
public struct RetrainingConfiguration: Sendable, Hashable {
    public var name: String
    public var epochs: Int
    public var layers: TrainableLayers
    public var dataFraction: Double
    public var batchSize: Int

    public init(name: String, epochs: Int, layers: TrainableLayers, dataFraction: Double = 1, batchSize: Int = 32) {
        self.name = name
        self.epochs = epochs
        self.layers = layers
        self.dataFraction = dataFraction
        self.batchSize = batchSize
    }

    /// The default grid: {head only, all layers} × {1, 4, 10} epochs (6 configurations).
    public static let defaultGrid: [RetrainingConfiguration] = [TrainableLayers.headOnly, .all].flatMap { layers in
        [1, 4, 10].map { epochs in
            RetrainingConfiguration(
                name: "\(layers == .headOnly ? "head" : "all")-\(epochs)",
                epochs: epochs,
                layers: layers
            )
        }
    }

    /// The grid called `name` (`small`: ``defaultGrid``, `paper`: ``paperGrid``), or nil.
    public static func grid(named name: String) -> [RetrainingConfiguration]? {
        switch name {
        case "small": defaultGrid
        case "paper": paperGrid
        default: nil
        }
    }

    /// The paper's three dimensions: {head only, all layers} × {1, 4, 10} epochs × {25, 50, 100} % of the
    /// window's labelled data (18 configurations; the full-data ones keep the default grid's names).
    public static let paperGrid: [RetrainingConfiguration] = [TrainableLayers.headOnly, .all].flatMap { layers in
        [1.0, 0.5, 0.25].flatMap { fraction in
            [1, 4, 10].map { epochs in
                RetrainingConfiguration(
                    name: "\(layers == .headOnly ? "head" : "all")-\(epochs)"
                        + (fraction < 1 ? "-d\(Int((fraction * 100).rounded()))" : ""),
                    epochs: epochs,
                    layers: layers,
                    dataFraction: fraction
                )
            }
        }
    }
}

/// How the live runtime measures time.
public enum ClockMode: String, Sendable, CaseIterable {
    /// Real time: the window lasts `windowSeconds` of wall-clock time on one device (this CPU).
    case wall
    /// Virtual time: the same real compute, but the window clock advances by measured device time
    /// (compute × slowdown) shared over the configured devices; nothing sleeps.
    case virtual
}

/// The retraining optimizer.
public enum OptimizerKind: String, Sendable, CaseIterable {
    /// SGD with momentum 0.9, as Ekya trains.
    case sgd
    case adam
}

/// Who labels each window's sample for retraining.
public enum TeacherKind: String, Sendable, CaseIterable {
    /// The crops' true labels, flipped to a random wrong class at `labelErrorRate`; costs almost nothing.
    case groundTruth = "ground-truth"
    /// A bigger network's predictions (``LiveRuntime/teacherModel``); its measured compute is charged.
    case model
}

/// Everything a live run needs to know.
public struct RuntimeSettings: Sendable {
    /// Charges compute to the modelled device, as ``compute`` and ``slowdown`` say.
    var meter: ComputeMeter { ComputeMeter(accounting: compute, slowdown: slowdown) }

    public var scenarios: [ScenarioPreset]
    /// Retraining windows after the initial one (window 0 trains the starting models).
    public var windows: Int
    /// Window length T in (virtual or wall) seconds.
    public var windowSeconds: Double
    /// Crops per second per stream; `testFraction` of them are inference frames, the rest can be labelled.
    public var cropsPerSecond: Double
    public var testFraction: Double
    public var devices: Int
    /// Device-seconds per measured second of compute on this machine (the modelled device's slowness).
    public var slowdown: Double
    /// How compute is charged: measured on this machine, or modelled per unit of work.
    public var compute: ComputeAccounting = .measured
    public var clock: ClockMode
    public var configurations: [RetrainingConfiguration]
    /// Micro-profiling: epochs and data fraction (Ekya: 5 epochs on 10 %).
    public var profileEpochs: Int
    public var profileFraction: Double
    /// Which crops successive micro-profiling epochs train on: the same sub-sample every epoch (`fixed`,
    /// Ekya, the live default) or consecutive disjoint slices (`rotating`: the run samples the first full
    /// epoch's learning curve at the same cost; `ekya profile`'s default, where it predicts better).
    public var profilingSubset: TrainingPlan.Subset = .fixed
    /// Pruning (Ekya): every 2 windows, drop this fraction of each stream's worst-predicted configurations.
    public var pruneFraction: Double
    /// Serve the best micro-profiled model from the end of profiling when it validates above the serving
    /// model (profiling is real training on the window's data; Ekya throws those models away).
    public var servesProfiledModels: Bool
    /// Capacity a plan leaves idle (beyond inference headroom) trains the serving model of streams without
    /// a retraining job further, epoch by epoch, and each epoch's model that validates above the serving
    /// one is swapped in (Ekya leaves that capacity to inference, which cannot use it).
    public var refinesWithIdleCapacity: Bool
    /// A running retraining job's best epoch so far serves as soon as it validates above the serving model,
    /// without pausing inference (Ekya swaps only when the job finishes).
    public var servesImprovedEpochs: Bool
    /// Staged micro-profiling: only the head-only configurations (the cheapest runs) before the plan; the
    /// other layer groups profile in the background with the capacity the plan leaves idle, and their
    /// configurations join the options at the next re-plan (Ekya profiles everything before planning).
    public var profilesInBackground: Bool
    /// A retraining job starts from the model serving the stream when it starts (a profiled, refined or
    /// retrained model of this window, or the window's starting model), as continuous learning retrains
    /// the current model; false starts it from the window's starting model, which the micro-profiler's
    /// predictions are about (what Ekya does, since it serves nothing else before a job finishes).
    public var retrainsServingModel: Bool
    /// Inference headroom: a stream at full frame rate keeps this multiple of its full-rate share.
    ///
    /// It comes from idle capacity first, else from the retraining jobs' shares (at most half of them): a
    /// stream held at exactly its full-rate share drops frames whenever a step runs long, as when training
    /// runs beside it. 1 keeps the plan's shares.
    public var fullRateHeadroom: Double
    public var policy: ReallocationPolicy
    public var quantum: Double
    public var tick: Double
    /// Label error rate of the ground-truth teacher.
    public var labelErrorRate: Double
    /// Who labels the window's sample.
    public var teacher: TeacherKind
    public var learningRate: Double
    /// Retraining optimizer: SGD with momentum 0.9 (Ekya) or Adam.
    public var optimizer: OptimizerKind
    public var seed: UInt64

    public init(
        scenarios: [ScenarioPreset] = [.stable, .dayNight, .weather, .classShift],
        windows: Int = 4,
        windowSeconds: Double = 60,
        cropsPerSecond: Double = 20,
        testFraction: Double = 0.5,
        devices: Int = 1,
        slowdown: Double = 10,
        clock: ClockMode = .virtual,
        configurations: [RetrainingConfiguration] = RetrainingConfiguration.defaultGrid,
        profileEpochs: Int = 2,
        profileFraction: Double = 0.25,
        profilingSubset: TrainingPlan.Subset = .fixed,
        pruneFraction: Double = 0.34,
        servesProfiledModels: Bool = true,
        refinesWithIdleCapacity: Bool = true,
        servesImprovedEpochs: Bool = true,
        profilesInBackground: Bool = true,
        retrainsServingModel: Bool = true,
        fullRateHeadroom: Double = 1.5,
        policy: ReallocationPolicy = .paper,
        quantum: Double = 0.05,
        tick: Double = 0.25,
        labelErrorRate: Double = 0,
        teacher: TeacherKind = .groundTruth,
        learningRate: Double = 0.01,
        optimizer: OptimizerKind = .sgd,
        seed: UInt64 = 1
    ) {
        self.scenarios = scenarios
        self.windows = windows
        self.windowSeconds = windowSeconds
        self.cropsPerSecond = cropsPerSecond
        self.testFraction = testFraction
        self.devices = devices
        self.slowdown = slowdown
        self.clock = clock
        self.configurations = configurations
        self.profileEpochs = profileEpochs
        self.profileFraction = profileFraction
        self.profilingSubset = profilingSubset
        self.pruneFraction = pruneFraction
        self.servesProfiledModels = servesProfiledModels
        self.refinesWithIdleCapacity = refinesWithIdleCapacity
        self.servesImprovedEpochs = servesImprovedEpochs
        self.profilesInBackground = profilesInBackground
        self.retrainsServingModel = retrainsServingModel
        self.fullRateHeadroom = fullRateHeadroom
        self.policy = policy
        self.quantum = quantum
        self.tick = tick
        self.labelErrorRate = labelErrorRate
        self.teacher = teacher
        self.learningRate = learningRate
        self.optimizer = optimizer
        self.seed = seed
    }
}

extension RuntimeSettings {
    /// Mini-batches a micro-profiling epoch sees at least, whatever `profileFraction` says.
    public static let minimumProfilingBatches = 3
    /// Share of a window's labelled crops held out to validate (and pick the best epoch of) every training run.
    public static let validationFraction = 0.2

    /// The data fraction a micro-profiling run of `configuration` trains on when the window has `images`
    /// labelled crops: `profileFraction` of the configuration's data, but never fewer than
    /// ``minimumProfilingBatches`` mini-batches per epoch.
    ///
    /// Ekya's 10 % is hundreds of frames on Cityscapes windows; on a window of 600 crops it is 48 crops —
    /// two gradient steps per epoch, too few for a learning curve to say anything.
    func profilingFraction(for configuration: RetrainingConfiguration, images: Int) -> Double {
        let trainable = Double(images) * (1 - Self.validationFraction)
        let floor = trainable > 0 ? Double(Self.minimumProfilingBatches * configuration.batchSize) / trainable : 1
        return min(configuration.dataFraction, max(configuration.dataFraction * profileFraction, floor))
    }

    /// Ekya's pruning, applied every 2 windows: `active` without its worst `pruneFraction` of configurations,
    /// keeping at least two.
    ///
    /// The paper drops "the worst" configurations without saying by what. Ranking by predicted end
    /// accuracy alone drops the cheap ones (one epoch of the head predicts the least and costs the least),
    /// and those are exactly the ones a scarce device can still finish. So "worst" here is cost-aware:
    /// first the configurations that more others dominate (predicted at least as accurate *and* at most
    /// as costly, one of them strictly), then the lower predicted accuracy, then the later position.
    /// Unprofiled configurations (no prediction) go first.
    func pruned(_ active: Set<Int>, predictions: [(accuracy: Double, cost: Double)?]) -> Set<Int> {
        guard pruneFraction > 0 else { return active }
        // How many active configurations dominate each one (unprofiled ones rank worst of all).
        var dominators: [Int: Int] = [:]
        for index in active {
            guard let mine = predictions[index] else {
                dominators[index] = Int.max
                continue
            }
            dominators[index] =
                active.filter { other in
                    guard other != index, let theirs = predictions[other] else { return false }
                    return theirs.accuracy >= mine.accuracy && theirs.cost <= mine.cost
                        && (theirs.accuracy > mine.accuracy || theirs.cost < mine.cost)
                }.count
        }
        // Worst first: most dominators, then lowest predicted accuracy, then earliest position.
        func key(_ index: Int) -> (Int, Double, Int) {
            (-(dominators[index] ?? 0), predictions[index]?.accuracy ?? 0, index)
        }
        let ranked = active.sorted { key($0) < key($1) }
        let drop = min(Int(Double(ranked.count) * pruneFraction), max(0, ranked.count - 2))
        return active.subtracting(ranked.prefix(drop))
    }

    /// The training plan of a retraining (or profiling) run of `configuration`: the runtime's optimizer,
    /// a ``validationFraction`` split with best-epoch restore, one intra-op thread.
    func trainingPlan(
        _ configuration: RetrainingConfiguration,
        epochs: Int,
        fraction: Double,
        seed: UInt64,
        subset: TrainingPlan.Subset = .fixed
    ) -> TrainingPlan {
        TrainingPlan(
            epochs: epochs,
            batchSize: configuration.batchSize,
            dataFraction: min(1, max(fraction, 0.01)),
            validationFraction: Self.validationFraction,
            trainableLayers: configuration.layers,
            optimizer: optimizer == .adam
                ? .adam(learningRate: learningRate) : .sgd(learningRate: learningRate, momentum: 0.9),
            seed: seed,
            threads: 1,
            subset: subset
        )
    }
}

/// Errors of the live runtime.
public enum RuntimeError: Error, CustomStringConvertible, Equatable {
    case invalidSettings(String)

    public var description: String {
        switch self {
        case .invalidSettings(let message): "invalid runtime settings: \(message)"
        }
    }
}
