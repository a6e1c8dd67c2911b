import EkyaCore
import EkyaML
import Foundation
import Testing

@Suite(.timeLimit(.minutes(10)))
struct ModelFileTests {
    @Test func checkpointReloadsWithIdenticalPredictions() throws {
        // Given a trained model saved as a checkpoint
        let directory = try Probe.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let dataset = try Probe.dataset(count: 48)
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 31)
        for step in 0..<3 {
            _ = try model.trainStep(on: dataset, indices: Array((step * 16)..<(step * 16 + 16)))
        }
        let path = directory.appendingPathComponent("model.ckpt").path
        try model.saveCheckpoint(to: path)
        // When it is loaded
        let loaded = try TorchModel(contentsOf: path)
        // Then parameters and predictions are identical, and no temporary file is left behind
        #expect(try Probe.allParameters(loaded) == Probe.allParameters(model))
        #expect(try loaded.predict(dataset, indices: Array(0..<48)) == model.predict(dataset, indices: Array(0..<48)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.ckpt"])
    }

    @Test(arguments: [OptimizerChoice.sgd(learningRate: 0.01), .adam(learningRate: 0.01)])
    func checkpointKeepsOptimizerKindStateAndFreezing(optimizer: OptimizerChoice) throws {
        // Given a model with momentum/Adam state and a frozen stem saved mid-training
        let directory = try Probe.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let dataset = try Probe.dataset(count: 32)
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 32)
        try model.setOptimizer(optimizer)
        try model.setTrainableLayers(.frozenPrefixes(["stem."]))
        _ = try model.trainStep(on: dataset, indices: Array(0..<16))
        let checkpoint = directory.appendingPathComponent("mid.ckpt").path
        let plain = directory.appendingPathComponent("plain.pt").path
        try model.saveCheckpoint(to: checkpoint)
        try model.exportTorchScript(to: plain)
        let loaded = try TorchModel(contentsOf: checkpoint)
        // A plain TorchScript file has no optimizer state: same weights, fresh optimizer of the same kind.
        let fresh = try TorchModel(contentsOf: plain)
        try fresh.setOptimizer(optimizer)
        try fresh.setTrainableLayers(.frozenPrefixes(["stem."]))
        // When all take the same next step
        for candidate in [model, loaded, fresh] {
            _ = try candidate.trainStep(on: dataset, indices: Array(16..<32))
        }
        // Then the checkpoint continues exactly where training stopped (up to float rounding of a
        // differently aligned copy); the fresh optimizer does not.
        #expect(loaded.trainableMask == model.trainableMask)
        #expect(loaded.optimizer == optimizer)
        let reference = try Probe.allParameters(model)
        #expect(try maxDifference(Probe.allParameters(loaded), reference) < 1e-6)
        #expect(try maxDifference(Probe.allParameters(fresh), reference) > 1e-4)
    }

    private func maxDifference(_ a: [[Float]], _ b: [[Float]]) -> Float {
        zip(a, b).map { zip($0, $1).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
    }

    @Test func torchScriptFixtureLoadsAndPredictsLikePyTorch() throws {
        // Given the fixture written by scripts/make_torchscript_fixture.py and PyTorch's predictions
        let fixture = Probe.fixtureDirectory.appendingPathComponent("tiny_classifier.pt").path
        let expectedData = try Data(
            contentsOf: Probe.fixtureDirectory.appendingPathComponent("tiny_classifier_expected.json")
        )
        let expected = try JSONDecoder().decode(Expected.self, from: expectedData)
        // When libtorch-from-Swift runs it on the same inputs
        let model = try TorchModel(contentsOf: fixture)
        let batch = try #require(
            ImageBatch(count: 4, channels: 1, height: 28, width: 28, pixels: Probe.pixels(count: 4 * 28 * 28))
        )
        let predictions = try model.predict(batch)
        // Then it agrees with PyTorch
        #expect(predictions.map(\.classIndex) == expected.classes)
        for (prediction, confidence) in zip(predictions, expected.confidences) {
            #expect(abs(prediction.confidence - confidence) < 1e-5)
        }
    }

    @Test func torchScriptFixtureFineTunesItsHead() throws {
        // Given the Python-made fixture with its backbone frozen
        let model = try TorchModel(contentsOf: Probe.fixtureDirectory.appendingPathComponent("tiny_classifier.pt").path)
        try model.setTrainableLayers(.headOnly)
        let dataset = try Probe.dataset(count: 32)
        let before = try Probe.allParameters(model)
        // When it trains several steps on one batch
        let job = try TrainingJob(
            model: model,
            dataset: dataset,
            plan: TrainingPlan(
                epochs: 8,
                batchSize: 32,
                validationFraction: 0,
                trainableLayers: .headOnly,
                optimizer: .adam(learningRate: 0.01)
            )
        )
        let losses = try job.train(steps: 100).map(\.loss)
        // Then the loss falls, the head changed and the backbone did not
        #expect(losses.count == 8)
        let first = try #require(losses.first)
        let last = try #require(losses.last)
        #expect(last < first)
        let after = try Probe.allParameters(model)
        for (index, name) in model.parameterNames.enumerated() {
            #expect((before[index] == after[index]) == !name.hasPrefix("head."), "\(name)")
        }
    }

    @Test func exportedTorchScriptLoadsBackForInference() throws {
        let directory = try Probe.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try TorchModel(.small(inputChannels: 3, classCount: 4), seed: 33)
        let path = directory.appendingPathComponent("exported.pt").path
        try model.exportTorchScript(to: path)
        let loaded = try TorchModel(contentsOf: path)
        let batch = try #require(
            ImageBatch(count: 5, channels: 3, height: 32, width: 32, pixels: Probe.pixels(count: 5 * 3 * 32 * 32))
        )
        #expect(try loaded.predict(batch) == model.predict(batch))
    }

    @Test func corruptTruncatedAndMissingFilesGiveClearErrors() throws {
        let directory = try Probe.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixture = try Data(contentsOf: Probe.fixtureDirectory.appendingPathComponent("tiny_classifier.pt"))
        let truncated = directory.appendingPathComponent("truncated.pt")
        try fixture.prefix(fixture.count / 2).write(to: truncated)
        let garbage = directory.appendingPathComponent("garbage.pt")
        try Data("not a model".utf8).write(to: garbage)
        let empty = directory.appendingPathComponent("empty.pt")
        try Data().write(to: empty)

        for url in [truncated, garbage, empty] {
            let error = #expect(throws: MLError.self) { try TorchModel(contentsOf: url.path) }
            guard case .badFile(let message) = error else {
                Issue.record("expected badFile for \(url.lastPathComponent), got \(String(describing: error))")
                continue
            }
            #expect(message.contains(url.lastPathComponent))
        }
        let missing = #expect(throws: MLError.self) {
            try TorchModel(contentsOf: directory.appendingPathComponent("missing.pt").path)
        }
        let missingPath = directory.appendingPathComponent("missing.pt").path
        #expect(missing == .io("cannot open '\(missingPath)': No such file or directory"))
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 34)
        #expect(throws: MLError.self) { try model.saveCheckpoint(to: "/nonexistent-dir/model.ckpt") }
    }

    private struct Expected: Decodable {
        let classes: [Int]
        let confidences: [Double]
    }
}

