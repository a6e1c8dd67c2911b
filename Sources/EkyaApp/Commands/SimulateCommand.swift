import ArgumentParser
import EkyaCore
import EkyaSimulation
import Foundation

/// `ekya simulate`: replay a profile trace under several schedulers, devices and stream counts.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Replay a retraining-profile trace under several schedulers (virtual time, never sleeps).",
        discussion: """
            Schedulers: \(SchedulerSpec.knownNamesDescription).
              thief           Ekya's thief scheduler (paper Alg. 1+2).
              thief-sco       the authors' research-code variant (3 iterations, full line search).
              optimal         exact dynamic programme over streams × quanta (+ first-fit placement).
              uniform:C:X     fixed configuration C, X % of each stream's share for inference.
              uniform-grid    every configuration of the trace at 30, 50 and 90 % (shown as best-uniform).
              inference-only  never retrain.
              ekya            our recommended default: \(SchedulerSpec.recommended).
            Features of <base>+<feature>+… (what a scheduler sees: this window's predictions, earlier outcomes, \
            running jobs' progress):
              cal=SCOPE       calibrate cost and accuracy from realised outcomes (global|config|family|stream|hier).
              progress        re-estimate a running job's remaining cost from its progress.
              check=S         re-plan every S seconds, not only when a job finishes.
              robust=Q        inflate new jobs' costs to the Q-quantile of observed cost errors.
              floor=SHARE     keep at least SHARE of a device for each stream's inference.
              shrink=F        keep only F of each predicted accuracy gain.
              pool=W          pull predicted accuracies towards the stream's mean (keep weight W).
              fill            water-fill unusable inference share and spare capacity to slow streams.
              refine          retrain finished streams with further configurations on idle capacity.
              quantum=Q       plan in quanta of Q (finer than --delta) so many streams on few devices split well.
            Re-allocation policies (--policy): paper, code-system, code-simulator, own-stream.
            Models (--model): ours (default) or ekya-code, the authors' simulator semantics quirks included \
            (no per-job device cap, integer-second timetable, fair redistribution); under ekya-code thief-sco \
            is their thief_sco_scheduler and optimal the exact optimum of their discretised problem \
            (docs/design.md#two-models). --compare-peer DIR prints ours minus the peer harness's summary.csv.
            Without --trace the embedded Cityscapes micro-profiler table of the Ekya authors is used.
            """
    )

    @Option(help: "Trace CSV: the authors' micro-profiler table or the canonical format (docs/trace-format.md).")
    var trace: String?

    @Option(help: "Comma-separated stream names (default: all streams of the trace, in order).")
    var streamNames: String?

    @Option(help: "Comma-separated stream counts; count k uses the first k names (default: all names).")
    var streamCounts: String?

    @Option(help: "Comma-separated device (GPU) counts.")
    var gpus: String = "1,2,4,8"

    @Option(help: "Comma-separated scheduler names.")
    var schedulers: String = "thief,thief-sco,optimal,uniform:hp5-15:50,uniform:hp0-5:30,inference-only"

    @Option(help: "Comma-separated windows to replay (default: all windows of the trace).")
    var windows: String?

    @Option(help: "Retraining window length T in seconds.")
    var window: Int = 200

    @Option(help: "Labelling delay d in seconds before retraining can start.")
    var delay: Double = 2

    @Option(help: "Allocation quantum Δ as a fraction of one device (default 0.1; 0.25/3 under --model ekya-code).")
    var delta: Double?

    @Option(
        help: ArgumentHelp(
            "What schedulers plan with: oracle (actual values), predicted (micro-profiler predictions) or "
                + "predicted-accuracy (predicted accuracy, actual cost)."
        )
    )
    var profiles: ProfileSource = .oracle

    @Option(help: "Window semantics: ours, or ekya-code (the authors' simulator, quirks included).")
    var model: SimulationModel = .ours

    @Option(
        help: "Directory of the peer harness's output (summary.csv, run_meta.json): print ours minus theirs per cell."
    )
    var comparePeer: String?

    @Option(help: "The peer scheduler --compare-peer compares with.")
    var peerScheduler: String = "thief"

    @Option(
        help: ArgumentHelp(
            "Print, per cell, how many times the devices the best fixed uniform baseline needs to match this "
                + "scheduler (interpolated over 1…8×max(--gpus) devices, at most 64)."
        )
    )
    var resourceRatio: String?

    @Option(help: "Re-allocation when a retraining job finishes: paper, code-system, code-simulator, own-stream.")
    var policy: String = "paper"

    @Option(help: "Device model: devices (jobs placed per device) or pooled (one pool of G).")
    var placement: Capacity.Packing = .devices

    @Option(help: "Inference subsampling profile CSV (default: the embedded Ekya profile).")
    var subsampling: String?

    @Option(help: "Column of the subsampling profile to use.")
    var subsamplingColumn: String = "c1"

    @Option(help: "Inference share that processes every frame (0.25 device for ResNet18 in Ekya).")
    var fullRateShare: Double = 0.25

    @Option(help: "Paper's a_MIN: smallest acceptable inference accuracy (0 disables it).")
    var minAccuracy: Double = 0

    @Option(help: "Write one row per scheduler × streams × gpus × window to this CSV file.")
    var csv: String?

    @Option(help: "Write an SVG plot (accuracy vs streams, one panel per device count) to this file.")
    var plot: String?

    @Flag(help: "Print the summary as JSON instead of a table.")
    var json: Bool = false

    @Flag(
        help: ArgumentHelp(
            "Also print, per window, the prediction error before and after online calibration (each scope), "
                + "learning from the jobs the first scheduler ran (first stream count and device count)."
        )
    )
    var calibrationReport: Bool = false

    func validate() throws {
        guard window > 0 else { throw ValidationError("--window must be a positive number of seconds") }
        guard delay >= 0, delay < Double(window) else { throw ValidationError("--delay must be in [0, --window)") }
        if model == .ekyaCode, delay.rounded() != delay {
            throw ValidationError(
                "--model ekya-code needs a whole-second --delay (their timetable runs on integer seconds)"
            )
        }
        guard (0...1).contains(minAccuracy) else { throw ValidationError("--min-accuracy must be in 0...1") }
    }

    func settings() throws -> SimulationSettings {
        let quantum = delta ?? (model == .ekyaCode ? 0.25 / 3 : 0.1)
        _ = try Capacity(devices: 1, quantum: quantum)
        return SimulationSettings(
            timing: try WindowTiming(length: window, labellingDelay: delay),
            quantum: quantum,
            packing: placement,
            scaling: try loadScaling(),
            policy: try ReallocationPolicy(name: policy),
            profiles: profiles,
            minimumAccuracy: minAccuracy,
            model: model
        )
    }

    func loadTrace() throws -> (trace: Trace, name: String) {
        let traceName = trace ?? "embedded:cityscapes_microprofile_dev.csv"
        let text = try trace.map(FileIO.read) ?? FileIO.resource("cityscapes_microprofile_dev", extension: "csv")
        return (try TraceFormat.parse(text, file: traceName), traceName)
    }

    func run() throws {
        if let comparePeer {
            try runPeerComparison(directory: comparePeer)
            return
        }
        if let resourceRatio {
            try runResourceRatio(reference: resourceRatio)
            return
        }
        let (parsedTrace, traceName) = try loadTrace()
        let settings = try settings()
        let experiment = Experiment(
            trace: parsedTrace,
            traceName: traceName,
            streamNames: try streamNames.map { try Self.list($0, option: "--stream-names") },
            streamCounts: try streamCounts.map { try Self.integers($0, option: "--stream-counts") },
            devices: try Self.integers(gpus, option: "--gpus"),
            windows: try windows.map { try Self.integers($0, option: "--windows") },
            settings: settings
        )
        let chosen = try chosenSchedulers(parsedTrace)
        let clock = ContinuousClock()
        let origin = clock.now
        let rows = try experiment.run(schedulers: chosen) {
            let elapsed = origin.duration(to: clock.now)
            return elapsed.inMilliseconds
        }
        let summary = ExperimentSummary(rows: rows).addingBestUniform()
        if let csv { try FileIO.writeAtomically(Report.csv(rows), to: csv) }
        if let plot {
            try FileIO.writeAtomically(Report.svg(summary, title: "Ekya simulation — \(traceName)"), to: plot)
        }
        print(json ? Report.json(summary) : Report.table(summary, rows: rows))
        if calibrationReport, let first = chosen.first {
            let report = try CalibrationReport(
                experiment: experiment,
                scheduler: first,
                scopes: Calibrator.Scope.allCases
            )
            print(Report.calibration(report, scheduler: first.name))
        }
    }

    func chosenSchedulers(_ trace: Trace) throws -> [any Scheduler] {
        try Self.list(schedulers, option: "--schedulers").flatMap { name -> [any Scheduler] in
            name == "uniform-grid" ? Self.uniformGrid(trace) : [try SchedulerSpec.make(name)]
        }
    }

    /// `uniform-grid`: every configuration of the trace at 30 / 50 / 90 % inference.
    static func uniformGrid(_ trace: Trace) -> [any Scheduler] {
        var names: [String] = []
        for profile in trace.profiles {
            for configuration in profile.configurations where !names.contains(configuration.name) {
                names.append(configuration.name)
            }
        }
        return names.flatMap { configuration in
            [30.0, 50, 90].map { UniformScheduler(configuration: configuration, inferenceFraction: $0 / 100) }
        }
    }

    private func loadScaling() throws -> InferenceScaling {
        guard subsampling != nil || subsamplingColumn != "c1" || fullRateShare != 0.25 else {
            return .ekyaDefault
        }
        let name = subsampling ?? "embedded:inference_subsampling_profile.csv"
        let text =
            try subsampling.map(FileIO.read) ?? FileIO.resource("inference_subsampling_profile", extension: "csv")
        return try SubsamplingProfile.parse(text, file: name, column: subsamplingColumn, fullRateShare: fullRateShare)
    }

    static func list(_ text: String, option: String) throws -> [String] {
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !items.isEmpty else { throw ValidationError("\(option) needs at least one value") }
        return items
    }

    static func integers(_ text: String, option: String) throws -> [Int] {
        try list(text, option: option).map { item in
            guard let value = Int(item), value > 0 else {
                throw ValidationError("\(option): '\(item)' is not a positive integer")
            }
            return value
        }
    }
}
