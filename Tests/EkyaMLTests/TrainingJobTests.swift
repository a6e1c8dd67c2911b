import EkyaCore
import EkyaML
import Testing

@Suite(.timeLimit(.minutes(10)))
struct TrainingJobTests {
    @Test func sameSeedGivesBitwiseIdenticalTraining() throws {
        // Given two models and jobs with the same seeds
        func run() throws -> ([[Float]], [Double]) {
            let dataset = try Probe.dataset(count: 96)
            let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 11)
            let plan = TrainingPlan(epochs: 1, batchSize: 16, dataFraction: 0.5, seed: 9)
            let job = try TrainingJob(model: model, dataset: dataset, plan: plan)
            let losses = try job.train(steps: 100).map(\.loss)
            return (try Probe.allParameters(model), losses)
        }
        // When both train
        let first = try run()
        let second = try run()
        // Then weights and losses are identical
        #expect(first.0 == second.0)
        #expect(first.1 == second.1)
    }

    @Test func runsInBoundedStepsWithEpochsFractionAndValidation() throws {
        // Given 100 images, 20 % validation, half of the rest used, batch 8, 2 epochs
        let dataset = try Probe.dataset(count: 100)
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 12)
        let plan = TrainingPlan(epochs: 2, batchSize: 8, dataFraction: 0.5, validationFraction: 0.2, seed: 1)
        let job = try TrainingJob(model: model, dataset: dataset, plan: plan)
        #expect(job.validationIndices.count == 20)
        #expect(job.trainingIndices.count == 40)
        #expect(Set(job.validationIndices).isDisjoint(with: job.trainingIndices))
        // When it runs three steps at a time
        var calls: [[TrainingStepReport]] = []
        while !job.isFinished {
            calls.append(try job.train(steps: 3))
        }
        // Then each call ran at most three steps; every epoch reported validation accuracy
        let reports = calls.flatMap { $0 }
        #expect(calls.allSatisfy { $0.count <= 3 })
        #expect(reports.count == 10)
        #expect(reports.map(\.step) == Array(0..<10))
        #expect(reports.compactMap(\.validationAccuracy).count == 2)
        #expect(reports.filter { $0.epoch == 1 }.count == 5)
        #expect(try job.train(steps: 3).isEmpty)
        // And finishing restores the best-validation weights
        let best = try #require(try job.finish())
        #expect(try model.accuracy(on: dataset, indices: job.validationIndices) == best)
    }

    @Test func aRotatingSubsetTrainsSuccessiveEpochsOnDisjointSlicesOfThePool() throws {
        // Given 100 images, 20 % validation and epochs on a quarter of the 80 others
        let dataset = try Probe.dataset(count: 100)
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 12)
        let rotating = TrainingPlan(
            epochs: 5,
            batchSize: 8,
            dataFraction: 0.25,
            validationFraction: 0.2,
            seed: 1,
            subset: .rotating
        )
        let job = try TrainingJob(model: model, dataset: dataset, plan: rotating)
        let fixed = try TrainingJob(
            model: model,
            dataset: dataset,
            plan: TrainingPlan(
                epochs: 5,
                batchSize: 8,
                dataFraction: 0.25,
                validationFraction: 0.2,
                seed: 1
            )
        )
        // Then four epochs see all 80 training images once, the fifth starts over, and steps are as many
        let epochs = (0..<5).map { job.images(inEpoch: $0) }
        #expect(epochs.allSatisfy { $0.count == 20 })
        #expect(Set(epochs[0..<4].joined()).count == 80)
        #expect(Set(epochs[0..<4].joined()).isDisjoint(with: job.validationIndices))
        #expect(epochs[4] == epochs[0])
        #expect(job.trainingIndices == epochs[0])
        #expect(job.totalSteps == fixed.totalSteps)
        // While a fixed subset trains every epoch on the same 20 images
        #expect((0..<5).allSatisfy { fixed.images(inEpoch: $0) == fixed.trainingIndices })
        #expect(fixed.validationIndices == job.validationIndices)
    }

    @Test func threadCountCanChangeBetweenSteps() throws {
        let dataset = try Probe.dataset(count: 32)
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 13)
        let job = try TrainingJob(model: model, dataset: dataset, plan: TrainingPlan(epochs: 1, batchSize: 8))
        _ = try job.train(steps: 1)
        try job.setThreads(2)
        _ = try job.train(steps: 1)
        #expect(model.threads == 2)
        #expect(throws: MLError.self) { try job.setThreads(0) }
    }

    @Test func nonFiniteLossStopsWithClearErrorAndKeepsWeights() throws {
        // Given a model and images containing NaN pixels
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 14)
        var pixels = Probe.pixels(count: 8 * 28 * 28)
        pixels[5] = .nan
        let dataset = try TorchDataset(pixels: pixels, labels: Array(0..<8), channels: 1, height: 28, width: 28)
        _ = try model.trainStep(on: dataset, indices: [1, 2, 3, 4, 5, 6, 7])
        let before = try Probe.allParameters(model)
        let predictions = try model.predict(dataset, indices: [1, 2, 3])
        // When a step sees the NaN image
        let error = #expect(throws: MLError.self) { try model.trainStep(on: dataset, indices: [0, 1, 2]) }
        // Then the error says so and the weights and BatchNorm statistics are untouched
        guard case .nonFiniteLoss(let message) = error else {
            Issue.record("expected nonFiniteLoss, got \(String(describing: error))")
            return
        }
        #expect(message.contains("nan"))
        #expect(error?.description.contains("previous weights") == true)
        #expect(try Probe.allParameters(model) == before)
        #expect(try model.predict(dataset, indices: [1, 2, 3]) == predictions)
    }

    @Test func badArgumentsThrowInsteadOfAborting() throws {
        let dataset = try Probe.dataset(count: 8)
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 15)
        #expect(throws: MLError.self) { try model.trainStep(on: dataset, indices: [0, 99]) }
        #expect(throws: MLError.self) { try model.trainStep(on: dataset, indices: []) }
        #expect(throws: MLError.self) { try TorchModel(.small(inputChannels: 0, classCount: 10), seed: 1) }
        #expect(throws: MLError.self) { try model.setOptimizer(.sgd(learningRate: -1)) }
        #expect(throws: MLError.self) { try model.setDevice("tpu:7") }
        // A label outside the classes is libtorch's own error, caught at the C boundary.
        let badLabels = try TorchDataset(
            pixels: Probe.pixels(count: 2 * 28 * 28),
            labels: [0, 42],
            channels: 1,
            height: 28,
            width: 28
        )
        let error = #expect(throws: MLError.self) { try model.trainStep(on: badLabels, indices: [0, 1]) }
        #expect(error?.description.contains("42") == true)
        // Wrong channel count: libtorch's convolution error.
        let rgb = try Probe.dataset(count: 2, channels: 3)
        #expect(throws: MLError.self) { try model.predict(rgb, indices: [0, 1]) }
    }

    @Test func cudaIsARuntimeChoiceThatFailsClearlyWithoutAGPU() throws {
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 16)
        try model.setDevice("cpu")
        if !LibTorch.isCUDAAvailable {
            let error = #expect(throws: MLError.self) { try model.setDevice("cuda:0") }
            #expect(error?.description.contains("CUDA") == true)
        }
    }
}

@Suite(.timeLimit(.minutes(10)))
struct TrainingBenchmarkTests {
    @Test func measuresPositiveThroughputForBothPaths() throws {
        let benchmark = try TrainingBenchmark(
            architecture: .small(inputChannels: 3, classCount: 10),
            imageSize: 32,
            batchSize: 8,
            threads: 1,
            stepsPerRun: 2,
            warmupSteps: 1
        )
        let training = try benchmark.measureTraining()
        let inference = try benchmark.measureInference()
        #expect(training.imagesPerSecond > 0 && training.imagesPerCPUSecond > 0)
        #expect(inference.imagesPerSecond > 0 && inference.imagesPerCPUSecond > 0)
        #expect(throws: MLError.self) {
            try TrainingBenchmark(
                architecture: .small(inputChannels: 3, classCount: 10),
                imageSize: 32,
                batchSize: 1,
                threads: 1,
                stepsPerRun: 1
            )
        }
    }
}
