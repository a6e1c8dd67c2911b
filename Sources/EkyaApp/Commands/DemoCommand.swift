import ArgumentParser
import EkyaCore
import EkyaData
import EkyaDataML
import EkyaML
import EkyaRuntime
import EkyaSimulation
import Foundation

/// Options shared by `ekya demo` and `ekya run`.
struct LiveOptions: ParsableArguments {
    @Option(
        help: """
            Where the streams come from: video (real cameras: the embedded clips under each preset's light and \
            weather) or fashion (Fashion-MNIST crops with synthetic drift, the fast fixture).
            """
    )
    var source: String = "video"

    @Option(help: "Video: the teacher labels every N-th frame (its sampling rate; labels are cached per N).")
    var teacherStride: Int = 5

    @Option(help: "Comma-separated scenario presets, one stream each (see `ekya data scenarios`).")
    var streams: String = "stable,day-night,weather,class-shift"

    @Option(help: "Retraining windows to run after the initial one.")
    var windows: Int = 4

    @Option(help: "Window length T in seconds (virtual or wall).")
    var windowSeconds: Double = 60

    @Option(help: "Devices (GPUs) the virtual clock models; wall clock: 1.")
    var devices: Int = 1

    @Option(help: "Device-seconds per second of compute on this machine (how much slower the modelled device is).")
    var slowdown: Double = 10

    @Option(help: "wall (real time, one device) or virtual (real compute, clock advanced by device time).")
    var clock: ClockMode = .virtual

    @Option(help: "Re-allocation when a retraining job finishes: paper, code-system, code-simulator, own-stream.")
    var policy: String = "paper"

    @Option(help: "Crops per second per stream (half are inference frames, half can be labelled).")
    var cropsPerSecond: Double = 20

    @Option(help: "Seed of the streams, the splits and the models.")
    var seed: UInt64 = 1

    @Option(help: "Retraining optimizer: sgd (Ekya: momentum 0.9) or adam.")
    var optimizer: OptimizerKind = .sgd

    @Option(help: "Retraining learning rate.")
    var learningRate: Double = 0.01

    @Option(help: "Micro-profiling epochs per configuration group (Ekya: 5).")
    var profileEpochs: Int = 2

    @Option(help: "Micro-profiling: fraction of the window's labelled data each profiling run trains on (Ekya: 0.1).")
    var profileFraction: Double = 0.25

    @Option(
        help: """
            Which crops successive micro-profiling epochs train on: fixed (the same sub-sample every epoch, \
            Ekya) or rotating (consecutive disjoint slices).
            """
    )
    var profilingSubset: TrainingPlan.Subset = .fixed

    @Option(
        help: """
            Pruning: every 2 windows drop this fraction of each stream's worst configurations (dominated on \
            predicted accuracy and cost first, then the least accurate), keeping at least two.
            """
    )
    var pruneFraction: Double = 0.34

    @Flag(
        inversion: .prefixedNo,
        help: """
            Serve the best micro-profiled model from the end of profiling when it validates above the serving \
            model (Ekya discards profiling runs).
            """
    )
    var serveProfiledModels = true

    @Flag(
        inversion: .prefixedNo,
        help: """
            Train the serving model of streams without a retraining job further with the capacity a plan \
            leaves idle (beyond 1.5 × inference's full-rate share), swapping in each epoch that validates \
            better (Ekya leaves it to inference, which cannot use it).
            """
    )
    var refineWithIdleCapacity = true

    @Flag(
        inversion: .prefixedNo,
        help: """
            Serve a running retraining job's best epoch so far as soon as it validates above the serving model \
            (Ekya swaps only when the job finishes).
            """
    )
    var serveImprovedEpochs = true

    @Flag(
        inversion: .prefixedNo,
        help: """
            Micro-profile only the head-only configurations before the plan and the other layer groups in \
            the background with the capacity the plan leaves idle; their configurations join the next \
            re-plan (Ekya profiles every configuration before planning).
            """
    )
    var profileInBackground = true

    @Flag(
        inversion: .prefixedNo,
        help: """
            Start a retraining job from the model serving the stream then (a profiled or refined model of the \
            window, if one serves), not from the window's starting model (Ekya's).
            """
    )
    var retrainServingModel = true

    @Option(
        help: """
            Inference headroom: a stream at full frame rate keeps this multiple of its full-rate share, from \
            idle capacity first, else from retraining (at most half of its shares); 1 keeps the plan's shares.
            """
    )
    var fullRateHeadroom: Double = 1.5

    @Option(
        help: """
            Retraining configurations: small ({head, all} × {1, 4, 10} epochs: 6) or paper (× {25, 50, 100} % \
            of the labelled data: 18, the paper's dimensions).
            """
    )
    var grid: String = "small"

