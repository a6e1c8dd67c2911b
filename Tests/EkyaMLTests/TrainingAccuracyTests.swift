import EkyaCore
import EkyaML
import Foundation
import Testing

/// Training from scratch on real data (Debian's `dataset-fashion-mnist`, 10 classes).
///
/// The default test is sized for the test suite (≈ 30–60 s on 2 cores); the long one, enabled with
/// `EKYA_ML_LONG_TESTS=1`, checks the 85 % bar with more data and epochs.
@Suite(.timeLimit(.minutes(10)))
struct TrainingAccuracyTests {
    @Test(.enabled(if: FashionMNIST.isAvailable, "needs Debian's dataset-fashion-mnist"))
    func smallModelLearnsFashionMNIST() throws {
        // Given 6 000 training images (10 % held out for validation), 3 epochs, Adam
        // When the job runs step by step; Then ≥ 80 % of 1 000 unseen test images are right
        try trainAndCheck(trainingImages: 6_000, epochs: 3, bar: 0.80)
    }

    @Test(
        .enabled(if: FashionMNIST.isAvailable, "needs Debian's dataset-fashion-mnist"),
        .enabled(if: ProcessInfo.processInfo.environment["EKYA_ML_LONG_TESTS"] == "1", "set EKYA_ML_LONG_TESTS=1")
    )
    func smallModelReaches85PercentWithMoreData() throws {
        try trainAndCheck(trainingImages: 30_000, epochs: 3, bar: 0.85)
    }

    private func trainAndCheck(trainingImages: Int, epochs: Int, bar: Double) throws {
        // Given Fashion-MNIST training images and 1 000 test images
        let train = try FashionMNIST.load(split: "train", count: trainingImages)
        let test = try FashionMNIST.load(split: "t10k", count: 1_000)
        let trainSet = try TorchDataset(pixels: train.pixels, labels: train.labels, channels: 1, height: 28, width: 28)
        let testSet = try TorchDataset(pixels: test.pixels, labels: test.labels, channels: 1, height: 28, width: 28)
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 1)
        let plan = TrainingPlan(
            epochs: epochs,
            batchSize: 64,
            validationFraction: 0.1,
            optimizer: .adam(learningRate: 0.003),
            seed: 1,
            threads: 1
        )
        let job = try TrainingJob(model: model, dataset: trainSet, plan: plan)
        // When the job runs step by step to the end (20 steps per call) and restores its best epoch
        var reports: [TrainingStepReport] = []
        let clock = ContinuousClock()
        let start = clock.now
        while !job.isFinished {
            reports += try job.train(steps: 20)
        }
        let validation = try job.finish()
        let elapsed = clock.now - start
        // Then it reaches the stated accuracy on unseen test images
        let accuracy = try model.accuracy(on: testSet, indices: Array(0..<testSet.count))
        let stepTimes = reports.map { Double($0.duration.components.attoseconds) / 1e18 + Double($0.duration.components.seconds) }
        print(
            "Fashion-MNIST \(trainingImages)×\(epochs): test accuracy \(accuracy), best validation \(validation ?? -1), "
                + "\(reports.count) steps in \(elapsed), median step \(stepTimes.sorted()[stepTimes.count / 2]) s"
        )
        #expect(reports.count == job.totalSteps)
        #expect(reports.allSatisfy { $0.duration > .zero && $0.loss.isFinite && $0.images >= 2 })
        #expect(reports.compactMap(\.validationAccuracy).count == plan.epochs)
        #expect(accuracy >= bar)
    }
}
