public import EkyaCore

/// How one retraining job trains (Ekya's retraining configuration plus the engine's knobs).
public struct TrainingPlan: Sendable, Hashable {
    /// Passes over the (sub-sampled) training images.
    public var epochs: Int
    public var batchSize: Int
    /// Fraction (0, 1] of the training images used (Ekya's data subsampling knob).
    public var dataFraction: Double
    /// Fraction [0, 1) of the images held out for validation and best-epoch restore.
    public var validationFraction: Double
    public var trainableLayers: TrainableLayers
    public var optimizer: OptimizerChoice
    /// Input resolution the images are resized to (nil: native size).
    public var resolution: Int?
    /// Seed of the shuffling and split (the model's initialization has its own seed).
    public var seed: UInt64
    /// Intra-op threads of this job; a scheduler may change it between steps.
    public var threads: Int
    /// Which images an epoch on a fraction of the data trains on.
    public var subset: Subset

    /// The images of each epoch when ``dataFraction`` < 1.
    public enum Subset: String, Sendable, Hashable, CaseIterable {
        /// The same sub-sample every epoch (Ekya's data subsampling).
        case fixed
        /// Consecutive disjoint slices of the shuffled training pool, wrapping around: epochs on a
        /// fraction f see 1/f times as many distinct images before any repeats (micro-profiling that
        /// samples the first full epoch's learning curve at the cost of short epochs).
        case rotating
    }

    public init(
        epochs: Int,
        batchSize: Int,
        dataFraction: Double = 1,
        validationFraction: Double = 0.1,
        trainableLayers: TrainableLayers = .all,
        optimizer: OptimizerChoice = .ekyaDefault,
        resolution: Int? = nil,
        seed: UInt64 = 0,
        threads: Int = 1,
        subset: Subset = .fixed
    ) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.dataFraction = dataFraction
        self.validationFraction = validationFraction
        self.trainableLayers = trainableLayers
        self.optimizer = optimizer
        self.resolution = resolution
        self.seed = seed
        self.threads = threads
        self.subset = subset
    }
}

/// A training job advanced step by step: shuffling, epochs, validation and best-validation restore.
///
/// Not thread-safe (it drives a ``TorchModel``); ``LibTorchTrainer`` confines one to an actor.
public final class TrainingJob {
    public let model: TorchModel
    public let dataset: TorchDataset
    public let plan: TrainingPlan
    /// Images trained on per epoch (after the split and ``TrainingPlan/dataFraction``; under a rotating
    /// subset, the first epoch's).
    public var trainingIndices: [Int] { subsetSize == pool.count ? pool : images(inEpoch: 0) }
    /// Held-out images for validation.
    public let validationIndices: [Int]
    /// Best validation accuracy so far, if any epoch has ended with a validation split.
    public private(set) var bestValidationAccuracy: Double?
    /// Steps run so far.
    public private(set) var stepsRun = 0
    /// Total steps of the job.
    public let totalSteps: Int

    private var generator: SplitMix64
    private var epoch = 0
    private var epochOrder: [Int] = []
    private var positionInEpoch = 0
    /// Weights of the best validation epoch so far.
    public private(set) var bestSnapshot: TorchSnapshot?
    private let stepsPerEpoch: Int
    /// The training pool: the sub-sample, or under a rotating subset every training image (shuffled once).
    private let pool: [Int]
    private let subsetSize: Int

