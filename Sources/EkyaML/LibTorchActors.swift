public import EkyaCore

/// ``ModelTrainer`` over libtorch: one ``TrainingJob`` confined to this actor.
public actor LibTorchTrainer: ModelTrainer {
    private let job: TrainingJob

    /// Takes ownership of `job` (and its model and dataset); use them only through this actor afterwards.
    public init(job: sending TrainingJob) {
        self.job = job
    }

    public var isFinished: Bool { job.isFinished }

    public func setThreads(_ threads: Int) throws {
        try job.setThreads(threads)
    }

    public func train(steps maxSteps: Int) throws -> [TrainingStepReport] {
        try job.train(steps: maxSteps)
    }

    public func finish() throws -> Double? {
        try job.finish()
    }

    /// Runs `body` with the job's model inside the actor, for example to save a checkpoint after ``finish()``.
    public func withModel<Result: Sendable>(
        _ body: (TorchModel) throws -> Result
    ) rethrows -> Result {
        try body(job.model)
    }
}

/// ``InferenceEngine`` over libtorch: one ``TorchModel`` confined to this actor.
public actor LibTorchClassifier: InferenceEngine {
    private let model: TorchModel
    private let batchSize: Int

    /// Takes ownership of `model`; use it only through this actor afterwards.
    public init(model: sending TorchModel, batchSize: Int = 64) {
        self.model = model
        self.batchSize = batchSize
    }

    /// Loads a TorchScript module or checkpoint for serving.
    public init(contentsOf path: String, threads: Int = 1, batchSize: Int = 64) throws {
        let model = try TorchModel(contentsOf: path)
        try model.setThreads(threads)
        self.model = model
        self.batchSize = batchSize
    }

    public func classify(_ batch: ImageBatch, resolution: Int?) throws -> [ClassPrediction] {
        try model.predict(batch, resolution: resolution, batchSize: batchSize)
    }

    /// Sets the intra-op thread count of the following calls.
    public func setThreads(_ threads: Int) throws {
        try model.setThreads(threads)
    }
}