    @Option(
        help: """
            Accuracy predictor the micro-profiler extrapolates with: optimus-work (ours, measured more accurate \
            by `ekya profile --verify`), ekya-optimus (the paper's), optimus-all.
            """
    )
    var predictor: PredictorKind = .optimusWork

    @Option(
        help: """
            Who labels each window's sample: ground-truth (true labels, --label-error-rate of them wrong) or model \
            (the bigger network's predictions, trained once and cached; its compute is charged to the window).
            """
    )
    var teacher: TeacherKind = .groundTruth

    @Option(help: "Fraction of the ground-truth teacher's labels made wrong (a random other class).")
    var labelErrorRate: Double = 0

    @Option(help: "Folder of the cached model teacher (default: $XDG_CACHE_HOME/ekya or ~/.cache/ekya).")
    var teacherCache: String?

    @Option(help: "Directory with Fashion-MNIST (Debian package dataset-fashion-mnist).")
    var dataDirectory: String = FashionMNIST.defaultDirectory

    func streamSource() throws -> StreamSource {
        guard let chosen = StreamSource(option: source) else {
            throw ValidationError("--source must be 'video' or 'fashion', not '\(source)'")
        }
        guard (1...100).contains(teacherStride) else { throw ValidationError("--teacher-stride must be in 1...100") }
        return chosen
    }

    func settings() throws -> RuntimeSettings {
        let scenarios = try streams.split(separator: ",").map { try ScenarioPreset(named: String($0)) }
        let clockMode = clock
        let teacherKind = teacher
        return try RuntimeSettings(
            scenarios: scenarios,
            windows: windows,
            windowSeconds: windowSeconds,
            cropsPerSecond: cropsPerSecond,
            devices: devices,
            slowdown: clockMode == .wall ? 1 : slowdown,
            clock: clockMode,
            configurations: try RetrainingConfiguration.option(grid),
            profileEpochs: profileEpochs,
            profileFraction: profileFraction,
            profilingSubset: profilingSubset,
            pruneFraction: pruneFraction,
            servesProfiledModels: serveProfiledModels,
            refinesWithIdleCapacity: refineWithIdleCapacity,
            servesImprovedEpochs: serveImprovedEpochs,
            profilesInBackground: profileInBackground,
            retrainsServingModel: retrainServingModel,
            fullRateHeadroom: fullRateHeadroom,
            policy: try ReallocationPolicy(name: policy),
            labelErrorRate: labelErrorRate,
            teacher: teacherKind,
            learningRate: learningRate,
            optimizer: optimizer,
            seed: seed
        ).validatedForCommandLine()
    }
}

extension RetrainingConfiguration {
    /// The value of a `--grid` option, or an error that lists the choices.
    static func option(_ name: String) throws -> [RetrainingConfiguration] {
        guard let grid = grid(named: name) else {
            throw ValidationError("--grid must be 'small' (6 configurations) or 'paper' (18), not '\(name)'")
        }
        return grid
    }
}

/// `ekya demo`: Ekya live on the embedded default streams, with a progress display, table and plot.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run Ekya live: real drifting streams, real libtorch inference and retraining, enforced shares.",
        discussion: """
            Streams replay Fashion-MNIST crops with the drift presets. Every window: label a sample with the
            teacher, micro-profile every retraining configuration, schedule, then run inference on every frame
            and retraining side by side under the scheduler's shares (weighted time slicing of job steps);
            finished models are validated and swapped in only if better. --clock virtual (default) runs the
            same real compute but advances the window clock by measured device time (compute × --slowdown)
            shared over --devices, so that "N devices, 60 s windows" can be studied on a small machine.
            """
    )

    @OptionGroup var options: LiveOptions

    @OptionGroup var device: DeviceOption

    @Option(help: "Scheduler running Ekya (any `ekya simulate` name).")
    var scheduler: String = "ekya"

    @Flag(help: "Also run the uniform baselines on the same streams, data and seed and compare.")
    var compare: Bool = false

    @Option(help: "Comma-separated uniform baselines for --compare.")
    var baselines: String =
        "uniform:all-4:50,uniform:head-4:50,uniform:head-1:50,uniform:all-1:70,uniform:all-10:30,inference-only"

    @Flag(help: "Print (last, on stdout) one JSON object with the comparison.")
    var json: Bool = false

    @Option(help: "SVG plot of accuracy over time per stream, with model swaps marked.")
    var plot: String? = "ekya-demo.svg"

    @Option(help: "Write the run's realised outcomes in the canonical trace format to this CSV file.")
    var traceOut: String?

    func run() throws {
        try device.apply()
        let names = [scheduler] + (compare ? try SimulateCommand.list(baselines, option: "--baselines") : [])
        try LiveSession.run(
            settings: try options.settings(),
            source: try options.streamSource(),
            teacherStride: options.teacherStride,
            schedulers: names,
            dataDirectory: options.dataDirectory,
            teacherCache: options.teacherCache,
            plot: plot,
            traceOut: traceOut,
            json: json,
            predictor: options.predictor
        )
    }
}

