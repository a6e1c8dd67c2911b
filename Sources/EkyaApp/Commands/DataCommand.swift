import ArgumentParser
import EkyaData
import EkyaDataML
import EkyaML
import Foundation

/// `ekya data …`: the drifting camera streams made from real images, and the evidence that drift matters.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Drifting camera streams from real images (Fashion-MNIST item crops from checkout cameras).",
        subcommands: [DataScenariosCommand.self, DataDescribeCommand.self, DataTeacherCommand.self]
    )
}

/// `ekya data scenarios`: the built-in drift presets, one name per line.
struct DataScenariosCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenarios",
        abstract: "List the built-in drift scenarios, one name per line (--verbose adds a description)."
    )

    @Flag(name: .shortAndLong, help: "Print a one-line description after each name.")
    var verbose = false

    func run() {
        for preset in ScenarioPreset.allCases {
            print(verbose ? "\(preset.rawValue)\t\(preset.summary)" : preset.rawValue)
        }
    }
}

/// Options shared by the commands that build a stream.
struct StreamOptions: ParsableArguments {
    @Option(help: "Folder holding the Fashion-MNIST IDX files (Debian package dataset-fashion-mnist).")
    var dataset: String = FashionMNIST.defaultDirectory

    @Option(help: "Seed of the stream (sampling, split, noise) and of model training.")
    var seed: UInt64 = 7

    @Option(help: "Number of retraining windows.")
    var windows: Int = 8

    @Option(help: "Item crops per second reaching the classifier.")
    var cropsPerSecond: Double = 15

    @Option(help: "Window length in seconds.")
    var windowSeconds: Int = 200

    @Option(help: "Fraction of each window's crops held out for testing.")
    var testFraction: Double = 0.3

    func validate() throws {
        guard windows >= 1 else { throw ValidationError("--windows must be at least 1") }
        guard windowSeconds >= 1 else { throw ValidationError("--window-seconds must be at least 1") }
    }

    func configuration() throws -> StreamConfiguration {
        try StreamConfiguration(
            cropsPerSecond: cropsPerSecond,
            windowDuration: .seconds(windowSeconds),
            testFraction: testFraction,
            seed: seed
        )
    }
}

