import EkyaCore

/// One CSV row: a scheduler on one window of one (streams, devices) cell.
public struct ExperimentRow: Sendable, Equatable {
    public var scheduler: String
    public var streams: Int
    public var gpus: Int
    public var window: Int
    public var meanAccuracy: Double
    /// Wall time of the scheduling decision at the window start.
    public var decisionMilliseconds: Double
    public var plannedAccuracy: Double
    public var placementLoss: Double
    /// Per stream, what was decided and what came of it (filled under `--model ekya-code`).
    public var decisions: [EkyaCodeSimulator.StreamDecision] = []
}

/// A grid of simulations: schedulers × stream counts × device counts × windows of a trace.
public struct Experiment: Sendable {
    public var trace: Trace
    public var traceName: String
    public var streamNames: [String]
    public var streamCounts: [Int]
    public var devices: [Int]
    public var windows: [Int]
    public var settings: SimulationSettings

    public init(
        trace: Trace,
        traceName: String,
        streamNames: [String]? = nil,
        streamCounts: [Int]? = nil,
        devices: [Int],
        windows: [Int]? = nil,
        settings: SimulationSettings
    ) {
        self.trace = trace
        self.traceName = traceName
        self.streamNames = streamNames ?? trace.streams
        self.streamCounts = streamCounts ?? [self.streamNames.count]
        self.devices = devices
        self.windows = windows ?? trace.windows
        self.settings = settings
    }

    /// Checks names, counts and windows against the trace before anything runs.
    public func validate() throws(TraceError) {
        let known = trace.streams
        let unknown = streamNames.filter { !known.contains($0) }
        guard unknown.isEmpty else { throw .unknownStreams(file: traceName, names: unknown, known: known) }
        for count in streamCounts where count < 1 || count > streamNames.count {
            throw .malformedRow(
                file: traceName,
                line: 0,
                reason: "stream count \(count) must be between 1 and the \(streamNames.count) stream names given"
            )
        }
        for window in windows {
            for stream in streamNames where trace.profile(stream: stream, window: window) == nil {
                throw .malformedRow(
                    file: traceName,
                    line: 0,
                    reason: "stream '\(stream)' has no rows for window \(window)"
                )
            }
        }
        if settings.profiles != .oracle {
            for window in windows {
                for stream in streamNames {
                    guard let profile = trace.profile(stream: stream, window: window),
                        profile.configurations.allSatisfy({ $0.predicted != nil })
                    else { throw .missingPredictions(file: traceName) }
                }
            }
        }
    }

    /// Runs every cell; `stopwatch` reads wall time in milliseconds (the caller owns the clock).
    public func run(
        schedulers: [any Scheduler],
        stopwatch: () -> Double = { 0 }
    ) throws -> [ExperimentRow] {
        try validate()
        var rows: [ExperimentRow] = []
        for count in streamCounts {
            let names = Array(streamNames.prefix(count))
            for deviceCount in devices {
                let simulator = WindowSimulator(settings: settings, devices: deviceCount)
                for scheduler in schedulers {
                    // Windows run in order; each sees only the outcomes of jobs that ran before it.
                    var history: [RealisedOutcome] = []
                    for window in windows.sorted() {
                        let profiles = names.compactMap { trace.profile(stream: $0, window: window) }
                        if settings.model == .ekyaCode {
                            let outcome = try EkyaCodeSimulator(settings: settings, devices: deviceCount).simulate(
                                window: window,
                                profiles: profiles,
                                scheduler: scheduler,
                                stopwatch: stopwatch
                            )
                            rows.append(
                                ExperimentRow(
                                    scheduler: scheduler.name,
                                    streams: count,
                                    gpus: deviceCount,
                                    window: window,
                                    meanAccuracy: outcome.meanAccuracy,
                                    decisionMilliseconds: outcome.decisionMilliseconds,
                                    plannedAccuracy: outcome.plannedAccuracy,
                                    placementLoss: 0,
                                    decisions: outcome.decisions
                                )
                            )
                            continue
                        }
                        let result = try simulator.simulate(
                            window: window,
                            profiles: profiles,
                            scheduler: scheduler,
                            history: history,
                            stopwatch: stopwatch
                        )
                        history += result.realised
                        rows.append(
                            ExperimentRow(
                                scheduler: scheduler.name,
                                streams: count,
                                gpus: deviceCount,
                                window: window,
                                meanAccuracy: result.meanAccuracy,
                                decisionMilliseconds: result.decisionMilliseconds,
                                plannedAccuracy: result.plannedAccuracy,
                                placementLoss: result.placementLoss
                            )
                        )
                    }
                }
            }
        }
        return rows
    }
}

