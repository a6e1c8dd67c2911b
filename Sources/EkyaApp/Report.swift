import EkyaCore
import EkyaSimulation
import Foundation

/// Renders experiment results as CSV, a console table, JSON and an SVG line plot.
enum Report {
    static func csv(_ rows: [ExperimentRow]) -> String {
        var lines = ["scheduler,streams,gpus,window,mean_accuracy,decision_ms"]
        for row in rows {
            lines.append(
                "\(row.scheduler),\(row.streams),\(row.gpus),\(row.window),"
                    + "\(String(format: "%.6f", row.meanAccuracy)),\(String(format: "%.3f", row.decisionMilliseconds))"
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func table(_ summary: ExperimentSummary, rows: [ExperimentRow]) -> String {
        let headers = ["streams", "gpus"] + summary.schedulers
        var body: [[String]] = []
        for cell in summary.cells {
            var line = [String(cell.streams), String(cell.gpus)]
            for scheduler in summary.schedulers {
                line.append(summary.accuracy[scheduler]?[cell].map { String(format: "%.1f", $0 * 100) } ?? "-")
            }
            body.append(line)
        }
        body.append(["mean", ""] + summary.schedulers.map { String(format: "%.1f", summary.average($0) * 100) })
        let widths = headers.indices.map { column in
            max(headers[column].count, body.map { $0[column].count }.max() ?? 0)
        }
        func render(_ fields: [String]) -> String {
            fields.enumerated().map { index, field in
                String(repeating: " ", count: widths[index] - field.count) + field
            }.joined(separator: "  ")
        }
        var lines = ["Mean accuracy (%) over windows", render(headers)]
        lines += body.map(render)
        let reference = ExperimentSummary.bestUniform
        if summary.accuracy[reference] != nil {
            let margins = summary.schedulers.filter { $0 != reference && !$0.hasPrefix("uniform:") }.compactMap {
                scheduler in
                summary.worstMargin(of: scheduler, over: reference).map {
                    "\(scheduler) \(String(format: "%+.1f", $0 * 100))"
                }
            }
            lines.append("worst cell vs best-uniform (points): " + margins.joined(separator: ", "))
            // Against every fixed baseline, not only the best in hindsight: how many each scheduler matches per cell.
            for scheduler in summary.schedulers where scheduler != reference && !scheduler.hasPrefix("uniform:") {
                let counts = summary.cells.map { summary.uniformBaselinesMatched(by: scheduler, in: $0) }
                lines.append(
                    "\(scheduler): at or above \(counts.map { String($0.matched) }.joined(separator: " ")) of "
                        + "\(counts.first?.of ?? 0) fixed baselines, per cell"
                )
            }
        }
        let lost = rows.filter { $0.placementLoss > 1e-9 }
        if !lost.isEmpty {
            let worst = lost.map(\.placementLoss).max() ?? 0
            lines.append(
                "note: device placement lost accuracy in \(lost.count) window plan(s) (worst \(String(format: "%.2f", worst * 100)) points)"
            )
        }
        return lines.joined(separator: "\n")
    }

    static func calibration(_ report: CalibrationReport, scheduler: String) -> String {
        var lines = [
            "Prediction error per window, before (none) and after calibration on the outcomes of \(scheduler)'s jobs",
            "window  scope   learnt-from  accuracy-MAE(points)  cost-median-|ratio-1|",
        ]
        for row in report.rows {
            lines.append(
                String(format: "%6d  ", row.window)
                    + row.scope.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)
                    + String(format: "  %11d  %20.2f  %21.2f", row.samples, row.accuracyError, row.costError)
            )
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ summary: ExperimentSummary) -> String {
        var cells: [String] = []
        for cell in summary.cells {
            let values = summary.schedulers.map { scheduler in
                "\"\(scheduler)\": \(String(format: "%.6f", summary.accuracy[scheduler]?[cell] ?? 0))"
            }
            cells.append("{\"streams\": \(cell.streams), \"gpus\": \(cell.gpus), \(values.joined(separator: ", "))}")
        }
        let averages = summary.schedulers.map { "\"\($0)\": \(String(format: "%.6f", summary.average($0)))" }
        return "{\"cells\": [\(cells.joined(separator: ", "))], \"mean\": {\(averages.joined(separator: ", "))}}"
    }

    /// One panel per device count, accuracy (%) against stream count, one line per scheduler.
    ///
    /// With a single stream count, one panel with accuracy against device count.
    static func svg(_ summary: ExperimentSummary, title: String) -> String {
        let streamCounts = Array(Set(summary.cells.map(\.streams))).sorted()
        let gpuCounts = Array(Set(summary.cells.map(\.gpus))).sorted()
        let byDevices = streamCounts.count == 1
        let panels: [(label: String, xs: [Int], value: (String, Int) -> Double?)] =
            byDevices
            ? [
                (
                    "\(streamCounts[0]) streams", gpuCounts,
                    { summary.accuracy[$0]?[ExperimentSummary.Cell(streams: streamCounts[0], gpus: $1)] }
                )
            ]
            : gpuCounts.map { gpus in
                (
                    "\(gpus) GPU\(gpus == 1 ? "" : "s")", streamCounts,
                    { summary.accuracy[$0]?[ExperimentSummary.Cell(streams: $1, gpus: gpus)] }
                )
            }
        let palette = [
            "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
        ]
        let panelWidth = 300.0
        let panelHeight = 240.0
        let left = 50.0
        let top = 50.0
        let width = left + Double(panels.count) * (panelWidth + 30) + 200
        let height = top + panelHeight + 70
        let values = summary.accuracy.values.flatMap(\.values)
        let low = max(0, ((values.min() ?? 0) * 100 / 10).rounded(.down) * 10)
        let high = min(100, ((values.max() ?? 1) * 100 / 10).rounded(.up) * 10)
        let span = max(high - low, 10)
        var canvas = SVGCanvas(width: width, height: height)
        canvas.text(title, x: left, y: 22, size: 15)
        for (panelIndex, panel) in panels.enumerated() {
            let x0 = left + Double(panelIndex) * (panelWidth + 30)
            let xs = panel.xs
            func px(_ index: Int) -> Double {
                xs.count == 1 ? x0 + panelWidth / 2 : x0 + Double(index) / Double(xs.count - 1) * panelWidth
            }
            func py(_ accuracy: Double) -> Double { top + panelHeight - (accuracy * 100 - low) / span * panelHeight }
            canvas.rect(x: x0, y: top, width: panelWidth, height: panelHeight, stroke: "#999")
            canvas.text(panel.label, x: x0 + 5, y: top - 6)
            for tick in stride(from: low, through: high, by: 10) {
                let y = top + panelHeight - (tick - low) / span * panelHeight
                canvas.line(from: (x0, y), to: (x0 + panelWidth, y), stroke: "#eee")
                canvas.text("\(Int(tick))", x: x0 - 30, y: y + 4)
            }
            for (index, x) in xs.enumerated() {
                canvas.text("\(x)", x: px(index) - 4, y: top + panelHeight + 16)
            }
            canvas.text(byDevices ? "GPUs" : "streams", x: x0 + panelWidth / 2 - 30, y: top + panelHeight + 34)
            for (schedulerIndex, scheduler) in summary.schedulers.enumerated() {
                let points = xs.enumerated().compactMap { index, x in
                    panel.value(scheduler, x).map { (x: px(index), y: py($0)) }
                }
                canvas.polyline(points, stroke: palette[schedulerIndex % palette.count], markers: 3)
            }
        }
        canvas.legend(
            summary.schedulers.enumerated().map { ($1, palette[$0 % palette.count]) },
            x: left + Double(panels.count) * (panelWidth + 30),
            y: top + 14,
            swatch: .line
        )
        canvas.text("mean accuracy (%) over windows", x: left, y: height - 8, fill: "#555")
        return canvas.document
    }

}
