import EkyaCore

/// Renders a stream's drift report as a self-contained SVG line chart.
///
/// The x axis is the window. Grey bars show the drift severity; when accuracies are present, a red line
/// shows the stale (window-0) model and a green line the model retrained on each window.
public enum DriftPlot {
    /// The SVG document for `reports`, titled `title`.
    public static func svg(_ reports: [WindowReport], title: String) -> String {
        let left = 60.0
        let right = 20.0
        let top = 60.0
        let bottom = 50.0
        var canvas = SVGCanvas(width: 720, height: 360)
        let plotWidth = canvas.width - left - right
        let plotHeight = canvas.height - top - bottom
        let step = plotWidth / Double(max(reports.count, 1))
        func x(_ index: Int) -> Double { left + step * (Double(index) + 0.5) }
        func y(_ value: Double) -> Double { top + plotHeight * (1 - min(max(value, 0), 1)) }

        canvas.text(title, x: canvas.width / 2, y: 20, anchor: .middle, size: 15)
        // Grid and y labels (0 %...100 %).
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            canvas.line(from: (left, y(tick)), to: (canvas.width - right, y(tick)), stroke: "#ddd")
            canvas.text("\(Int(tick * 100))%", x: left - 6, y: y(tick) + 4, anchor: .end)
        }
        // Severity bars and x labels.
        for (index, report) in reports.enumerated() {
            let barWidth = step * 0.6
            canvas.rect(
                x: x(index) - barWidth / 2,
                y: y(report.severity),
                width: barWidth,
                height: plotHeight * min(max(report.severity, 0), 1),
                fill: "#bbb",
                opacity: 0.6
            )
            canvas.text("\(report.window)", x: x(index), y: canvas.height - bottom + 18, anchor: .middle)
        }
        canvas.text("window", x: left + plotWidth / 2, y: canvas.height - 12, anchor: .middle)
        // Accuracy lines.
        let series: [(String, String, KeyPath<WindowReport, Double?>)] = [
            ("stale model (trained on window 0)", "#c0392b", \.staleAccuracy),
            ("retrained on each window", "#27ae60", \.retrainedAccuracy),
        ]
        var legend = [(label: "drift severity", colour: "#bbb")]
        for (name, colour, keyPath) in series {
            let points = reports.enumerated().compactMap { index, report in
                report[keyPath: keyPath].map { (x: x(index), y: y($0)) }
            }
            guard !points.isEmpty else { continue }
            legend.append((name, colour))
            canvas.polyline(points, stroke: colour, markers: 3)
        }
        canvas.legend(legend, x: left + 10, y: 40, swatch: .square, across: 220)
        return canvas.document
    }
}