    /// Prepares a job: splits `dataset` with `plan.seed`, configures the model's optimizer, freezing and threads.
    public init(model: TorchModel, dataset: TorchDataset, plan: TrainingPlan) throws(MLError) {
        guard plan.epochs >= 1, plan.batchSize >= 2 else {
            throw .invalidArgument("need at least 1 epoch and a batch size of at least 2 (BatchNorm)")
        }
        guard plan.dataFraction > 0, plan.dataFraction <= 1 else {
            throw .invalidArgument("data fraction \(plan.dataFraction) must be in (0, 1]")
        }
        guard plan.validationFraction >= 0, plan.validationFraction < 1 else {
            throw .invalidArgument("validation fraction \(plan.validationFraction) must be in [0, 1)")
        }
        var generator = SplitMix64(seed: plan.seed)
        var order = Array(0..<dataset.count)
        order.shuffle(using: &generator)
        let validationCount =
            plan.validationFraction > 0 ? max(1, Int(Double(dataset.count) * plan.validationFraction)) : 0
        let pool = order.dropFirst(validationCount)
        let trainingCount = min(pool.count, Int((Double(pool.count) * plan.dataFraction).rounded(.up)))
        guard trainingCount >= 2 else {
            throw .invalidArgument("only \(trainingCount) training images left after the split; need at least 2")
        }
        self.model = model
        self.dataset = dataset
        self.plan = plan
        self.validationIndices = Array(order.prefix(validationCount))
        self.pool = plan.subset == .rotating ? Array(pool) : Array(pool.prefix(trainingCount))
        self.subsetSize = trainingCount
        self.generator = generator
        // A last mini-batch of one image cannot train BatchNorm, so it is dropped.
        let batches = (trainingCount + plan.batchSize - 1) / plan.batchSize
        self.stepsPerEpoch = trainingCount % plan.batchSize == 1 ? batches - 1 : batches
        self.totalSteps = stepsPerEpoch * plan.epochs
        try model.setThreads(plan.threads)
        try model.setTrainableLayers(plan.trainableLayers)
        try model.setOptimizer(plan.optimizer)
    }

    /// Whether every planned step has run.
    public var isFinished: Bool { stepsRun >= totalSteps }

    /// Sets the intra-op thread count for the following steps.
    public func setThreads(_ threads: Int) throws(MLError) {
        try model.setThreads(threads)
    }

    /// Runs at most `maxSteps` mini-batches; validates (and keeps the best weights) after each epoch.
    ///
    /// - Throws: ``MLError/nonFiniteLoss(_:)`` when a loss is NaN/inf (the model keeps its weights).
    public func train(steps maxSteps: Int) throws(MLError) -> [TrainingStepReport] {
        var reports: [TrainingStepReport] = []
        let clock = ContinuousClock()
        while reports.count < maxSteps, !isFinished {
            if positionInEpoch == 0 {
                epochOrder = images(inEpoch: epoch).shuffled(using: &generator)
            }
            let batch = Array(epochOrder[positionInEpoch..<min(epochOrder.count, positionInEpoch + plan.batchSize)])
            let start = clock.now
            let loss = try model.trainStep(on: dataset, indices: batch, resolution: plan.resolution)
            let duration = clock.now - start
            var report = TrainingStepReport(
                epoch: epoch,
                step: stepsRun,
                images: batch.count,
                loss: loss,
                duration: duration
            )
            stepsRun += 1
            positionInEpoch += batch.count
            if stepsRun % stepsPerEpoch == 0 {
                report.validationAccuracy = try endEpoch()
            }
            reports.append(report)
        }
        return reports
    }

    /// The images of epoch `index`: the sub-sample, or its slice of the pool under a rotating subset.
    public func images(inEpoch index: Int) -> [Int] {
        guard subsetSize < pool.count else { return pool }
        let start = (index * subsetSize) % pool.count
        return (0..<subsetSize).map { pool[(start + $0) % pool.count] }
    }

    private func endEpoch() throws(MLError) -> Double? {
        epoch += 1
        positionInEpoch = 0
        guard !validationIndices.isEmpty else { return nil }
        let accuracy = try model.accuracy(on: dataset, indices: validationIndices, resolution: plan.resolution)
        if accuracy > (bestValidationAccuracy ?? -1) {
            bestValidationAccuracy = accuracy
            bestSnapshot = try model.snapshot()
        }
        return accuracy
    }

    /// Restores the best-validation weights (if a validation split exists) and returns that accuracy.
    public func finish() throws(MLError) -> Double? {
        if let bestSnapshot {
            try model.restore(bestSnapshot)
        }
        return bestValidationAccuracy
    }
}
