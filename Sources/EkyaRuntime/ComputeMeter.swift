import EkyaCore
import EkyaData
import EkyaML

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the live runtime charges compute to the modelled device.
public enum ComputeAccounting: Sendable, Equatable {
    /// The CPU time of the thread that ran the work. Every runtime model computes with one intra-op thread
    /// on the calling thread (`apply_threads` in the shim), so this is the work's own compute: other
    /// processes loading the machine, and other threads of this process (HTTP handlers, tests running in
    /// parallel), do not inflate it. On a CUDA device (``TorchDevice/current``) kernels run asynchronously and
    /// cost the calling thread little CPU: there the work is timed on the monotonic clock up to a
    /// synchronisation of the device.
    case measured
    /// Fixed costs per unit of work: the same run charges the same device time on any machine under any
    /// load, so a run's schedule depends only on its seed and on what the models learn.
    case modelled(WorkCosts)
}

/// Seconds of this machine's compute per unit of work, for ``ComputeAccounting/modelled(_:)``.
public struct WorkCosts: Sendable, Equatable {
    /// One inference frame classified by an edge model (batch of one).
    public var inferencePerImage: Double
    /// One image of a validation batch.
    public var validationPerImage: Double
    /// One image of a training step that updates only the head.
    public var headTrainingPerImage: Double
    /// One image of a training step that updates more than the head.
    public var fullTrainingPerImage: Double
    /// One image labelled by a model teacher.
    public var teacherPerImage: Double

    public init(
        inferencePerImage: Double,
        validationPerImage: Double,
        headTrainingPerImage: Double,
        fullTrainingPerImage: Double,
        teacherPerImage: Double
    ) {
        self.inferencePerImage = inferencePerImage
        self.validationPerImage = validationPerImage
        self.headTrainingPerImage = headTrainingPerImage
        self.fullTrainingPerImage = fullTrainingPerImage
        self.teacherPerImage = teacherPerImage
    }

    /// Costs of the default edge model (28×28 crops, mini-batches of 32) as measured on one core of the
    /// project's 2-core x86 reference machine.
    public static let referenceCore = WorkCosts(
        inferencePerImage: 0.000_35,
        validationPerImage: 0.000_1,
        headTrainingPerImage: 0.000_1,
        fullTrainingPerImage: 0.000_31,
        teacherPerImage: 0.001
    )
}

/// What a piece of runtime compute did, for costs charged by work.
public struct ComputeWork: Sendable, Equatable {
    /// Images classified one by one (inference frames).
    public var inferredImages = 0
    /// Images classified in batches (validation at the end of an epoch).
    public var validatedImages = 0
    /// Images of training steps.
    public var trainedImages = 0
    /// Whether those steps update only the head.
    public var headOnly = true
    /// Images labelled by a model teacher.
    public var teacherImages = 0

    public init(
        inferredImages: Int = 0,
        validatedImages: Int = 0,
        trainedImages: Int = 0,
        headOnly: Bool = true,
        teacherImages: Int = 0
    ) {
        self.inferredImages = inferredImages
        self.validatedImages = validatedImages
        self.trainedImages = trainedImages
        self.headOnly = headOnly
        self.teacherImages = teacherImages
    }

    /// Work that costs nothing worth charging (bookkeeping such as restoring a snapshot).
    public static let none = ComputeWork()

    /// What training steps did: their mini-batches, and the validation of every epoch they ended.
    static func training(_ reports: [TrainingStepReport], of job: TrainingJob) -> ComputeWork {
        let epochsEnded = reports.filter { $0.validationAccuracy != nil }.count
        return ComputeWork(
            validatedImages: epochsEnded * job.validationIndices.count,
            trainedImages: reports.map(\.images).reduce(0, +),
            headOnly: job.plan.trainableLayers == .headOnly
        )
    }

    /// Seconds this work costs under `costs`.
    func seconds(under costs: WorkCosts) -> Double {
        Double(inferredImages) * costs.inferencePerImage + Double(validatedImages) * costs.validationPerImage
            + Double(trainedImages) * (headOnly ? costs.headTrainingPerImage : costs.fullTrainingPerImage)
            + Double(teacherImages) * costs.teacherPerImage
    }
}

/// Charges the runtime's compute in device-seconds: seconds of this machine (measured or modelled) × the
/// slowdown of the modelled device.
public struct ComputeMeter: Sendable {
    public var accounting: ComputeAccounting
    /// Device-seconds per second of this machine.
    public var slowdown: Double

    public init(accounting: ComputeAccounting = .measured, slowdown: Double) {
        self.accounting = accounting
        self.slowdown = slowdown
    }

    /// Runs `body` and returns its value with the device-seconds it costs; `work` says what it did.
    func charge<T>(_ body: () throws -> T, work: (T) -> ComputeWork) rethrows -> (value: T, deviceSeconds: Double) {
        switch accounting {
        case .measured:
            if case .cuda = TorchDevice.current {
                LibTorch.synchronizeCUDA()
                let start = ContinuousClock.now
                let value = try body()
                LibTorch.synchronizeCUDA()
                let elapsed = start.duration(to: .now)
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                return (value, max(0, seconds) * slowdown)
            }
            let start = threadComputeSeconds()
            let value = try body()
            return (value, max(0, threadComputeSeconds() - start) * slowdown)
        case .modelled(let costs):
            let value = try body()
            return (value, work(value).seconds(under: costs) * slowdown)
        }
    }

    /// Runs `body` and returns its value with the device-seconds it costs, for work known up front.
    func charge<T>(_ work: ComputeWork, _ body: () throws -> T) rethrows -> (value: T, deviceSeconds: Double) {
        try charge(body, work: { _ in work })
    }
}

/// CPU seconds the calling thread has used.
func threadComputeSeconds() -> Double {
    var time = timespec()
    guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0 else { return 0 }
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

extension ComputeMeter {
    /// Device-seconds per inference frame of `model`: the mean over up to 60 of `frames`, one at a time.
    ///
    /// The mean, not the median: occasional slow frames are what makes a stream fall behind.
    func frameCost(of model: TorchModel, on frames: CropBatch) throws -> Double {
        var samples: [Double] = []
        for index in 0..<min(60, frames.count) {
            guard
                let batch = ImageBatch(
                    count: 1,
                    channels: 1,
                    height: CropBatch.side,
                    width: CropBatch.side,
                    pixels: frames.crop(index)
                )
            else { continue }
            samples.append(try charge(ComputeWork(inferredImages: 1)) { try model.predict(batch, batchSize: 1) }.1)
        }
        return samples.isEmpty ? 0.001 * slowdown : samples.reduce(0, +) / Double(samples.count)
    }
}
