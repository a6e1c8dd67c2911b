import EkyaCore

/// A trace file that could not be read; every case names the file and, where it applies, the line.
public enum TraceError: Error, Equatable, CustomStringConvertible, Sendable {
    case unreadable(file: String, reason: String)
    case missingColumns(file: String, columns: [String])
    case malformedRow(file: String, line: Int, reason: String)
    case empty(file: String)
    case unknownStreams(file: String, names: [String], known: [String])
    case missingPredictions(file: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            "cannot read trace '\(file)': \(reason)"
        case .missingColumns(let file, let columns):
            "\(file):1: header lacks column(s) \(columns.joined(separator: ", ")); expected the authors' "
                + "micro-profiler table or the canonical trace format (see docs/trace-format.md)"
        case .malformedRow(let file, let line, let reason):
            "\(file):\(line): \(reason)"
        case .empty(let file):
            "\(file): no data rows"
        case .unknownStreams(let file, let names, let known):
            "stream(s) \(names.joined(separator: ", ")) not in \(file); it has: \(known.joined(separator: ", "))"
        case .missingPredictions(let file):
            "\(file): --profiles predicted needs predicted accuracy and cost for every row, and some are missing"
        }
    }
}

/// Reads traces: the authors' micro-profiler table and the project's canonical trace format.
///
/// Canonical format (CSV, header required, one row per stream × window × configuration):
/// `stream,window,config,start_accuracy,end_accuracy,gpu_seconds[,predicted_end_accuracy,predicted_gpu_seconds]`.
/// Accuracies are fractions in 0...1; GPU-seconds are device-seconds at 100 % of one device.
/// The authors' table (`city,task_id,hp_id,epochs,accuracy_pred,runtime_pred,accuracy_actual,runtime_actual,
/// …,default_inference_acc_actual,…`) maps to stream = city, window = task_id, config = `hp<id>-<epochs>`,
/// start accuracy = the minimum of default_inference_acc_actual over the (stream, window)'s rows.
public enum TraceFormat {
    public static let canonicalHeader = [
        "stream", "window", "config", "start_accuracy", "end_accuracy", "gpu_seconds",
        "predicted_end_accuracy", "predicted_gpu_seconds",
    ]

    static let authorsColumns = [
        "city", "task_id", "hp_id", "epochs", "accuracy_pred", "runtime_pred", "accuracy_actual",
        "runtime_actual", "default_inference_acc_actual",
    ]

