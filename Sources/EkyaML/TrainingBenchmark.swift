#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Images per wall-clock second and per CPU-second (all threads of the process) of one timed run.
public struct Throughput: Sendable, Hashable {
    public var imagesPerSecond: Double
    public var imagesPerCPUSecond: Double

    public init(imagesPerSecond: Double, imagesPerCPUSecond: Double) {
        self.imagesPerSecond = imagesPerSecond
        self.imagesPerCPUSecond = imagesPerCPUSecond
    }
}

/// Throughput of training steps and batched inference through this backend, for `ekya bench training`.
///
/// Uses the same synthetic images as `scripts/bench_training.py` (a multiplicative hash of the element
/// index), so both sides train the same model on the same data held in memory.
public struct TrainingBenchmark {
    public let architecture: ModelArchitecture
    public let imageSize: Int
    public let batchSize: Int
    public let threads: Int
    /// Training steps (and inference batches) per timed run.
    public let stepsPerRun: Int

    private let model: TorchModel
    private let dataset: TorchDataset

    /// Builds the model (SGD, lr 0.001, momentum 0.9) and the in-memory data, and warms both paths up.
    public init(
        architecture: ModelArchitecture,
        imageSize: Int,
        batchSize: Int,
        threads: Int,
        stepsPerRun: Int,
        warmupSteps: Int = 3
    ) throws(MLError) {
        guard batchSize >= 2, stepsPerRun >= 1, imageSize >= 8 else {
            throw .invalidArgument("benchmark needs batch ≥ 2, steps ≥ 1 and images ≥ 8 px")
        }
        self.architecture = architecture
        self.imageSize = imageSize
        self.batchSize = batchSize
        self.threads = threads
        self.stepsPerRun = stepsPerRun
        let count = batchSize * stepsPerRun
        let elements = count * architecture.inputChannels * imageSize * imageSize
        let pixels = (0..<elements).map { k in
            Float(Double((UInt64(k) &* 2_654_435_761) % 4_294_967_296) / 4_294_967_296)
        }
        dataset = try TorchDataset(
            pixels: pixels,
            labels: (0..<count).map { $0 % architecture.classCount },
            channels: architecture.inputChannels,
            height: imageSize,
            width: imageSize
        )
        model = try TorchModel(architecture, seed: 0)
        try model.setThreads(threads)
        try model.setOptimizer(.ekyaDefault)
        for step in 0..<warmupSteps {
            _ = try model.trainStep(on: dataset, indices: batch(step % stepsPerRun))
            _ = try model.predict(dataset, indices: batch(step % stepsPerRun), batchSize: batchSize)
        }
    }

    private func batch(_ index: Int) -> [Int] {
        Array((index * batchSize)..<((index + 1) * batchSize))
    }

    /// Throughput of one timed run of ``stepsPerRun`` training steps.
    public func measureTraining() throws(MLError) -> Throughput {
        try timed { () throws(MLError) in
            for step in 0..<stepsPerRun {
                _ = try model.trainStep(on: dataset, indices: batch(step))
            }
        }
    }

    /// Throughput of one timed run of ``stepsPerRun`` inference batches.
    public func measureInference() throws(MLError) -> Throughput {
        try timed { () throws(MLError) in
            for step in 0..<stepsPerRun {
                _ = try model.predict(dataset, indices: batch(step), batchSize: batchSize)
            }
        }
    }

    private func timed(_ body: () throws(MLError) -> Void) throws(MLError) -> Throughput {
        let clock = ContinuousClock()
        let start = clock.now
        let startCPU = processCPUSeconds()
        try body()
        let cpu = processCPUSeconds() - startCPU
        let elapsed = clock.now - start
        let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let images = Double(stepsPerRun * batchSize)
        return Throughput(imagesPerSecond: images / wall, imagesPerCPUSecond: cpu > 0 ? images / cpu : 0)
    }

    private func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
