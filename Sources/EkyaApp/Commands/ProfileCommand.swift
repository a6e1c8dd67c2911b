import ArgumentParser
import EkyaCore
import EkyaData
import EkyaML
import EkyaRuntime
import EkyaSimulation
import Foundation

/// `ekya profile`: micro-profile every configuration on real training, then verify against full training.
struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Micro-profile every retraining configuration of a drifting stream and verify the predictions.",
        discussion: """
            For each window: label the window's crops, profile each configuration group (2 epochs on 10 % of the
            data by default), predict every configuration's end accuracy (each predictor) and cost, then train
            every configuration fully and measure. Prints predicted vs actual, the median absolute and signed
            errors per predictor and per epoch count, and the profiling cost as a fraction of exhaustive training.
            """
    )

    @Option(
        help: "Scenario preset, a comma-separated list evaluated one after another and pooled, or 'all' (every preset)."
    )
    var scenario: String = "day-night"

    @Option(help: "Windows to evaluate, e.g. 1-3 (window 0 trains the starting model).")
    var windows: String = "1-3"

    @Flag(help: "Train every configuration fully and compare (always done; kept for the documented interface).")
    var verify: Bool = false

    @Option(help: "Comma-separated predictors.")
    var predictors: String = "ekya-optimus,optimus-all,optimus-work"

    @Option(
        help: """
            Retraining configurations: small ({head, all} × {1, 4, 10} epochs: 6, the live default) or paper \
            (× {25, 50, 100} % of the data: 18, the paper's dimensions).
            """
    )
    var grid: String = "small"

    @Option(help: "Micro-profiling epochs per configuration group (Ekya: 5).")
    var profileEpochs: Int = 5

    @Option(help: "Fraction of the window's labelled data each profiling run trains on.")
    var profileFraction: Double = 0.1

    @Option(
        help: """
            Which crops successive profiling epochs train on: rotating (consecutive disjoint slices: the run \
            samples the first full epoch's learning curve) or fixed (the same sub-sample every epoch, Ekya).
            """
    )
    var profilingSubset: TrainingPlan.Subset = .rotating

    @Option(help: "Device-seconds per measured second of compute.")
    var slowdown: Double = 10

    @Option(
        help: """
            Crops per second per stream: half are inference frames, half labelled (a 60 s window: 60 × this / 2 \
            labelled crops, a fifth of them held out to validate).
            """
    )
    var cropsPerSecond: Double = 20

    @Option(help: "Seed, or a comma-separated list: every scenario is evaluated once per seed and all are pooled.")
    var seed: String = "1"

    @Option(help: "Write the rows in the canonical trace format (replayable by `ekya simulate`).")
    var traceOut: String?

    @Option(help: "Write every row (profiled points, predictions, full-run curve, test accuracy) as JSON lines.")
    var rowsOut: String?

    @Option(help: "Write a histogram of prediction errors per predictor (SVG, like the paper's Fig. 11a).")
    var plot: String?

    @Flag(help: "Print one JSON object.")
    var json: Bool = false

    @Option(help: "Directory with Fashion-MNIST (Debian package dataset-fashion-mnist).")
    var dataDirectory: String = FashionMNIST.defaultDirectory

    func range() throws -> ClosedRange<Int> {
        let parts = windows.split(separator: "-").map { Int($0) }
        guard (1...2).contains(parts.count), let low = parts.first ?? nil, let high = parts.last ?? nil, low >= 1,
            high >= low, high <= 20
        else { throw ValidationError("--windows must look like 1-3 (1 ≤ first ≤ last ≤ 20), not '\(windows)'") }
        return low...high
    }

    func scenarios() throws -> [ScenarioPreset] { try Self.presets(scenario) }

    /// The presets a `--scenario` value names: one, a comma-separated list, or `all`.
    static func presets(_ value: String) throws -> [ScenarioPreset] {
        if value == "all" { return ScenarioPreset.allCases }
        return try value.split(separator: ",").map { try ScenarioPreset(named: String($0)) }
    }

    func seeds() throws -> [UInt64] {
        let values = seed.split(separator: ",").map { UInt64($0) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--seed must be a number or a comma-separated list of numbers, not '\(seed)'")
        }
        return values.compactMap { $0 }
    }

    /// The configurations `--grid` names.
    func configurations() throws -> [RetrainingConfiguration] { try RetrainingConfiguration.option(grid) }

    func chosenPredictors() throws -> [PredictorKind] {
        try predictors.split(separator: ",").map { try PredictorKind.chosen(String($0)) }
    }

    func validate() throws {
        _ = try range()
        _ = try configurations()
        _ = try seeds()
        _ = try scenarios()
        _ = try chosenPredictors()
        guard profileEpochs >= 1, slowdown > 0 else {
            throw ValidationError("--profile-epochs must be ≥ 1 and --slowdown positive")
        }
        guard profileFraction > 0, profileFraction <= 1 else {
            throw ValidationError("--profile-fraction must be in (0, 1]")
        }
        guard cropsPerSecond >= 2, cropsPerSecond <= 200 else {
            throw ValidationError("--crops-per-second must be in 2...200")
        }
    }

    func run() throws {
        let chosen = try chosenPredictors().map(\.predictor)
        let pool: ImagePool
        do {
            pool = try FashionMNIST.loadAll(from: dataDirectory)
        } catch {
            throw AppError.invalidOption("\(error)")
        }
        var labelled: [(name: String, part: ProfileEvaluation)] = []
        let seedList = try seeds()
        for seed in seedList {
            var settings = RuntimeSettings(
                cropsPerSecond: cropsPerSecond,
                slowdown: slowdown,
                configurations: try configurations(),
                profileEpochs: profileEpochs,
                profileFraction: profileFraction,
                seed: seed
            )
            settings.profilingSubset = profilingSubset
            for preset in try scenarios() {
                let name = seedList.count > 1 ? "\(preset.rawValue) seed \(seed)" : preset.rawValue
                var part = try ProfileEvaluation(
                    settings: settings,
                    pool: pool,
                    scenario: preset,
                    windows: try range(),
                    predictors: chosen,
                    progress: { FileHandle.standardError.write(Data((name + " " + $0 + "\n").utf8)) }
                )
                if seedList.count > 1 {
                    // Streams of different seeds are different streams (in the trace and the rows).
                    for index in part.rows.indices { part.rows[index].stream += "-s\(seed)" }
                }
                labelled.append((name, part))
            }
        }
        let parts = labelled.map(\.part)
        let evaluation = parts.count == 1 ? parts[0] : ProfileEvaluation(pooling: parts)
        if let traceOut { try FileIO.writeAtomically(TraceFormat.render(evaluation.canonicalTrace), to: traceOut) }
        if let rowsOut { try FileIO.writeAtomically(evaluation.rowsJSONLines, to: rowsOut) }
        if let plot { try FileIO.writeAtomically(Self.histogram(evaluation), to: plot) }
        if json {
            let fields = evaluation.summaries.map { summary in
                "\"\(summary.predictor)\": {\"median_abs_error\": \(String(format: "%.3f", summary.medianAbsoluteError)), "
                    + "\"mean_signed_error\": \(String(format: "%.3f", summary.meanSignedError)), "
                    + "\"profiling_cost_fraction\": \(String(format: "%.4f", evaluation.profilingCostFraction))"
                    + (summary.intervalCoverage.map {
                        ", \"interval_nominal\": \(PredictionInterval.nominal), \"interval_coverage\": \(String(format: "%.3f", $0))"
                    } ?? "") + "}"
            }
            print("{\(fields.joined(separator: ", "))}")
            return
        }
        var lines = [
            "stream       window  config   a0      "
                + evaluation.predictors.map { $0.padding(toLength: 14, withPad: " ", startingAt: 0) }
                .joined() + "actual  cost(pred)  cost(actual)"
        ]
        for row in evaluation.rows {
            lines.append(
                String(
                    format: "%-12@ %6d  %-7@ %5.1f%%  ",
                    row.stream as NSString,
                    row.window,
                    row.configuration as NSString,
                    row.startAccuracy * 100
                )
                    + row.predictedAccuracy.map { String(format: "%5.1f%%        ", $0 * 100) }.joined()
                    + String(
                        format: "%5.1f%%  %9.1f  %12.1f",
                        row.actualAccuracy * 100,
                        row.predictedCost,
                        row.actualCost
                    )
            )
        }
        if parts.count > 1 {
            for (name, part) in labelled {
                let medians = part.summaries.map {
                    "\($0.predictor) \(String(format: "%.2f", $0.medianAbsoluteError))"
                }
                lines.append(
                    "\(name): median |error| " + medians.joined(separator: ", ")
                        + String(format: "; profiling %.1f%% of exhaustive", part.profilingCostFraction * 100)
                )
            }
            lines.append("pooled over \(parts.count) scenario runs:")
        }
        for summary in evaluation.summaries {
            let bias = summary.biasByEpochs.keys.sorted().map {
                "\($0) epochs \(String(format: "%+.1f", summary.biasByEpochs[$0] ?? 0))"
            }
            lines.append(
                String(
                    format: "%@: median |error| %.2f points, mean signed error %+.2f (%@)",
                    summary.predictor as NSString,
                    summary.medianAbsoluteError,
                    summary.meanSignedError,
                    bias.joined(separator: ", ") as NSString
                )
                    + (summary.intervalCoverage.map {
                        String(format: "; %.0f %% interval covers %.1f %%", PredictionInterval.nominal * 100, $0 * 100)
                    } ?? "")
            )
        }
        lines.append(
            String(
                format: "profiling cost: %.1f device-s = %.1f%% of training every configuration fully (%.1f device-s)",
                evaluation.profilingCost,
                evaluation.profilingCostFraction * 100,
                evaluation.exhaustiveCost
            )
        )
        print(lines.joined(separator: "\n"))
    }

    /// Histogram of (predicted − actual) in 2-point bins, one row of bars per predictor.
    static func histogram(_ evaluation: ProfileEvaluation) -> String {
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
        var canvas = SVGCanvas(width: 720, height: 320)
        canvas.text("Micro-profiler error (predicted − actual, points)", x: 40, y: 22, size: 15)
        let bins = Array(stride(from: -30, to: 30, by: 2))
        let counts = evaluation.predictors.indices.map { index in
            bins.map { low in
                evaluation.rows.filter {
                    let error = ($0.predictedAccuracy[index] - $0.actualAccuracy) * 100
                    return error >= Double(low) && error < Double(low + 2)
                }.count
            }
        }
        let peak = max(1, counts.flatMap { $0 }.max() ?? 1)
        // Each 21 px bin holds one bar per predictor, side by side.
        let barWidth = 20 / Double(max(1, counts.count))
        for (index, series) in counts.enumerated() {
            for (bin, count) in series.enumerated() where count > 0 {
                let height = Double(count) / Double(peak) * 220
                canvas.rect(
                    x: 40 + Double(bin) * 21 + Double(index) * barWidth,
                    y: 260 - height,
                    width: barWidth - 0.5,
                    height: height,
                    fill: colors[index % colors.count]
                )
            }
        }
        canvas.legend(
            evaluation.predictors.enumerated().map { ($1, colors[$0 % colors.count]) },
            x: 540,
            y: 50,
            swatch: .square
        )
        for (bin, low) in bins.enumerated() where low % 10 == 0 {
            canvas.text("\(low)", x: 40 + Double(bin) * 21, y: 280)
        }
        canvas.line(from: (40, 260), to: (670, 260), stroke: "#999")
        return canvas.document
    }
}
