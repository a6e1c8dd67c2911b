import EkyaCore
import EkyaML
import Testing

@Suite(.timeLimit(.minutes(1)))
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
