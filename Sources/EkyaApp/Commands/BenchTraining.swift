import ArgumentParser
import EkyaML
import Foundation

/// `ekya bench training`: training and inference images/s of EkyaML and of the same model in PyTorch.
///
/// Both sides run libtorch 1.13.1 (Debian's python3-torch and libtorch-dev) with the same model, batch,
/// threads and in-memory data. The PyTorch script stays running and the two sides take turns run by run
/// (Swift, Python, Swift, …), so background load hits both alike; medians and ratios (Swift / Python)
/// are reported.
struct BenchTrainingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "training",
        abstract: "Training and inference throughput: EkyaML (Swift) vs. PyTorch (python3-torch), same model."
    )

    @Option(help: "Intra-op threads for both sides.")
    var threads: Int = 1

    @Option(help: "Mini-batch size.")
    var batch: Int = 64

    @Option(help: "Input size in pixels (square, RGB).")
    var size: Int = 32

    @Option(help: "Training steps (and inference batches) per timed run.")
    var steps: Int = 20

    @Option(help: "Timed runs per side and kind (medians reported; at least 5).")
    var runs: Int = 9

    @Option(help: "Python with PyTorch (Debian's python3-torch).")
    var python: String = "/usr/bin/python3"

    @Option(help: "The PyTorch side of the benchmark.")
    var script: String = "scripts/bench_training.py"

    @Flag(help: "Print one JSON object.")
    var json: Bool = false

    func validate() throws {
        guard runs >= 5 else { throw ValidationError("--runs must be at least 5 (medians of ≥ 5 runs)") }
        guard threads >= 1, batch >= 2, steps >= 1, size >= 8 else {
            throw ValidationError("--threads ≥ 1, --batch ≥ 2, --steps ≥ 1 and --size ≥ 8 are required")
        }
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw ValidationError("no Python at '\(python)'; install python3-torch or pass --python")
        }
        guard FileManager.default.fileExists(atPath: script) else {
            throw ValidationError("no benchmark script at '\(script)'; run from the repository root or pass --script")
        }
    }

    func run() throws {
        let architecture = ModelArchitecture.small(inputChannels: 3, classCount: 10)
        let swift = try TrainingBenchmark(
            architecture: architecture,
            imageSize: size,
            batchSize: batch,
            threads: threads,
            stepsPerRun: steps
        )
        let python = try PythonBenchmark(
            python: python,
            arguments: [
                script, "--serve", "--threads", "\(threads)", "--batch", "\(batch)",
                "--channels", "\(architecture.inputChannels)", "--size", "\(size)",
                "--classes", "\(architecture.classCount)", "--stem-stride", "\(architecture.stemStride)",
                "--width", "\(architecture.baseWidth)", "--stages", "\(architecture.stages)",
                "--blocks", "\(architecture.blocksPerStage)", "--hidden", "\(architecture.headHidden)",
                "--steps", "\(steps)", "--infer-batches", "\(steps)", "--warmup", "3",
            ]
        )
        defer { python.stop() }
        var swiftTrain: [Throughput] = []
        var swiftInfer: [Throughput] = []
        var pythonTrain: [Throughput] = []
        var pythonInfer: [Throughput] = []
        for _ in 0..<runs {
            swiftTrain.append(try swift.measureTraining())
            pythonTrain.append(try python.measure("train"))
            swiftInfer.append(try swift.measureInference())
            pythonInfer.append(try python.measure("infer"))
        }
        let result = BenchTrainingResult(
            swiftTrain: median(swiftTrain.map(\.imagesPerSecond)),
            pythonTrain: median(pythonTrain.map(\.imagesPerSecond)),
            swiftInfer: median(swiftInfer.map(\.imagesPerSecond)),
            pythonInfer: median(pythonInfer.map(\.imagesPerSecond)),
            swiftTrainCPU: median(swiftTrain.map(\.imagesPerCPUSecond)),
            pythonTrainCPU: median(pythonTrain.map(\.imagesPerCPUSecond)),
            swiftInferCPU: median(swiftInfer.map(\.imagesPerCPUSecond)),
            pythonInferCPU: median(pythonInfer.map(\.imagesPerCPUSecond)),
            threads: threads,
            model: "\(architecture) \(size)x\(size) batch \(batch)"
        )
        print(json ? result.json : result.text(runs: runs))
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

/// The PyTorch side, kept running: each request line ("train", "infer") returns one run's images per
/// wall-clock second and per CPU-second.
private final class PythonBenchmark {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffer: [UInt8] = []
    private let command: String

    init(python: String, arguments: [String]) throws {
        command = ([python] + arguments).joined(separator: " ")
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        guard try readLine() == "ready" else { throw failure("did not start") }
    }

    func measure(_ kind: String) throws -> Throughput {
        input.fileHandleForWriting.write(Data("\(kind)\n".utf8))
        let values = try readLine()?.split(separator: " ").compactMap { Double($0) } ?? []
        guard values.count == 2 else { throw failure("gave no \(kind) result") }
        return Throughput(imagesPerSecond: values[0], imagesPerCPUSecond: values[1])
    }

    func stop() {
        try? input.fileHandleForWriting.write(contentsOf: Data("quit\n".utf8))
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    private func readLine() throws -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffer += chunk
        }
    }

    private func failure(_ what: String) -> BenchTrainingError {
        BenchTrainingError(description: "'\(command)' \(what); is python3-torch installed?")
    }
}

