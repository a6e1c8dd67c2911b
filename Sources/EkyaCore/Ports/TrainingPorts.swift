// Ports the runtime uses to retrain and serve real models; EkyaML (libtorch) implements them.

/// What one training step (one mini-batch) did.
public struct TrainingStepReport: Sendable, Hashable {
    /// Zero-based epoch the step belongs to.
    public var epoch: Int
    /// Zero-based step index within the whole job.
    public var step: Int
    /// Images in the mini-batch.
    public var images: Int
    /// Mean cross-entropy loss of the mini-batch (before the update).
    public var loss: Double
    /// Wall time of the forward, backward and optimizer update.
    public var duration: Duration
    /// Validation accuracy in 0...1 when this step ended an epoch and the job has a validation split.
    public var validationAccuracy: Double?

    public init(
        epoch: Int,
        step: Int,
        images: Int,
        loss: Double,
        duration: Duration,
        validationAccuracy: Double? = nil
    ) {
        self.epoch = epoch
        self.step = step
        self.images = images
        self.loss = loss
        self.duration = duration
        self.validationAccuracy = validationAccuracy
    }
}

/// A retraining job that a scheduler advances a few steps at a time.
///
/// Between calls the scheduler may change the job's CPU share (``setThreads(_:)``) or run other jobs.
public protocol ModelTrainer: Sendable {
    /// Whether every planned step has run.
    var isFinished: Bool { get async }

    /// Sets the intra-op thread count used by the following steps.
    func setThreads(_ threads: Int) async throws

    /// Runs at most `maxSteps` mini-batches and reports each; returns fewer when the job ends.
    func train(steps maxSteps: Int) async throws -> [TrainingStepReport]

    /// Ends the job: restores the best-validation weights and returns that accuracy (nil without validation).
    func finish() async throws -> Double?
}

/// An image classifier's answer for one image.
public struct ClassPrediction: Sendable, Hashable {
    /// Index of the most probable class.
    public var classIndex: Int
    /// Its softmax probability in 0...1.
    public var confidence: Double

    public init(classIndex: Int, confidence: Double) {
        self.classIndex = classIndex
        self.confidence = confidence
    }
}

/// Images of one shape as row-major floats (count × channels × height × width), pixels in 0...1.
public struct ImageBatch: Sendable, Equatable {
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    public let pixels: [Float]

    /// Returns nil unless the dimensions are positive and `pixels` holds exactly that many values.
    public init?(count: Int, channels: Int, height: Int, width: Int, pixels: [Float]) {
        guard count > 0, channels > 0, height > 0, width > 0, pixels.count == count * channels * height * width
        else { return nil }
        self.count = count
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
    }
}

/// Batched classification at a chosen input resolution (inference configurations resize first).
public protocol InferenceEngine: Sendable {
    /// Classifies every image of `batch`, resized to `resolution` × `resolution` (nil: native size).
    func classify(_ batch: ImageBatch, resolution: Int?) async throws -> [ClassPrediction]
}
