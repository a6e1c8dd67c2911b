import Foundation

/// What `ekya data describe` prints for one window: class mix, drift severities and, when a training
/// backend is available, the accuracy of a stale (window-0) model next to a model retrained on the window.
public struct WindowReport: Sendable, Equatable, Codable {
    /// Window index.
    public var window: Int
    /// Observed share of each class among the window's crops, by class name.
    public var classMix: [String: Double]
    /// Corruption severities in force.
    public var covariate: CovariateSeverities
    /// Total-variation distance of the class mix from window 0's, in `0...1`.
    public var labelShift: Double
    /// Fraction of classes whose appearance changed.
    public var appearanceShift: Double
    /// Largest of the covariate severities, the label shift and the appearance shift.
    public var severity: Double
    /// Test accuracy of the model trained on window 0 (nil without a training backend).
    public var staleAccuracy: Double?
    /// Test accuracy of a model retrained on this window's train crops (nil without a training backend).
    public var retrainedAccuracy: Double?
    /// Accuracy of the model teacher's labels on this window's test crops (nil unless measured).
    public var teacherAccuracy: Double?

    /// Builds the data part of the report of `window`, relative to the stream's first window.
    public init(window: StreamWindow, reference: DriftState, classNames: [String]) {
        let counts = window.train.classCounts(classCount: classNames.count)
        let testCounts = window.test.classCounts(classCount: classNames.count)
        let total = max(1, counts.reduce(0, +) + testCounts.reduce(0, +))
        var mix: [String: Double] = [:]
        for (index, name) in classNames.enumerated() {
            mix[name] = Double(counts[index] + testCounts[index]) / Double(total)
        }
        self.window = window.index
        self.classMix = mix
        self.covariate = window.drift.covariate
        self.labelShift = window.drift.labelShift(from: reference)
        self.appearanceShift = window.drift.appearanceShift
        self.severity = window.drift.severity(relativeTo: reference)
        self.staleAccuracy = nil
        self.retrainedAccuracy = nil
        self.teacherAccuracy = nil
    }

    enum CodingKeys: String, CodingKey {
        case window
        case classMix = "class_mix"
        case covariate
        case labelShift = "label_shift"
        case appearanceShift = "appearance_shift"
        case severity
        case staleAccuracy = "stale_accuracy"
        case retrainedAccuracy = "retrained_accuracy"
        case teacherAccuracy = "teacher_accuracy"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(window, forKey: .window)
        try container.encode(classMix, forKey: .classMix)
        try container.encode(covariate, forKey: .covariate)
        try container.encode(labelShift, forKey: .labelShift)
        try container.encode(appearanceShift, forKey: .appearanceShift)
        try container.encode(severity, forKey: .severity)
        // Always present (null without a backend) so consumers can rely on the keys.
        try container.encode(staleAccuracy, forKey: .staleAccuracy)
        try container.encode(retrainedAccuracy, forKey: .retrainedAccuracy)
        try container.encodeIfPresent(teacherAccuracy, forKey: .teacherAccuracy)
    }
}

extension WindowReport {
    /// The reports as a pretty-printed JSON array with sorted keys.
    public static func json(_ reports: [WindowReport]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(reports), as: UTF8.self)
    }

    /// The reports as an aligned text table: window, severities, accuracies (percent) and the top classes.
    public static func table(_ reports: [WindowReport], classNames: [String]) -> String {
        let hasTeacher = reports.contains { $0.teacherAccuracy != nil }
        func percent(_ value: Double?) -> String {
            guard let value else { return "    -" }
            return String(format: "%5.1f", value * 100)
        }
        var lines = [
            "window  severity  night   fog  blur  rain  jpeg  occl  label  look  stale  retrained"
                + (hasTeacher ? "  teacher" : "") + "  class mix (top 4)"
        ]
        for report in reports {
            let top = classNames.sorted { (report.classMix[$0] ?? 0) > (report.classMix[$1] ?? 0) }.prefix(4)
            let mix = top.map { "\($0) \(Int(((report.classMix[$0] ?? 0) * 100).rounded()))%" }
            let covariate = report.covariate
            let severities = [
                covariate.night, covariate.fog, covariate.motionBlur, covariate.rain, covariate.compression,
                covariate.occlusion,
            ]
            .map { String(format: "%.2f", $0) }
            var line = String(format: "%6d  %8.2f  ", report.window, report.severity)
            line += severities.joined(separator: "  ")
            line += String(format: "  %5.2f  %4.2f  ", report.labelShift, report.appearanceShift)
            line += percent(report.staleAccuracy) + "      " + percent(report.retrainedAccuracy)
            if hasTeacher { line += "    " + percent(report.teacherAccuracy) }
            line += "  " + mix.joined(separator: ", ")
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
