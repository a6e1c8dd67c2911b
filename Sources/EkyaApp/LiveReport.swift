import EkyaCore
import EkyaRuntime
import Foundation

/// Renders live runs: per-window table, comparison, JSON, SVG plot and canonical trace rows.
enum LiveReport {
    static func table(_ report: LiveRunReport, streams: [String]) -> String {
        var lines = ["Live run [\(report.scheduler)]: measured accuracy per window (model prediction), config, swap"]
        for window in report.windows {
            var cells: [String] = []
            for record in window.streams {
                let config = record.configuration ?? "-"
                // ⇄p: the profiled model swapped in when profiling ended; ⇄: the retrained model.
                let early = record.profileSwapTime.map { "⇄p\(Int($0))s " } ?? ""
                // ⇄r: models refined with idle capacity (count × last swap).
                let refined =
                    record.refinedSwapTimes.last.map { " ⇄r\(record.refinedSwapTimes.count)×\(Int($0))s" } ?? ""
                // ⇄e: the running retraining job's best epochs so far (count × first), before it finished.
                let epochs =
                    record.epochSwapTimes.first.map { "⇄e\(record.epochSwapTimes.count)×\(Int($0))s " } ?? ""
                let swap =
                    early + epochs + (record.swapTime.map { "⇄\(Int($0))s" } ?? (record.refusedSwap ? "refused" : ""))
                    + refined
                cells.append(
                    "\(record.stream) \(TextFormat.percent(record.measuredAccuracy)) (\(TextFormat.percent(record.simulatedAccuracy))) \(config) \(swap)"
                )
            }
            lines.append(
                "w\(window.window): " + cells.joined(separator: " | ")
                    + String(
                        format: " || mean %@ (model %@), delay %.1fs, labels %@ right (%.1f device-s), "
                            + "profiled %d/%d configurations, profiling %.1f device-s = %.0f%% of exhaustive",
                        TextFormat.percent(window.meanMeasured),
                        TextFormat.percent(window.meanSimulated),
                        window.delay,
                        TextFormat.percent(
                            window.streams.map(\.labelAccuracy).reduce(0, +) / Double(max(1, window.streams.count))
                        ),
                        window.labellingCost,
                        window.profiledConfigurations,
                        window.totalConfigurations,
                        window.profilingCost,
                        window.exhaustiveCost > 0 ? window.profilingCost / window.exhaustiveCost * 100 : 0
                    )
            )
        }
        lines.append(
            String(
                format: "mean accuracy %@, max share error %.3f, mean |measured − model| %.2f points",
                TextFormat.percent(report.meanAccuracy),
                report.maxShareError,
                report.meanPredictionError
            )
        )
        return lines.joined(separator: "\n")
    }

    static func comparison(_ reports: [LiveRunReport]) -> String {
        var lines = ["Comparison on the same streams, data and seed (mean accuracy over windows):"]
        for report in reports {
            lines.append(
                "  \(report.scheduler.padding(toLength: 24, withPad: " ", startingAt: 0)) \(TextFormat.percent(report.meanAccuracy))"
            )
        }
        if let ekya = reports.first, let best = bestUniform(reports) {
            lines.append(
                String(
                    format: "Ekya (%@) − best uniform (%@) = %+.1f points",
                    ekya.scheduler,
                    best.scheduler,
                    (ekya.meanAccuracy - best.meanAccuracy) * 100
                )
            )
        }
        return lines.joined(separator: "\n")
    }

    static func bestUniform(_ reports: [LiveRunReport]) -> LiveRunReport? {
        reports.dropFirst().filter { $0.scheduler.hasPrefix("uniform") }.max { $0.meanAccuracy < $1.meanAccuracy }
    }

