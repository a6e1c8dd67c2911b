import CEkyaML
public import EkyaCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A classifier running on libtorch: a TorchScript module with its optimizer and freezing state.
///
/// libtorch modules are not thread-safe, so this class is not `Sendable`: keep each instance inside
/// one actor (``LibTorchTrainer``, ``LibTorchClassifier``) or one owner. To retrain while serving,
/// train a second instance and swap it in (e.g. through a checkpoint).
public final class TorchModel {
    let handle: OpaquePointer
    /// Intra-op threads (libtorch's OpenMP pool and OpenBLAS) used by this model's calls.
    public private(set) var threads = 1
    /// The current optimizer (rebuilt, with fresh state, whenever it or the freezing changes).
    public private(set) var optimizer: OptimizerChoice = .ekyaDefault
    /// The current freezing.
    public private(set) var trainableLayers: TrainableLayers = .all

    /// Builds and initializes a model of `architecture`; the same seed gives the same weights.
    public init(_ architecture: ModelArchitecture, seed: UInt64) throws(MLError) {
        var result: OpaquePointer?
        try check(
            ekml_model_create(
                Int32(clamping: architecture.inputChannels),
                Int32(clamping: architecture.classCount),
                Int32(clamping: architecture.stemStride),
                Int32(clamping: architecture.baseWidth),
                Int32(clamping: architecture.stages),
                Int32(clamping: architecture.blocksPerStage),
                Int32(clamping: architecture.headHidden),
                seed,
                &result
            )
        )
        guard let result else { throw .torch("model creation returned no handle") }
        self.handle = result
        try placeOnSelectedDevice()
    }

    /// Moves a new model to ``TorchDevice/current`` (nothing to do on the CPU).
    private func placeOnSelectedDevice() throws(MLError) {
        let device = TorchDevice.current
        if device != .cpu { try setDevice(device.description) }
    }

    /// Loads a TorchScript module saved by `torch.jit.save`, or a checkpoint written by ``saveCheckpoint(to:)``.
    ///
    /// A checkpoint brings back its optimizer kind, hyper-parameters and state and its freezing; a plain
    /// TorchScript module starts with Ekya's SGD and every parameter trainable (fine-tuning works either way).
    /// - Throws: ``MLError/io(_:)`` when the file cannot be read, ``MLError/badFile(_:)`` when it is not a model.
    public init(contentsOf path: String) throws(MLError) {
        var result: OpaquePointer?
        try check(ekml_model_load(path, &result))
        guard let result else { throw .torch("model loading returned no handle") }
        self.handle = result
        var kind = EKML_OPTIMIZER_SGD
        var learningRate = 0.0
        var momentum = 0.0
        var weightDecay = 0.0
        try check(ekml_model_get_optimizer(result, &kind, &learningRate, &momentum, &weightDecay))
        optimizer =
            kind == EKML_OPTIMIZER_ADAM
            ? .adam(learningRate: learningRate, weightDecay: weightDecay)
            : .sgd(learningRate: learningRate, momentum: momentum, weightDecay: weightDecay)
        let prefixes = (0..<ekml_model_frozen_prefix_count(result)).compactMap { index in
            ekml_model_frozen_prefix(result, index).map { String(cString: $0) }
        }
        trainableLayers = prefixes.isEmpty ? .all : .frozenPrefixes(prefixes)
        try placeOnSelectedDevice()
    }

    deinit {
        ekml_model_destroy(handle)
    }

    // MARK: - Configuration

    /// Sets the intra-op thread count for this model's following calls.
    public func setThreads(_ threads: Int) throws(MLError) {
        try check(ekml_model_set_threads(handle, Int32(clamping: threads)))
        self.threads = threads
    }

    /// Moves the model to `device` ("cpu", "cuda", "cuda:1"); data follows batch by batch.
    public func setDevice(_ device: String) throws(MLError) {
        try check(ekml_model_set_device(handle, device))
    }

    /// Chooses the optimizer; its state starts fresh.
    public func setOptimizer(_ choice: OptimizerChoice) throws(MLError) {
        switch choice {
        case .sgd(let learningRate, let momentum, let weightDecay):
            try check(ekml_model_set_optimizer(handle, EKML_OPTIMIZER_SGD, learningRate, momentum, weightDecay))
        case .adam(let learningRate, let weightDecay):
            try check(ekml_model_set_optimizer(handle, EKML_OPTIMIZER_ADAM, learningRate, 0, weightDecay))
        }
        optimizer = choice
    }

