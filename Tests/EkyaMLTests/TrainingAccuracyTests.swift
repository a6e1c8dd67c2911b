import EkyaCore
import EkyaML
import Testing

@Suite(.timeLimit(.minutes(3)))
struct TrainingAccuracyTests {
    @Test(.enabled(if: FashionMNIST.isAvailable, "needs Debian's dataset-fashion-mnist"))
    func smallModelLearnsFashionMNIST() throws {
        // Given 6 000 Fashion-MNIST training images and 1 000 test images (10 classes)
        let train = try FashionMNIST.load(split: "train", count: 6_000)
        let test = try FashionMNIST.load(split: "t10k", count: 1_000)
        let trainSet = try TorchDataset(pixels: train.pixels, labels: train.labels, channels: 1, height: 28, width: 28)
        let testSet = try TorchDataset(pixels: test.pixels, labels: test.labels, channels: 1, height: 28, width: 28)
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 1)
        let plan = TrainingPlan(
            epochs: 3,
            batchSize: 64,
            validationFraction: 0.1,
            optimizer: .adam(learningRate: 0.003),
            seed: 1,
            threads: 2
        )
        let job = try TrainingJob(model: model, dataset: trainSet, plan: plan)
        // When the job runs step by step to the end
        var reports: [TrainingStepReport] = []
        while !job.isFinished {
            reports += try job.train(steps: 20)
        }
        let validation = try job.finish()
        // Then it reaches the stated accuracy on unseen test images
        let accuracy = try model.accuracy(on: testSet, indices: Array(0..<testSet.count))
        print("Fashion-MNIST: test accuracy \(accuracy), best validation \(validation ?? -1), \(reports.count) steps")
        #expect(reports.count == job.totalSteps)
        #expect(reports.allSatisfy { $0.duration > .zero && $0.loss.isFinite && $0.images >= 2 })
        #expect(reports.compactMap(\.validationAccuracy).count == plan.epochs)
        #expect(accuracy >= 0.85)
    }
}
