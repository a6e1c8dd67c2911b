import EkyaCore
import EkyaData
import EkyaFailPoints
import EkyaML

/// A stream's inference job: classifies the newest arrived frame whenever it gets device time.
///
/// Frames that arrive while the job is busy (or starved of share) are dropped and the last result is
/// reused for them (sample-and-hold), which is how accuracy falls at a low share. The model can be
/// swapped between two steps; inference never pauses.
final class InferenceJob: ExecutorJob {
    let id: String
    private(set) var model: TorchModel
    let frames: CropBatch
    /// Arrival time of each frame in seconds since the window started.
    let arrivals: [Double]
    /// Charges each step's compute in device-seconds.
    let meter: ComputeMeter
    let resolution: Int?
    private(set) var served: [Int?]
    private(set) var lastProcessed = -1
    private(set) var deviceTime = 0.0
    /// Frames classified so far.
    private(set) var processed = 0

    init(id: String, model: TorchModel, frames: CropBatch, windowStart: Duration, meter: ComputeMeter, resolution: Int?)
    {
        self.id = id
        self.model = model
        self.frames = frames
        self.arrivals = frames.timestamps.map { ($0 - windowStart).inSeconds }
        self.meter = meter
        self.resolution = resolution
        self.served = [Int?](repeating: nil, count: frames.count)
    }

    /// Index of the newest frame that has arrived by `time`, or −1.
    func newestArrived(at time: Double) -> Int {
        var low = 0
        var high = arrivals.count
        while low < high {
            let middle = (low + high) / 2
            if arrivals[middle] <= time { low = middle + 1 } else { high = middle }
        }
        return low - 1
    }

    /// Frames that may queue before older ones are dropped (about one scheduling tick's worth).
    var maximumBacklog = 4

    /// The backlog for a stream of `cropsPerSecond` crops under an executor of `tick` seconds.
    ///
    /// A frame may wait about one tick. Which crops are inference frames is drawn at random, so one tick
    /// can bring all of its crops, not only their average inference fraction; with a whole tick's crops, a
    /// job that keeps up with its frame rate never drops a frame to an arrival burst (sized by the average,
    /// 2–3 % of the frames were dropped at any share, which the window model does not predict).
    static func backlog(cropsPerSecond: Double, tick: Double) -> Int {
        Int((cropsPerSecond * tick).rounded(.up)) + 1
    }

    /// Frames that arrived by `time` without a result of their own (the previous one is shown for them):
    /// dropped, or still waiting in the backlog.
    func droppedFrames(at time: Double) -> Int {
        let newest = newestArrived(at: time)
        return newest < 0 ? 0 : served[0...newest].filter { $0 == nil }.count
    }

    func hasWork(at time: Double) -> Bool { newestArrived(at: time) > lastProcessed }

    /// The next frame to classify: the oldest unprocessed one, unless the backlog is too long, in which
    /// case older frames are dropped (their results will be the previous one's).
    func nextFrame(at time: Double) -> Int {
        max(lastProcessed + 1, newestArrived(at: time) - maximumBacklog + 1)
    }

    func step(at time: Double) throws -> Double {
        let index = nextFrame(at: time)
        guard
            let batch = ImageBatch(
                count: 1,
                channels: 1,
                height: CropBatch.side,
                width: CropBatch.side,
                pixels: frames.crop(index)
            )
        else { throw MLError.invalidArgument("frame \(index) has the wrong size") }
        let (predictions, seconds) = try meter.charge(ComputeWork(inferredImages: 1)) {
            try model.predict(batch, resolution: resolution, batchSize: 1)
        }
        served[index] = predictions.first?.classIndex
        lastProcessed = index
        processed += 1
        deviceTime += seconds
        return seconds
    }

    /// Replaces the serving model; the next step uses it.
    func swap(to newModel: TorchModel) {
        model = newModel
    }

    /// Per-frame correctness with sample-and-hold: a dropped frame shows the previous result.
    func correctness(carryingIn previous: Int?) -> (correct: [Bool], last: Int?) {
        var current = previous
        var correct: [Bool] = []
        correct.reserveCapacity(frames.count)
        for index in 0..<frames.count {
            if let label = served[index] { current = label }
            correct.append(current == frames.labels[index])
        }
        return (correct, current)
    }
}

/// A retraining job: fine-tunes a copy of the serving model, one mini-batch per step.
final class RetrainingJob: ExecutorJob {
    let id: String
    let stream: Int
    let option: Int
    let configuration: RetrainingConfiguration
    let job: TrainingJob
    let meter: ComputeMeter
    private(set) var deviceTime = 0.0
    /// Why the job failed (NaN loss, libtorch error); inference keeps the old model.
    private(set) var failure: String?

    init(
        id: String,
        stream: Int,
        option: Int,
        configuration: RetrainingConfiguration,
        job: TrainingJob,
        meter: ComputeMeter
    ) {
        self.id = id
        self.stream = stream
        self.option = option
        self.configuration = configuration
        self.job = job
        self.meter = meter
    }

    func hasWork(at time: Double) -> Bool { failure == nil && !job.isFinished }

    func step(at time: Double) throws -> Double {
        FailPoints.hit(.trainingStep)
        do {
            // Compute time of the step, including the validation that ends an epoch.
            let (_, seconds) = try meter.charge({ try job.train(steps: 1) }, work: { .training($0, of: job) })
            deviceTime += seconds
            return seconds
        } catch {
            // A failed retraining job must not take inference down with it.
            failure = String(describing: error)
            return 0
        }
    }

    /// Fraction of the job's steps done.
    var progress: Double { job.totalSteps > 0 ? Double(job.stepsRun) / Double(job.totalSteps) : 1 }
}

/// A micro-profiling run in the background: the run of one configuration group, one mini-batch per step,
/// under a share like any job, recording what the profiler needs (per-epoch validation, step compute).
final class ProfilingJob: ExecutorJob {
    let id: String
    let stream: Int
    /// The configurations whose estimates this run gives.
    let group: [Int]
    /// The fraction of the labelled data it trains on.
    let fraction: Double
    let job: TrainingJob
    let meter: ComputeMeter
    private(set) var observed: [(epochs: Double, accuracy: Double)] = []
    /// Device-seconds of each step that did not end an epoch (those also validate).
    private(set) var stepSeconds: [Double] = []
    /// Device-seconds of the whole run so far, validation included.
    private(set) var deviceTime = 0.0
    /// Why the run failed (NaN loss, libtorch error); its configurations are not offered this window.
    private(set) var failure: String?

    init(id: String, stream: Int, group: [Int], fraction: Double, job: TrainingJob, meter: ComputeMeter) {
        self.id = id
        self.stream = stream
        self.group = group
        self.fraction = fraction
        self.job = job
        self.meter = meter
    }

    func hasWork(at time: Double) -> Bool { failure == nil && !job.isFinished }

    func step(at time: Double) throws -> Double {
        do {
            let (reports, seconds) = try meter.charge({ try job.train(steps: 1) }, work: { .training($0, of: job) })
            var validated = false
            for report in reports {
                guard let accuracy = report.validationAccuracy else { continue }
                observed.append((Double(report.epoch + 1), accuracy))
                validated = true
            }
            if !validated { stepSeconds.append(seconds) }
            deviceTime += seconds
            return seconds
        } catch {
            failure = String(describing: error)
            return 0
        }
    }
}
