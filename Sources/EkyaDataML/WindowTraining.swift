import EkyaCore
import EkyaData
import EkyaML
import Foundation

/// How models are trained on a stream window's crops (the compact edge model Ekya retrains).
public struct WindowTrainingSettings: Sendable, Hashable {
    /// The classifier trained on each window.
    public var architecture: ModelArchitecture
    /// Passes over the window's train crops.
    public var epochs: Int
    /// Mini-batch size.
    public var batchSize: Int
    /// Fraction of the crops held out to pick the best epoch's weights (0: keep the last epoch's).
    public var validationFraction: Double
    /// Optimizer; training starts from scratch, so Adam converges in a few epochs.
    public var optimizer: OptimizerChoice
    /// Intra-op threads per model.
    public var threads: Int
    /// Seed of the weights' initialization and of the shuffling.
    public var seed: UInt64

    /// Creates settings; the defaults are Ekya's small model trained for 10 epochs with Adam, keeping the
    /// weights of the epoch that did best on a 10 % validation split (which steadies the accuracy).
    public init(
        architecture: ModelArchitecture = .small(inputChannels: 1, classCount: FashionMNIST.classNames.count),
        epochs: Int = 10,
        batchSize: Int = 32,
        validationFraction: Double = 0.1,
        optimizer: OptimizerChoice = .adam(learningRate: 0.002),
        threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        seed: UInt64 = 1
    ) {
        self.architecture = architecture
        self.epochs = epochs
        self.batchSize = batchSize
        self.validationFraction = validationFraction
        self.optimizer = optimizer
        self.threads = threads
        self.seed = seed
    }
}

/// Training and evaluating libtorch models on crop batches.
public enum CropModels {
    /// A model of `settings.architecture` trained from scratch on `crops` with `labels` (default: the crops' own).
    public static func train(
        on crops: CropBatch,
        labels: [Int]? = nil,
        settings: WindowTrainingSettings
    ) throws(MLError) -> TorchModel {
        let model = try TorchModel(settings.architecture, seed: settings.seed)
        let dataset = try dataset(crops, labels: labels ?? crops.labels)
        let plan = TrainingPlan(
            epochs: settings.epochs,
            batchSize: settings.batchSize,
            validationFraction: settings.validationFraction,
            optimizer: settings.optimizer,
            seed: settings.seed,
            threads: settings.threads
        )
        let job = try TrainingJob(model: model, dataset: dataset, plan: plan)
        while !job.isFinished { _ = try job.train(steps: 1_000) }
        _ = try job.finish()
        return model
    }

    /// The model's predicted class for every crop.
    public static func predict(_ model: TorchModel, _ crops: CropBatch) throws(MLError) -> [Int] {
        guard !crops.isEmpty else { return [] }
        guard
            let batch = ImageBatch(
                count: crops.count,
                channels: 1,
                height: CropBatch.side,
                width: CropBatch.side,
                pixels: crops.pixels
            )
        else { throw .invalidArgument("crop batch has the wrong number of pixels") }
        return try model.predict(batch, batchSize: 256).map(\.classIndex)
    }

    /// Fraction (0...1) of `crops` the model classifies as their true label (unknown labels skipped).
    public static func accuracy(of model: TorchModel, on crops: CropBatch) throws(MLError) -> Double {
        let predictions = try predict(model, crops)
        let known = zip(predictions, crops.labels).filter { $0.1 >= 0 }
        guard !known.isEmpty else { return 0 }
        return Double(known.count { $0.0 == $0.1 }) / Double(known.count)
    }

    /// A libtorch dataset of `crops` (one channel, side × side) with the given labels.
    public static func dataset(_ crops: CropBatch, labels: [Int]) throws(MLError) -> TorchDataset {
        try TorchDataset(
            pixels: crops.pixels,
            labels: labels,
            channels: 1,
            height: CropBatch.side,
            width: CropBatch.side
        )
    }
}