/// A failure of the PyTorch side of the benchmark.
struct BenchTrainingError: Error, CustomStringConvertible {
    let description: String
}

/// Medians of `ekya bench training` and their Swift / Python ratios.
struct BenchTrainingResult {
    let swiftTrain: Double
    let pythonTrain: Double
    let swiftInfer: Double
    let pythonInfer: Double
    let swiftTrainCPU: Double
    let pythonTrainCPU: Double
    let swiftInferCPU: Double
    let pythonInferCPU: Double
    let threads: Int
    let model: String

    var trainRatio: Double { ratio(swiftTrain, pythonTrain) }
    var inferRatio: Double { ratio(swiftInfer, pythonInfer) }

    private func ratio(_ swift: Double, _ python: Double) -> Double { python > 0 ? swift / python : 0 }

    /// One JSON object; the `*_cpu_*` keys count images per CPU-second, which background load disturbs less.
    var json: String {
        let numbers: [(String, Double)] = [
            ("swift_train_img_s", swiftTrain), ("python_train_img_s", pythonTrain), ("train_ratio", trainRatio),
            ("swift_infer_img_s", swiftInfer), ("python_infer_img_s", pythonInfer), ("infer_ratio", inferRatio),
            ("swift_train_img_cpu_s", swiftTrainCPU), ("python_train_img_cpu_s", pythonTrainCPU),
            ("train_cpu_ratio", ratio(swiftTrainCPU, pythonTrainCPU)),
            ("swift_infer_img_cpu_s", swiftInferCPU), ("python_infer_img_cpu_s", pythonInferCPU),
            ("infer_cpu_ratio", ratio(swiftInferCPU, pythonInferCPU)),
        ]
        let fields =
            numbers.map { "\"\($0.0)\": \(String(format: "%.3f", $0.1))" }
            + ["\"threads\": \(threads)", "\"model\": \"\(model)\"", "\"libtorch\": \"\(LibTorch.version)\""]
        return "{\(fields.joined(separator: ", "))}"
    }

    func text(runs: Int) -> String {
        func line(_ kind: String, _ swift: Double, _ python: Double, unit: String) -> String {
            "\(kind): Swift \(String(format: "%.1f", swift)) \(unit), Python \(String(format: "%.1f", python)) \(unit), "
                + "ratio \(String(format: "%.2f", ratio(swift, python)))"
        }
        return [
            "model: \(model), \(threads) thread(s), libtorch \(LibTorch.version), medians of \(runs) runs",
            line("training", swiftTrain, pythonTrain, unit: "img/s"),
            line("inference", swiftInfer, pythonInfer, unit: "img/s"),
            line("training per CPU-second", swiftTrainCPU, pythonTrainCPU, unit: "img"),
            line("inference per CPU-second", swiftInferCPU, pythonInferCPU, unit: "img"),
        ].joined(separator: "\n")
    }
}