    /// Parses CSV text; `file` is only used in error messages.
    public static func parse(_ text: String, file: String) throws(TraceError) -> Trace {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        while let last = lines.last, trimmed(last).isEmpty { lines.removeLast() }
        guard let headerLine = lines.first else { throw .empty(file: file) }
        let header = headerLine.split(separator: ",", omittingEmptySubsequences: false).map(trimmed)
        let isAuthors = header.contains("city") && header.contains("hp_id")
        let required = isAuthors ? authorsColumns : Array(canonicalHeader.prefix(6))
        let missing = required.filter { !header.contains($0) }
        guard missing.isEmpty else { throw .missingColumns(file: file, columns: missing) }
        var column: [String: Int] = [:]
        for (index, name) in header.enumerated() where column[name] == nil { column[name] = index }

        struct Row {
            var stream: String
            var window: Int
            var start: Double
            var configuration: ConfigurationProfile
        }
        var rows: [Row] = []
        for (offset, line) in lines.enumerated().dropFirst() {
            let lineNumber = offset + 1
            if trimmed(line).isEmpty { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(trimmed)
            guard fields.count >= header.count else {
                throw .malformedRow(
                    file: file,
                    line: lineNumber,
                    reason: "expected \(header.count) fields, found \(fields.count)"
                )
            }
            func text(_ name: String) -> String { column[name].map { fields[$0] } ?? "" }
            func number(_ name: String, accuracy: Bool = false) throws(TraceError) -> Double {
                let raw = text(name)
                guard let value = Double(raw), value.isFinite else {
                    throw .malformedRow(file: file, line: lineNumber, reason: "\(name) '\(raw)' is not a finite number")
                }
                if accuracy, !(0...1).contains(value) {
                    throw .malformedRow(
                        file: file,
                        line: lineNumber,
                        reason: "\(name) \(value) is not an accuracy in 0...1"
                    )
                }
                if !accuracy, value < 0 {
                    throw .malformedRow(file: file, line: lineNumber, reason: "\(name) \(value) is a negative cost")
                }
                return value
            }
            func integer(_ name: String) throws(TraceError) -> Int {
                let raw = text(name)
                guard let value = Int(raw) else {
                    throw .malformedRow(file: file, line: lineNumber, reason: "\(name) '\(raw)' is not an integer")
                }
                return value
            }
            func optionalNumber(_ name: String, accuracy: Bool) throws(TraceError) -> Double? {
                text(name).isEmpty ? nil : try number(name, accuracy: accuracy)
            }

            if isAuthors {
                let stream = text("city")
                guard !stream.isEmpty else {
                    throw .malformedRow(file: file, line: lineNumber, reason: "empty city")
                }
                let name = "hp\(try integer("hp_id"))-\(try integer("epochs"))"
                rows.append(
                    Row(
                        stream: stream,
                        window: try integer("task_id"),
                        start: try number("default_inference_acc_actual", accuracy: true),
                        configuration: ConfigurationProfile(
                            name: name,
                            actual: RetrainingOutcome(
                                endAccuracy: try number("accuracy_actual", accuracy: true),
                                gpuSeconds: try number("runtime_actual")
                            ),
                            predicted: RetrainingOutcome(
                                endAccuracy: try number("accuracy_pred", accuracy: true),
                                gpuSeconds: try number("runtime_pred")
                            )
                        )
                    )
                )
            } else {
                let stream = text("stream")
                let name = text("config")
                guard !stream.isEmpty, !name.isEmpty else {
                    throw .malformedRow(file: file, line: lineNumber, reason: "empty stream or config")
                }
                let predictedAccuracy = try optionalNumber("predicted_end_accuracy", accuracy: true)
                let predictedCost = try optionalNumber("predicted_gpu_seconds", accuracy: false)
                if (predictedAccuracy == nil) != (predictedCost == nil) {
                    throw .malformedRow(
                        file: file,
                        line: lineNumber,
                        reason: "give both predicted_end_accuracy and predicted_gpu_seconds, or neither"
                    )
                }
                let predicted = predictedAccuracy.flatMap { accuracy in
                    predictedCost.map { RetrainingOutcome(endAccuracy: accuracy, gpuSeconds: $0) }
                }
                rows.append(
                    Row(
                        stream: stream,
                        window: try integer("window"),
                        start: try number("start_accuracy", accuracy: true),
                        configuration: ConfigurationProfile(
                            name: name,
                            actual: RetrainingOutcome(
                                endAccuracy: try number("end_accuracy", accuracy: true),
                                gpuSeconds: try number("gpu_seconds")
                            ),
                            predicted: predicted
                        )
                    )
                )
            }
        }
        guard !rows.isEmpty else { throw .empty(file: file) }

        var order: [String] = []
        var grouped: [String: StreamWindowProfile] = [:]
        for row in rows {
            let key = "\(row.stream)\u{1F}\(row.window)"
            if var profile = grouped[key] {
                // The authors' rule: rows were measured on different test samples; take the minimum.
                profile.startAccuracy = min(profile.startAccuracy, row.start)
                profile.configurations.append(row.configuration)
                grouped[key] = profile
            } else {
                order.append(key)
                grouped[key] = StreamWindowProfile(
                    stream: row.stream,
                    window: row.window,
                    startAccuracy: row.start,
                    configurations: [row.configuration]
                )
            }
        }
        return Trace(profiles: order.compactMap { grouped[$0] })
    }

    /// Renders a trace in the canonical format.
    public static func render(_ trace: Trace) -> String {
        var lines = [canonicalHeader.joined(separator: ",")]
        for profile in trace.profiles {
            for configuration in profile.configurations {
                var fields = [
                    profile.stream, String(profile.window), configuration.name,
                    format(profile.startAccuracy), format(configuration.actual.endAccuracy),
                    format(configuration.actual.gpuSeconds),
                ]
                if let predicted = configuration.predicted {
                    fields += [format(predicted.endAccuracy), format(predicted.gpuSeconds)]
                } else {
                    fields += ["", ""]
                }
                lines.append(fields.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func format(_ value: Double) -> String {
        String(value)
    }

    private static func trimmed(_ text: some StringProtocol) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\u{FEFF}" }
        return String(text.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
