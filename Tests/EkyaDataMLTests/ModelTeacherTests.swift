import EkyaData
import EkyaDataML
import EkyaML
import Foundation
import Testing

@Suite(
    .enabled(if: FashionMNIST.isAvailable(), "needs the Debian package dataset-fashion-mnist"),
    .timeLimit(.minutes(10))
)
struct ModelTeacherTests {
    static let pool = try? FashionMNIST.load(.test)

    /// A tiny teacher so the test stays fast; the real one uses the default settings.
    let settings = TeacherSettings(
        architecture: .small(inputChannels: 1, classCount: 10, headHidden: 16),
        trainingImages: 600,
        epochs: 3,
        batchSize: 16,
        threads: 1
    )

    @Test func trainsOnceCachesAndLabelsWithItsPredictions() async throws {
        // Given an empty cache folder
        let pool = try #require(Self.pool)
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("ekya-teacher-\(UUID().uuidString)")
        // When the teacher is created twice
        var messages: [String] = []
        let first = try ModelTeacher.loadOrTrain(trainingPool: pool, cacheDirectory: cache.path, settings: settings) {
            messages.append($0)
        }
        let second = try ModelTeacher.loadOrTrain(trainingPool: pool, cacheDirectory: cache.path, settings: settings) {
            messages.append($0)
        }
        // Then it trained once, then loaded the cached checkpoint, and both label alike
        #expect(messages.contains { $0.hasPrefix("training teacher") })
        #expect(messages.last?.hasPrefix("loading cached teacher") == true)
        #expect(FileManager.default.fileExists(atPath: cache.appendingPathComponent(settings.cacheFileName).path))
        let stream = try CameraStream(
            pool: pool,
            scenario: .stable,
            windowCount: 1,
            configuration: try StreamConfiguration(cropsPerSecond: 1, windowDuration: .seconds(100), seed: 3)
        )
        let crops = stream.window(0).train
        let labeling = try await first.label(crops)
        #expect(labeling.labels.count == crops.count)
        #expect(try await second.label(crops).labels == labeling.labels)
        // Its labels are predictions: better than chance (10 %), not a copy of the truth
        let accuracy = labeling.accuracy(against: crops.labels)
        #expect(accuracy > 0.15 && accuracy < 1, "teacher accuracy \(accuracy)")
        #expect(labeling.computeTime > .zero)
        #expect(try #require(await first.costPerFrame) > .zero)
    }

    @Test func windowModelsLearnTheirWindow() throws {
        let pool = try #require(Self.pool)
        let stream = try CameraStream(
            pool: pool,
            scenario: .stable,
            windowCount: 2,
            configuration: try StreamConfiguration(cropsPerSecond: 6, windowDuration: .seconds(100), seed: 5)
        )
        var settings = WindowTrainingSettings(epochs: 4, batchSize: 16, threads: 1)
        settings.architecture = .small(inputChannels: 1, classCount: 10, headHidden: 16)
        let rows = try DriftEvaluation.evaluate(stream, settings: settings)
        #expect(rows.map(\.window) == [0, 1])
        #expect(rows[0].stale == rows[0].retrained)
        #expect(rows.allSatisfy { $0.stale > 0.15 && $0.retrained > 0.15 }, "\(rows)")
    }
}