    /// Freezes everything but `layers` for real.
    ///
    /// Frozen parameters get no gradients and no optimizer updates, and their BatchNorm statistics stay
    /// fixed. The optimizer is rebuilt over the trainable parameters (its state starts fresh).
    public func setTrainableLayers(_ layers: TrainableLayers) throws(MLError) {
        let prefixes = try frozenPrefixes(for: layers)
        let cStrings: [UnsafeMutablePointer<CChar>?] = prefixes.map { strdup($0) }
        defer { for pointer in cStrings { free(pointer) } }
        let constStrings = cStrings.map { $0.map { UnsafePointer($0) } }
        let status = ekml_model_set_frozen_prefixes(handle, constStrings, Int32(constStrings.count))
        try check(status)
        trainableLayers = layers
    }

    private func frozenPrefixes(for layers: TrainableLayers) throws(MLError) -> [String] {
        let topLevel = orderedUnique(parameterNames.compactMap { $0.split(separator: ".").first.map(String.init) })
        switch layers {
        case .all:
            return []
        case .headOnly:
            guard topLevel.contains("head") else {
                throw .invalidArgument("the model has no 'head' submodule; freeze by prefix instead")
            }
            return topLevel.filter { $0 != "head" }.map { $0 + "." }
        case .allButFirstStages(let count):
            guard count >= 0 else { throw .invalidArgument("cannot freeze \(count) stages") }
            guard count > 0 else { return [] }
            let stages = (1...count).map { "stage\($0)" }
            guard stages.allSatisfy(topLevel.contains) else {
                let present = topLevel.filter { $0.hasPrefix("stage") }
                throw .invalidArgument("the model has stages \(present), fewer than \(count)")
            }
            return (topLevel.contains("stem") ? ["stem."] : []) + stages.map { $0 + "." }
        case .frozenPrefixes(let prefixes):
            return prefixes
        }
    }

    // MARK: - Parameters

    /// Dotted names of all parameters, in a stable order.
    public var parameterNames: [String] {
        (0..<ekml_model_parameter_count(handle)).map { index in
            ekml_model_parameter_name(handle, index).map { String(cString: $0) } ?? ""
        }
    }

    /// Whether each parameter (in ``parameterNames`` order) is trainable.
    public var trainableMask: [Bool] {
        (0..<ekml_model_parameter_count(handle)).map { ekml_model_parameter_is_trainable(handle, $0) == 1 }
    }

    /// The values of parameter `index` (in ``parameterNames`` order) as floats.
    public func parameterValues(at index: Int) throws(MLError) -> [Float] {
        let count = Int(ekml_model_parameter_numel(handle, Int32(clamping: index)))
        guard count >= 0 else { throw .invalidArgument("no parameter at index \(index)") }
        var values = [Float](repeating: 0, count: count)
        let status = values.withUnsafeMutableBufferPointer {
            ekml_model_read_parameter(handle, Int32(clamping: index), $0.baseAddress, Int64(count))
        }
        try check(status)
        return values
    }

    /// Dotted names of all buffers (BatchNorm running means and variances), in a stable order.
    public var bufferNames: [String] {
        (0..<ekml_model_buffer_count(handle)).map { index in
            ekml_model_buffer_name(handle, index).map { String(cString: $0) } ?? ""
        }
    }

    /// The values of buffer `index` (in ``bufferNames`` order) as floats.
    public func bufferValues(at index: Int) throws(MLError) -> [Float] {
        var count: Int64 = 0
        try check(ekml_model_read_buffer(handle, Int32(clamping: index), nil, 0, &count))
        var values = [Float](repeating: 0, count: Int(count))
        let status = values.withUnsafeMutableBufferPointer {
            ekml_model_read_buffer(handle, Int32(clamping: index), $0.baseAddress, count, &count)
        }
        try check(status)
        return values
    }

    // MARK: - Training and inference

    /// One optimizer step on `indices` of `dataset` (resized to `resolution` unless nil); returns the loss.
    ///
    /// - Throws: ``MLError/nonFiniteLoss(_:)`` when the loss is NaN/inf; the weights, BatchNorm
    ///   statistics and optimizer state are then exactly as before the call.
    public func trainStep(
        on dataset: TorchDataset,
        indices: [Int],
        resolution: Int? = nil
    ) throws(MLError) -> Double {
        let indices64 = indices.map { Int64($0) }
        var loss = 0.0
        let status = indices64.withUnsafeBufferPointer {
            ekml_model_train_step(
                handle,
                dataset.handle,
                $0.baseAddress,
                Int32(clamping: $0.count),
                Int32(clamping: resolution ?? 0),
                &loss
            )
        }
        try check(status)
        return loss
    }

