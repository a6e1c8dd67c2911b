import EkyaCore
import EkyaData
import EkyaML
import Testing

@testable import EkyaRuntime

@Suite(.timeLimit(.minutes(5))) struct InferenceJobTests {
    /// 20 s of a 20 crops/s stream whose crops are inference frames with probability 1/2, as `CameraStream`
    /// draws them: some scheduling ticks bring all of their crops as frames.
    static func frames(seed: UInt64) -> CropBatch {
        var generator = SplitMix64(seed: seed)
        var batch = CropBatch()
        let pixels = [Float](repeating: 0.5, count: CropBatch.pixelsPerCrop)
        for position in 0..<400 where generator.next() % 2 == 0 {
            batch.append(
                pixels: pixels,
                label: position % 10,
                timestamp: .milliseconds(50 * position),
                sourceID: position
            )
        }
        return batch
    }

    static func dropped(model: TorchModel, frames: CropBatch, share: Double, backlog: Int) throws -> Int {
        let job = InferenceJob(
            id: "infer",
            model: model,
            frames: frames,
            windowStart: .zero,
            // Work-modelled costs: the same steps on any machine under any load.
            meter: ComputeMeter(accounting: .modelled(.referenceCore), slowdown: 1),
            resolution: nil
        )
        job.maximumBacklog = backlog
        let executor = ShareExecutor(tick: 0.25)
        executor.add(job, share: share)
        try executor.run(until: 20.5)
        // Every frame has arrived (the last at 19.95 s) and, for a job that keeps up, been classified.
        return job.droppedFrames(at: 20.5)
    }

    @Test func aJobThatKeepsUpDropsNoFrameToAnArrivalBurstAndAStarvedOneDrops() throws {
        // Given a real model and a stream with random inference frames (10 per second on average)
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 1)
        let frames = Self.frames(seed: 3)
        let backlog = InferenceJob.backlog(cropsPerSecond: 20, tick: 0.25)
        #expect(backlog == 6)
        // When the job has a whole device, then no frame is dropped,
        #expect(try Self.dropped(model: model, frames: frames, share: 1, backlog: backlog) == 0)
        // while a backlog sized by the average frame rate drops frames at bursts even with a whole device,
        let average = Int((20 * 0.5 * 0.25).rounded(.up)) + 1
        #expect(try Self.dropped(model: model, frames: frames, share: 1, backlog: average) > 0)
        // and a starved job still drops most of its frames (that is how accuracy falls at a low share).
        #expect(try Self.dropped(model: model, frames: frames, share: 0.0005, backlog: backlog) > frames.count / 2)
    }
}