/// Runs live sessions for `ekya demo` and `ekya run`: the first scheduler is Ekya, the others are compared.
enum LiveSession {
    static func run(
        settings: RuntimeSettings,
        source: StreamSource = .fashion,
        teacherStride: Int = 5,
        schedulers names: [String],
        dataDirectory: String,
        teacherCache: String? = nil,
        plot: String?,
        traceOut: String?,
        json: Bool,
        predictor kind: PredictorKind = .optimusWork
    ) throws {
        // Outputs are checked before any training, so a bad path fails in a second, not after the run.
        for (option, path) in [("--plot / plot", plot), ("--trace-out / trace_out", traceOut)] {
            if let path, let problem = FileIO.problemWritingFile(at: path) {
                throw AppError.invalidOption("\(option): \(problem)")
            }
        }
        let chosen = try names.map { try SchedulerSpec.make($0) }
        let predictor = kind.predictor
        let pool: ImagePool
        do {
            pool = try FashionMNIST.loadAll(from: dataDirectory)
        } catch {
            throw AppError.invalidOption("\(error)")
        }
        let log: (String) -> Void = { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let runtime: LiveRuntime
        let sources: [String]
        switch source {
        case .fashion:
            runtime = try LiveRuntime(settings: settings, pool: pool)
            sources = settings.scenarios.map { "fashion-mnist:\($0.rawValue)" }
        case .video, .files:
            guard settings.teacher == .groundTruth else {
                throw AppError.invalidOption("video streams are labelled by their detector: use --teacher ground-truth")
            }
            var clips: [[String]]?
            if case .files(let given) = source { clips = given }
            let cameras = try VideoCameras.streams(
                settings: settings,
                clips: clips,
                pool: pool,
                teacherStride: teacherStride,
                log: log
            )
            runtime = try LiveRuntime(settings: settings, streams: cameras.streams, names: cameras.names)
            sources = cameras.sources
        }
        if settings.teacher == .model {
            do {
                runtime.teacherModel = try ModelTeacher.trainedModel(
                    trainingPool: try FashionMNIST.load(.train, from: dataDirectory),
                    cacheDirectory: teacherCache ?? ModelTeacher.defaultCacheDirectory,
                    log: log
                )
            } catch {
                throw AppError.invalidOption("cannot load or train the model teacher: \(error)")
            }
        }
        log("preparing: training the starting models on window 0, measuring inference cost …")
        try runtime.prepare()
        log(
            "per-frame inference: \(String(format: "%.4f", runtime.frameCost)) device-s; full frame rate needs "
                + "\(String(format: "%.2f", runtime.fullRateShare)) of a device"
        )
        let pace = Pacer(mode: settings.clock)
        var reports: [LiveRunReport] = []
        for scheduler in chosen {
            pace.restart()
            reports.append(
                try runtime.run(
                    scheduler: scheduler,
                    predictor: predictor,
                    pace: { try pace.wait(until: $0) },
                    progress: log
                )
            )
        }
        guard let ekya = reports.first else { return }
        print(LiveReport.table(ekya, streams: runtime.streamNames))
        if reports.count > 1 { print(LiveReport.comparison(reports)) }
        if let plot {
            try FileIO.writeAtomically(LiveReport.svg(ekya, windowSeconds: settings.windowSeconds), to: plot)
            log("plot: \(plot)")
        }
        if let traceOut {
            try FileIO.writeAtomically(LiveReport.trace(ekya), to: traceOut)
            log("trace: \(traceOut)")
        }
        if json { print(LiveReport.json(reports, streams: Array(zip(runtime.streamNames, sources)))) }
    }
}

/// Wall-clock pacing: sleeps until the window time the executor reached; virtual mode never sleeps.
final class Pacer {
    let mode: ClockMode
    private var origin = ContinuousClock.now
    private var last = Double.infinity

    init(mode: ClockMode) {
        self.mode = mode
    }

    func restart() {
        last = .infinity
    }

    func wait(until windowTime: Double) throws {
        guard mode == .wall else { return }
        // Window times restart at 0 every window: re-anchor the wall clock when they do.
        if windowTime < last { origin = ContinuousClock.now - .milliseconds(Int64(windowTime * 1000)) }
        last = windowTime
        let elapsed = origin.duration(to: .now)
        let ahead = windowTime - elapsed.inSeconds
        if ahead > 0 { Thread.sleep(forTimeInterval: ahead) }
    }
}