    /// Classifies the images `indices` of `dataset` in batches of `batchSize` at `resolution` (nil: native).
    public func predict(
        _ dataset: TorchDataset,
        indices: [Int],
        resolution: Int? = nil,
        batchSize: Int = 64
    ) throws(MLError) -> [ClassPrediction] {
        guard !indices.isEmpty else { return [] }
        let indices64 = indices.map { Int64($0) }
        var classes = [Int64](repeating: 0, count: indices.count)
        var confidences = [Float](repeating: 0, count: indices.count)
        let status = indices64.withUnsafeBufferPointer { indexBuffer in
            classes.withUnsafeMutableBufferPointer { classBuffer in
                confidences.withUnsafeMutableBufferPointer { confidenceBuffer in
                    ekml_model_predict_dataset(
                        handle,
                        dataset.handle,
                        indexBuffer.baseAddress,
                        Int64(indexBuffer.count),
                        Int32(clamping: resolution ?? 0),
                        Int32(clamping: batchSize),
                        classBuffer.baseAddress,
                        confidenceBuffer.baseAddress
                    )
                }
            }
        }
        try check(status)
        return zip(classes, confidences).map { ClassPrediction(classIndex: Int($0), confidence: Double($1)) }
    }

    /// Classifies raw images in batches of `batchSize` at `resolution` (nil: native size).
    public func predict(
        _ images: ImageBatch,
        resolution: Int? = nil,
        batchSize: Int = 64
    ) throws(MLError) -> [ClassPrediction] {
        var classes = [Int64](repeating: 0, count: images.count)
        var confidences = [Float](repeating: 0, count: images.count)
        let status = images.pixels.withUnsafeBufferPointer { pixelBuffer in
            classes.withUnsafeMutableBufferPointer { classBuffer in
                confidences.withUnsafeMutableBufferPointer { confidenceBuffer in
                    ekml_model_predict(
                        handle,
                        pixelBuffer.baseAddress,
                        Int64(images.count),
                        Int32(clamping: images.channels),
                        Int32(clamping: images.height),
                        Int32(clamping: images.width),
                        Int32(clamping: resolution ?? 0),
                        Int32(clamping: batchSize),
                        classBuffer.baseAddress,
                        confidenceBuffer.baseAddress
                    )
                }
            }
        }
        try check(status)
        return zip(classes, confidences).map { ClassPrediction(classIndex: Int($0), confidence: Double($1)) }
    }

    /// Fraction (0...1) of `indices` whose predicted class equals the dataset label.
    public func accuracy(
        on dataset: TorchDataset,
        indices: [Int],
        resolution: Int? = nil,
        batchSize: Int = 256
    ) throws(MLError) -> Double {
        guard !indices.isEmpty else { return 0 }
        let predictions = try predict(dataset, indices: indices, resolution: resolution, batchSize: batchSize)
        let correct = zip(indices, predictions).count { dataset.labels[$0] == $1.classIndex }
        return Double(correct) / Double(indices.count)
    }

    // MARK: - Snapshots and files

    /// Copies all parameters and buffers in memory, such as the best-validation weights.
    public func snapshot() throws(MLError) -> TorchSnapshot {
        var result: OpaquePointer?
        try check(ekml_snapshot_capture(handle, &result))
        guard let result else { throw .torch("snapshot returned no handle") }
        return TorchSnapshot(handle: result)
    }

    /// Restores the weights and buffers of a snapshot of this model.
    public func restore(_ snapshot: TorchSnapshot) throws(MLError) {
        try check(ekml_snapshot_restore(handle, snapshot.handle))
    }

    /// Writes a checkpoint atomically (temporary file, then rename).
    ///
    /// It holds the TorchScript module, the optimizer kind, hyper-parameters and state, and the
    /// freezing. Python's `torch.jit.load` also reads it.
    public func saveCheckpoint(to path: String) throws(MLError) {
        try check(ekml_model_save_checkpoint(handle, path))
    }

    /// Writes the model as a plain TorchScript module (eval mode, no optimizer state) atomically.
    public func exportTorchScript(to path: String) throws(MLError) {
        try check(ekml_model_export_torchscript(handle, path))
    }
}

/// Saved parameter and buffer values of one model.
public final class TorchSnapshot {
    let handle: OpaquePointer

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        ekml_snapshot_destroy(handle)
    }
}

/// Facts about the linked libtorch.
public enum LibTorch {
    /// The libtorch version the shim was compiled against.
    public static var version: String { String(cString: ekml_torch_version()) }
    /// Whether libtorch sees a CUDA device (always false with Debian's CPU build).
    public static var isCUDAAvailable: Bool { ekml_cuda_is_available() != 0 }
    /// Waits for the CUDA kernels queued so far (they run asynchronously); nothing without CUDA.
    public static func synchronizeCUDA() { ekml_cuda_synchronize() }
}

private func orderedUnique(_ values: [String]) -> [String] {
    var seen: Set<String> = []
    return values.filter { seen.insert($0).inserted }
}