/// Mean accuracy per (scheduler, streams, gpus) cell over the windows.
public struct ExperimentSummary: Sendable {
    public struct Cell: Hashable, Sendable {
        public var streams: Int
        public var gpus: Int

        public init(streams: Int, gpus: Int) {
            self.streams = streams
            self.gpus = gpus
        }
    }

    public var schedulers: [String]
    public var cells: [Cell]
    public var accuracy: [String: [Cell: Double]]

    public init(rows: [ExperimentRow]) {
        var schedulers: [String] = []
        var cells: [Cell] = []
        var sums: [String: [Cell: (Double, Int)]] = [:]
        for row in rows {
            if !schedulers.contains(row.scheduler) { schedulers.append(row.scheduler) }
            let cell = Cell(streams: row.streams, gpus: row.gpus)
            if !cells.contains(cell) { cells.append(cell) }
            let current = sums[row.scheduler, default: [:]][cell] ?? (0, 0)
            sums[row.scheduler, default: [:]][cell] = (current.0 + row.meanAccuracy, current.1 + 1)
        }
        self.schedulers = schedulers
        self.cells = cells
        self.accuracy = sums.mapValues { $0.mapValues { $0.0 / Double($0.1) } }
    }

    /// Name of the derived series holding, per cell, the best of all `uniform:` baselines.
    public static let bestUniform = "best-uniform"

    /// Adds the ``bestUniform`` series (per-cell maximum over `uniform:` schedulers) when there are at
    /// least two uniform baselines; with more than `keepAtMost` of them, their own series are dropped.
    public func addingBestUniform(keepAtMost: Int = 4) -> ExperimentSummary {
        let uniform = schedulers.filter { $0.hasPrefix("uniform:") }
        guard uniform.count >= 2 else { return self }
        var copy = self
        var best: [Cell: Double] = [:]
        for cell in cells {
            best[cell] = uniform.compactMap { accuracy[$0]?[cell] }.max()
        }
        copy.accuracy[Self.bestUniform] = best
        if uniform.count > keepAtMost {
            copy.schedulers = schedulers.filter { !$0.hasPrefix("uniform:") }
        }
        copy.schedulers.append(Self.bestUniform)
        return copy
    }

    /// Per scheduler, the smallest margin (accuracy, can be negative) over `reference` across cells.
    public func worstMargin(of scheduler: String, over reference: String) -> Double? {
        let margins = cells.compactMap { cell -> Double? in
            guard let value = accuracy[scheduler]?[cell], let base = accuracy[reference]?[cell] else { return nil }
            return value - base
        }
        return margins.min()
    }

    /// In `cell`, how many of the `uniform:` baselines `scheduler` is at or above, and how many there are.
    public func uniformBaselinesMatched(by scheduler: String, in cell: Cell) -> (matched: Int, of: Int) {
        let uniform = accuracy.keys.filter { $0.hasPrefix("uniform:") }
        guard let value = accuracy[scheduler]?[cell] else { return (0, uniform.count) }
        let matched = uniform.filter { (accuracy[$0]?[cell] ?? 0) <= value + 1e-12 }.count
        return (matched, uniform.count)
    }

    /// Mean of a scheduler's cell accuracies.
    public func average(_ scheduler: String) -> Double {
        let values = cells.compactMap { accuracy[scheduler]?[$0] }
        return values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }
}