/// `ekya data describe`: per-window class mix and drift severity, stale vs retrained accuracy, SVG plot.
struct DataDescribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "Describe a scenario window by window: class mix, drift severity and, with real training, "
            + "the accuracy of a window-0 model next to a model retrained on each window.",
        discussion: """
            Accuracy columns train the backend's small model (libtorch) from scratch on each window's train
            crops with true labels and test on the window's held-out crops: 'stale' is the model trained on
            window 0, 'retrained' the model trained on that window. --no-accuracy prints the data only.
            --json prints a JSON array, one object per window, with window, stale_accuracy,
            retrained_accuracy, severity, label_shift, appearance_shift, class_mix and covariate.
            """
    )

    @Option(help: "Scenario name (see 'ekya data scenarios').")
    var scenario: String

    @OptionGroup var stream: StreamOptions

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    @Option(help: "Write an SVG plot of severity and accuracies to this file.")
    var plot: String?

    @Flag(help: "Skip model training: print only the data part (class mix, severities).")
    var noAccuracy = false

    @Option(help: "Training epochs per window model.")
    var epochs: Int = 10

    @Flag(help: "Also measure the model teacher's label accuracy on each window (trains and caches it once).")
    var teacher = false

    @Option(help: "Folder of the cached teacher (default: $XDG_CACHE_HOME/ekya or ~/.cache/ekya).")
    var teacherCache: String?

    func validate() throws {
        guard ScenarioPreset(rawValue: scenario) != nil else {
            throw ValidationError(DataError.unknownScenario(scenario).description)
        }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
    }

    func run() throws {
        let pool = try FashionMNIST.loadAll(from: stream.dataset)
        let cameraStream = try CameraStream(
            pool: pool,
            scenario: try ScenarioPreset(named: scenario),
            windowCount: stream.windows,
            configuration: try stream.configuration()
        )
        let windows = cameraStream.windows()
        var reports = windows.map {
            WindowReport(window: $0, reference: windows[0].drift, classNames: pool.classNames)
        }
        if !noAccuracy {
            var settings = WindowTrainingSettings(epochs: epochs, seed: stream.seed)
            settings.threads = ProcessInfo.processInfo.activeProcessorCount
            let clock = ContinuousClock()
            var last = clock.now
            let accuracies = try DriftEvaluation.evaluate(cameraStream, settings: settings) { row in
                let now = clock.now
                Self.log(
                    String(
                        format: "window %d: stale %.1f%%, retrained %.1f%% (%.1f s)",
                        row.window,
                        row.stale * 100,
                        row.retrained * 100,
                        (now - last).milliseconds / 1_000
                    )
                )
                last = now
            }
            for accuracy in accuracies {
                reports[accuracy.window].staleAccuracy = accuracy.stale
                reports[accuracy.window].retrainedAccuracy = accuracy.retrained
            }
        }
        if teacher {
            let model = try ModelTeacher.trainedModel(
                trainingPool: try FashionMNIST.load(.train, from: stream.dataset),
                cacheDirectory: teacherCache ?? ModelTeacher.defaultCacheDirectory,
                log: Self.log
            )
            for (index, window) in windows.enumerated() {
                reports[index].teacherAccuracy = try CropModels.accuracy(of: model, on: window.test)
            }
        }
        if json {
            print(try WindowReport.json(reports))
        } else {
            print("scenario \(scenario): \(ScenarioPreset(rawValue: scenario)?.summary ?? "")")
            print(WindowReport.table(reports, classNames: pool.classNames))
            if noAccuracy {
                print("(accuracy columns skipped: --no-accuracy)")
            }
        }
        if let plot {
            let svg = DriftPlot.svg(reports, title: "ekya data describe --scenario \(scenario)")
            do {
                try Data(svg.utf8).write(to: URL(fileURLWithPath: plot))
            } catch {
                throw AppError.cannotWrite(path: plot, reason: error.localizedDescription)
            }
            Self.log("wrote \(plot)")
        }
    }

    static func log(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}

/// `ekya data teacher`: train (once) and cache the model teacher, then report its accuracy and cost.
struct DataTeacherCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teacher",
        abstract: "Train and cache the model teacher once; report its label accuracy per scenario and its "
            + "measured compute cost per labelled frame.",
        discussion: """
            The teacher (the backend's bigger ResNet) is trained once on 20 000 clean Fashion-MNIST training
            images plus an augmented copy of each, and cached; accuracy is measured on every window's test
            crops of each preset.
            """
    )

    @OptionGroup var stream: StreamOptions

    @Option(help: "Folder of the cached teacher (default: $XDG_CACHE_HOME/ekya or ~/.cache/ekya).")
    var teacherCache: String?

    func run() async throws {
        let labeler = try ModelTeacher.loadOrTrain(
            trainingPool: try FashionMNIST.load(.train, from: stream.dataset),
            cacheDirectory: teacherCache ?? ModelTeacher.defaultCacheDirectory,
            log: DataDescribeCommand.log
        )
        let pool = try FashionMNIST.loadAll(from: stream.dataset)
        print("scenario     teacher_accuracy  cost_per_frame_ms")
        for preset in ScenarioPreset.allCases {
            let cameraStream = try CameraStream(
                pool: pool,
                scenario: preset,
                windowCount: stream.windows,
                configuration: try stream.configuration()
            )
            var correct = 0.0
            var total = 0
            for index in 0..<cameraStream.windowCount {
                let window = cameraStream.window(index)
                correct += try await labeler.accuracy(on: window.test) * Double(window.test.count)
                total += window.test.count
            }
            let cost = await labeler.costPerFrame ?? .zero
            print(
                preset.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)
                    + String(format: "%15.1f%%  %17.3f", correct / Double(max(total, 1)) * 100, cost.milliseconds)
            )
        }
    }
}

extension Duration {
    fileprivate var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000 + Double(attoseconds) * 1e-15
    }
}
