import EkyaCore
import EkyaML
import Testing

@Suite(.timeLimit(.minutes(10)))
struct FreezingTests {
    @Test func headOnlyTrainingLeavesBackboneBitwiseUnchanged() throws {
        // Given a model trained a few steps with momentum (so its optimizer has state), then frozen
        let dataset = try Probe.dataset(count: 64)
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 3)
        for step in 0..<3 {
            _ = try model.trainStep(on: dataset, indices: Array((step * 16)..<(step * 16 + 16)))
        }
        try model.setTrainableLayers(.headOnly)
        let before = try Probe.allParameters(model)
        let buffersBefore = try Probe.allBuffers(model)
        // When it trains more steps
        for step in 0..<3 {
            _ = try model.trainStep(on: dataset, indices: Array((step * 16)..<(step * 16 + 16)))
        }
        // Then the backbone is bitwise unchanged and the head moved
        let after = try Probe.allParameters(model)
        for (index, name) in model.parameterNames.enumerated() {
            if name.hasPrefix("head.") {
                #expect(before[index] != after[index], "\(name) should train")
            } else {
                #expect(before[index] == after[index], "\(name) should be frozen")
            }
        }
        #expect(model.trainableMask == model.parameterNames.map { $0.hasPrefix("head.") })
        // And the frozen BatchNorm layers stayed in eval mode: running statistics unchanged
        #expect(!model.bufferNames.isEmpty)
        #expect(try Probe.allBuffers(model) == buffersBefore)
    }

    @Test func freezingFirstStagesKeepsThemAndTheirBatchNormFixed() throws {
        // Given a model whose stem and first two stages are frozen
        let dataset = try Probe.dataset(count: 32)
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 4)
        try model.setTrainableLayers(.allButFirstStages(2))
        let before = try Probe.allParameters(model)
        let buffersBefore = try Probe.allBuffers(model)
        let probe = try model.predict(dataset, indices: [0, 1, 2, 3])
        // When it trains
        for _ in 0..<2 {
            _ = try model.trainStep(on: dataset, indices: Array(0..<32))
        }
        // Then frozen parameters are unchanged, later stages and the head trained
        let after = try Probe.allParameters(model)
        for (index, name) in model.parameterNames.enumerated() {
            let frozen = name.hasPrefix("stem.") || name.hasPrefix("stage1.") || name.hasPrefix("stage2.")
            #expect((before[index] == after[index]) == frozen, "\(name)")
        }
        #expect(try model.predict(dataset, indices: [0, 1, 2, 3]) != probe)
        let buffersAfter = try Probe.allBuffers(model)
        for (index, name) in model.bufferNames.enumerated() {
            let frozen = name.hasPrefix("stem.") || name.hasPrefix("stage1.") || name.hasPrefix("stage2.")
            #expect((buffersBefore[index] == buffersAfter[index]) == frozen, "\(name)")
        }
    }

    @Test func unfreezingMakesEverythingTrainableAgain() throws {
        let model = try TorchModel(.small(inputChannels: 3, classCount: 5), seed: 5)
        try model.setTrainableLayers(.headOnly)
        #expect(model.trainableMask.contains(false))
        try model.setTrainableLayers(.all)
        #expect(model.trainableMask.allSatisfy { $0 })
    }

    @Test func freezingEverythingRefusesToTrain() throws {
        let dataset = try Probe.dataset(count: 8)
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 6)
        try model.setTrainableLayers(.frozenPrefixes(["stem.", "stage", "head."]))
        #expect(throws: MLError.self) { try model.trainStep(on: dataset, indices: [0, 1, 2, 3]) }
    }
}
