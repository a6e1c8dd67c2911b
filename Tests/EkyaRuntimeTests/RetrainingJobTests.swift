import EkyaCore
import EkyaML
import Testing

@testable import EkyaRuntime

@Suite(.timeLimit(.minutes(10))) struct RetrainingJobTests {
    @Test func aFailingRetrainingJobStopsWithoutThrowing() throws {
        // Given a retraining job whose data make the loss non-finite
        let count = 64
        let pixels = [Float](repeating: .nan, count: count * 28 * 28)
        let dataset = try TorchDataset(
            pixels: pixels,
            labels: (0..<count).map { $0 % 10 },
            channels: 1,
            height: 28,
            width: 28
        )
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 1)
        let before = try model.parameterValues(at: 0)
        let configuration = RetrainingConfiguration(name: "all-2", epochs: 2, layers: .all)
        let job = RetrainingJob(
            id: "train-x",
            stream: 0,
            option: 0,
            configuration: configuration,
            job: try TrainingJob(
                model: model,
                dataset: dataset,
                plan: TrainingPlan(epochs: 2, batchSize: 16, validationFraction: 0, seed: 1)
            ),
            meter: ComputeMeter(slowdown: 1)
        )
        // When the executor runs it
        let executor = ShareExecutor(tick: 0.05)
        executor.add(job, share: 0.5)
        try executor.run(until: 1)
        // Then it failed cleanly: no exception escaped, no more work, the weights are untouched
        #expect(job.failure != nil)
        #expect(job.failure?.contains("loss") == true, "\(job.failure ?? "")")
        #expect(!job.hasWork(at: 1))
        #expect(try model.parameterValues(at: 0) == before)
    }
}
