import EkyaCore
import EkyaML
import Testing

@Suite(.timeLimit(.minutes(10)))
struct InferenceTests {
    @Test(arguments: [nil, 20, 32, 64])
    func classifiesBatchesAtAnyResolution(resolution: Int?) throws {
        let model = try TorchModel(.small(inputChannels: 3, classCount: 7), seed: 21)
        let batch = try #require(
            ImageBatch(count: 10, channels: 3, height: 28, width: 28, pixels: Probe.pixels(count: 10 * 3 * 28 * 28))
        )
        let predictions = try model.predict(batch, resolution: resolution, batchSize: 4)
        #expect(predictions.count == 10)
        #expect(predictions.allSatisfy { (0..<7).contains($0.classIndex) && $0.confidence > 1.0 / 7 - 1e-6 })
        #expect(predictions.allSatisfy { $0.confidence <= 1 })
    }

    @Test func batchSizeDoesNotChangeAnswers() throws {
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 22)
        let dataset = try Probe.dataset(count: 20)
        let one = try model.predict(dataset, indices: Array(0..<20), batchSize: 1)
        let many = try model.predict(dataset, indices: Array(0..<20), batchSize: 20)
        #expect(one.map(\.classIndex) == many.map(\.classIndex))
        for (a, b) in zip(one, many) {
            #expect(abs(a.confidence - b.confidence) < 1e-5)
        }
    }

    @Test func actorsImplementTheCorePorts() async throws {
        // Given a trainer and a classifier behind the core's ports
        let dataset = try Probe.dataset(count: 40)
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 23)
        let job = try TrainingJob(model: model, dataset: dataset, plan: TrainingPlan(epochs: 1, batchSize: 10))
        let trainer: any ModelTrainer = LibTorchTrainer(job: job)
        // When the trainer runs to the end two steps at a time
        var steps = 0
        while !(await trainer.isFinished) {
            try await trainer.setThreads(1)
            steps += try await trainer.train(steps: 2).count
        }
        let validation = try await trainer.finish()
        // Then it ran every step and the classifier serves predictions
        #expect(steps == 4)
        #expect(validation != nil)
        let classifier: any InferenceEngine = LibTorchClassifier(
            model: try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 24)
        )
        let batch = try #require(
            ImageBatch(count: 3, channels: 1, height: 28, width: 28, pixels: Probe.pixels(count: 3 * 28 * 28))
        )
        #expect(try await classifier.classify(batch, resolution: 32).count == 3)
    }

    @Test func teacherIsABiggerMemberOfTheFamily() throws {
        let student = try TorchModel(.small(inputChannels: 3, classCount: 10), seed: 1)
        let teacher = try TorchModel(.teacher(inputChannels: 3, classCount: 10), seed: 1)
        func size(_ model: TorchModel) throws -> Int {
            try model.parameterNames.indices.reduce(0) { $0 + (try model.parameterValues(at: $1)).count }
        }
        #expect(try size(teacher) > 4 * size(student))
        let batch = try #require(
            ImageBatch(count: 2, channels: 3, height: 48, width: 48, pixels: Probe.pixels(count: 2 * 3 * 48 * 48))
        )
        #expect(try teacher.predict(batch).count == 2)
    }
}

@Suite(.timeLimit(.minutes(10)))
struct ConcurrencyTests {
    @Test func separateModelsTrainConcurrentlyAndDeterministically() async throws {
        // Given the same job twice, each confined to its own actor, with different thread counts
        func makeTrainer(threads: Int) throws -> LibTorchTrainer {
            let dataset = try Probe.dataset(count: 64)
            let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 51)
            let plan = TrainingPlan(epochs: 2, batchSize: 16, validationFraction: 0, seed: 5, threads: threads)
            return LibTorchTrainer(job: try TrainingJob(model: model, dataset: dataset, plan: plan))
        }
        let first = try makeTrainer(threads: 1)
        let second = try makeTrainer(threads: 2)
        // When both run at the same time, a few steps per call
        async let firstLosses = Self.run(first)
        async let secondLosses = Self.run(second)
        let (a, b) = try await (firstLosses, secondLosses)
        // Then both finished every step with finite losses that agree closely
        #expect(a.count == 8 && b.count == 8)
        for (x, y) in zip(a, b) {
            #expect(x.isFinite && abs(x - y) < 1e-3)
        }
        // And the 1-thread job is bitwise what it is when run alone
        #expect(try await Self.run(makeTrainer(threads: 1)) == a)
    }

    private static func run(_ trainer: LibTorchTrainer) async throws -> [Double] {
        var losses: [Double] = []
        while !(await trainer.isFinished) {
            losses += try await trainer.train(steps: 3).map(\.loss)
        }
        return losses
    }
}
