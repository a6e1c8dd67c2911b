import EkyaData
import Testing

@Suite struct GroundTruthLabelerTests {
    func batch(count: Int) -> CropBatch {
        var batch = CropBatch()
        for index in 0..<count {
            batch.append(
                pixels: [Float](repeating: 0, count: 784),
                label: index % 10,
                timestamp: .milliseconds(100 * index),
                sourceID: index
            )
        }
        return batch
    }

    @Test func withoutErrorsReturnsTheTruth() async throws {
        let batch = batch(count: 50)
        let labeler: any FrameLabeler = try GroundTruthLabeler()
        let labeling = try await labeler.label(batch)
        #expect(labeling.labels == batch.labels)
        #expect(labeling.accuracy(against: batch.labels) == 1)
        #expect(labeling.costPerFrame == .zero)
    }

    @Test func errorRateIsRespectedAndDeterministic() throws {
        let batch = batch(count: 4_000)
        let labeler = try GroundTruthLabeler(errorRate: 0.2, seed: 9)
        let labels = labeler.labels(for: batch)
        let wrong = zip(labels, batch.labels).filter { $0 != $1 }.count
        #expect((700...900).contains(wrong))
        #expect(labels.allSatisfy { (0..<10).contains($0) })
        #expect(labeler.labels(for: batch) == labels)
        #expect(try GroundTruthLabeler(errorRate: 0.2, seed: 10).labels(for: batch) != labels)
    }

    @Test func rejectsAnErrorRateOutsideZeroToOne() {
        #expect(throws: DataError.self) { try GroundTruthLabeler(errorRate: 1.5) }
    }
}
