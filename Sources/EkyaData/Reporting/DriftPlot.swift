import EkyaCore
import Foundation

/// Renders a stream's drift report as a self-contained SVG line chart.
///
/// The x axis is the window. Grey bars show the drift severity; when accuracies are present, a red line
/// shows the stale (window-0) model and a green line the model retrained on each window.
public enum DriftPlot {
    /// The SVG document for `reports`, titled `title`.
    public static func svg(_ reports: [WindowReport], title: String) -> String {
        let width = 720.0
        let height = 360.0
        let left = 60.0
        let right = 20.0
        let top = 60.0
        let bottom = 50.0
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        let count = max(reports.count, 1)
        let step = plotWidth / Double(count)
        func x(_ index: Int) -> Double { left + step * (Double(index) + 0.5) }
        func y(_ value: Double) -> Double { top + plotHeight * (1 - min(max(value, 0), 1)) }
        func format(_ value: Double) -> String { String(format: "%.1f", value) }

        var svg = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
                + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(format(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">\(TextFormat.xmlEscaped(title))</text>",
        ]
        // Grid and y labels (0 %...100 %).
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            svg.append(
                "<line x1=\"\(format(left))\" y1=\"\(format(y(tick)))\" x2=\"\(format(width - right))\" "
                    + "y2=\"\(format(y(tick)))\" stroke=\"#ddd\"/>"
            )
            svg.append(
                "<text x=\"\(format(left - 6))\" y=\"\(format(y(tick) + 4))\" text-anchor=\"end\">"
                    + "\(Int(tick * 100))%</text>"
            )
        }
        // Severity bars and x labels.
        for (index, report) in reports.enumerated() {
            let barWidth = step * 0.6
            svg.append(
                "<rect x=\"\(format(x(index) - barWidth / 2))\" y=\"\(format(y(report.severity)))\" "
                    + "width=\"\(format(barWidth))\" height=\"\(format(plotHeight * min(max(report.severity, 0), 1)))\" "
                    + "fill=\"#bbb\" fill-opacity=\"0.6\"/>"
            )
            svg.append(
                "<text x=\"\(format(x(index)))\" y=\"\(format(height - bottom + 18))\" text-anchor=\"middle\">"
                    + "\(report.window)</text>"
            )
        }
        svg.append(
            "<text x=\"\(format(left + plotWidth / 2))\" y=\"\(format(height - 12))\" text-anchor=\"middle\">window</text>"
        )
        // Accuracy lines.
        let series: [(String, String, KeyPath<WindowReport, Double?>)] = [
            ("stale model (trained on window 0)", "#c0392b", \.staleAccuracy),
            ("retrained on each window", "#27ae60", \.retrainedAccuracy),
        ]
        var legend = [("drift severity", "#bbb")]
        for (name, colour, keyPath) in series {
            let points = reports.enumerated().compactMap { index, report in
                report[keyPath: keyPath].map { "\(format(x(index))),\(format(y($0)))" }
            }
            guard !points.isEmpty else { continue }
            legend.append((name, colour))
            svg.append(
                "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"\(colour)\" "
                    + "stroke-width=\"2\"/>"
            )
            for point in points {
                let xy = point.split(separator: ",")
                svg.append("<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"3\" fill=\"\(colour)\"/>")
            }
        }
        for (index, entry) in legend.enumerated() {
            let legendX = left + 10 + Double(index) * 220
            svg.append(
                "<rect x=\"\(format(legendX))\" y=\"30\" width=\"12\" height=\"12\" fill=\"\(entry.1)\"/>"
            )
            svg.append("<text x=\"\(format(legendX + 18))\" y=\"40\">\(TextFormat.xmlEscaped(entry.0))</text>")
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

}