@Suite(.timeLimit(.minutes(10)))
struct PyTorchInteropTests {
    /// Debian's python3-torch (the same libtorch 1.13.1 as libtorch-dev).
    static var hasPyTorch: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
            && FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/torch/__init__.py")
    }

    @Test(.enabled(if: hasPyTorch, "needs /usr/bin/python3 with python3-torch"))
    func pyTorchLoadsOurExportAndAgrees() throws {
        // Given a model exported as TorchScript and its predictions from Swift
        let directory = try Probe.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try TorchModel(.small(inputChannels: 1, classCount: 10), seed: 41)
        let path = directory.appendingPathComponent("exported.pt").path
        try model.exportTorchScript(to: path)
        let batch = try #require(
            ImageBatch(count: 4, channels: 1, height: 28, width: 28, pixels: Probe.pixels(count: 4 * 28 * 28))
        )
        let ours = try model.predict(batch)
        // When PyTorch loads the file with torch.jit.load and classifies the same pixels
        let script = """
            import torch
            k = torch.arange(4 * 28 * 28, dtype=torch.int64)
            x = (((k * 2654435761) % 4294967296).to(torch.float64) / 4294967296.0).to(torch.float32)
            m = torch.jit.load('\(path)')
            m.eval()
            with torch.no_grad():
                p, c = torch.softmax(m(x.reshape(4, 1, 28, 28)), 1).max(1)
            print(' '.join(f'{int(a)}:{float(b):.6f}' for a, b in zip(c, p)))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "python3 could not load the export (python3-torch missing?)")
        // Then it gives the same classes and confidences
        let theirs = output.split(whereSeparator: \.isWhitespace).map { $0.split(separator: ":") }
        #expect(theirs.map { Int($0[0]) } == ours.map(\.classIndex))
        for (pair, prediction) in zip(theirs, ours) {
            #expect(abs((Double(pair[1]) ?? -1) - prediction.confidence) < 1e-5)
        }
    }
}