    static func json(_ reports: [LiveRunReport], streams: [(name: String, source: String)] = []) -> String {
        guard let ekya = reports.first else { return "{}" }
        let best = bestUniform(reports)
        var fields = [
            "\"ekya_scheduler\": \"\(ekya.scheduler)\"",
            "\"ekya_mean_accuracy\": \(String(format: "%.6f", ekya.meanAccuracy))",
            "\"best_uniform_mean_accuracy\": \(best.map { String(format: "%.6f", $0.meanAccuracy) } ?? "null")",
            "\"best_uniform_name\": \(best.map { "\"\($0.scheduler)\"" } ?? "null")",
            "\"max_share_error\": \(String(format: "%.6f", ekya.maxShareError))",
            "\"mean_prediction_error\": \(String(format: "%.4f", ekya.meanPredictionError))",
            "\"windows\": \(ekya.windows.count)",
            "\"streams\": [\(streams.map { "{\"name\": \(jsonText($0.name)), \"source\": \(jsonText($0.source))}" }.joined(separator: ", "))]",
        ]
        let all = reports.map { "\"\($0.scheduler)\": \(String(format: "%.6f", $0.meanAccuracy))" }
        fields.append("\"mean_accuracy\": {\(all.joined(separator: ", "))}")
        return "{\(fields.joined(separator: ", "))}"
    }

    /// Realised outcomes as canonical trace rows (only configurations that actually ran have actuals).
    static func trace(_ report: LiveRunReport) -> String {
        var lines = [TraceFormatHeader.line]
        let starts = Dictionary(
            report.windows.flatMap { window in
                window.streams.map { ("\($0.stream)|\(window.window)", $0.startAccuracy) }
            },
            uniquingKeysWith: { first, _ in first }
        )
        for outcome in report.outcomes {
            let start = starts["\(outcome.stream)|\(outcome.window)"] ?? 0
            lines.append(
                [
                    outcome.stream, String(outcome.window), outcome.configuration, String(start),
                    String(outcome.actual.endAccuracy), String(outcome.actual.gpuSeconds),
                    String(outcome.predicted.endAccuracy), String(outcome.predicted.gpuSeconds),
                ].joined(separator: ",")
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Accuracy over time per stream (one panel), model swaps as markers, window boundaries dashed.
    static func svg(_ report: LiveRunReport, windowSeconds: Double) -> String {
        let width = 900.0
        let height = 360.0
        let left = 50.0
        let top = 40.0
        let plotWidth = 640.0
        let plotHeight = 260.0
        let total = windowSeconds * Double(report.windows.count)
        let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
        func x(_ time: Double) -> Double { left + time / max(total, 1) * plotWidth }
        func y(_ accuracy: Double) -> Double { top + plotHeight - accuracy * plotHeight }
        var canvas = SVGCanvas(width: width, height: height)
        canvas.text(
            "Ekya live run [\(report.scheduler)]: accuracy per stream (5 s moving average), ▲ = model swap",
            x: left,
            y: 22,
            size: 15
        )
        canvas.rect(x: left, y: top, width: plotWidth, height: plotHeight, stroke: "#999")
        for tick in stride(from: 0.0, through: 1.0, by: 0.2) {
            canvas.line(from: (left, y(tick)), to: (left + plotWidth, y(tick)), stroke: "#eee")
            canvas.text("\(Int((tick * 100).rounded()))%", x: left - 32, y: y(tick) + 4)
        }
        for window in 0...report.windows.count {
            let position = x(Double(window) * windowSeconds)
            canvas.line(from: (position, top), to: (position, top + plotHeight), stroke: "#bbb", dash: "4 3")
            if window < report.windows.count {
                canvas.text("w\(window + 1)", x: position + 4, y: top + plotHeight + 16)
            }
        }
        let streams = report.timeline.keys.sorted()
        for (index, stream) in streams.enumerated() {
            let color = palette[index % palette.count]
            let samples = report.timeline[stream] ?? []
            let points = samples.indices.map { position in
                let range = max(0, position - 4)...position
                let mean = range.map { samples[$0].accuracy }.reduce(0, +) / Double(range.count)
                return (x: x(samples[position].time), y: y(mean))
            }
            canvas.polyline(points, stroke: color, width: 1.5)
            for swap in report.swaps[stream] ?? [] {
                canvas.text("▲", x: x(swap) - 5, y: top + 12 + Double(index) * 12, fill: color)
            }
        }
        canvas.legend(
            streams.enumerated().map { ($1, palette[$0 % palette.count]) },
            x: left + plotWidth + 20,
            y: top + 14,
            swatch: .line
        )
        canvas.text("time (s)", x: left + plotWidth / 2 - 40, y: height - 10)
        return canvas.document
    }

}

/// The canonical trace header, shared with the simulator's format.
enum TraceFormatHeader {
    static let line =
        "stream,window,config,start_accuracy,end_accuracy,gpu_seconds,predicted_end_accuracy,predicted_gpu_seconds"
}

/// A JSON string literal.
func jsonText(_ text: String) -> String {
    guard let data = try? JSONEncoder().encode(text) else { return "\"\"" }
    return String(decoding: data, as: UTF8.self)
}
