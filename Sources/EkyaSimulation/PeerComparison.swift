import EkyaCore

/// A CSV file of the peer harness: a header naming columns, then rows read by column name.
struct PeerCSV {
    var rows: [(line: Int, field: (String) -> String)]

    init(_ text: String, file: String, needs columns: [String]) throws(TraceError) {
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init) else {
            throw .empty(file: file)
        }
        let missing = columns.filter { !header.contains($0) }
        guard missing.isEmpty else { throw .missingColumns(file: file, columns: missing) }
        var column: [String: Int] = [:]
        for (index, name) in header.enumerated() where column[name] == nil { column[name] = index }
        rows = lines.enumerated().dropFirst().map { offset, line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return (
                offset + 1,
                { name in
                    guard let index = column[name], index < fields.count else { return "" }
                    return fields[index]
                }
            )
        }
    }
}

/// The authors' simulator's results as the peer harness (`shared/tools/ekya_peer`) writes them.
public struct PeerSummary: Sendable, Equatable {
    /// One row of `summary.csv`: a scheduler's mean accuracy on one cell in one mode.
    public struct Row: Sendable, Equatable {
        public var mode: ProfileSource
        public var streams: Int
        public var gpus: Int
        public var scheduler: String
        public var meanAccuracy: Double
    }

    public var rows: [Row]

    /// The harness's mode names: `oracle`, `pred` (predicted accuracy and cost), `predacc` (predicted accuracy).
    public static func mode(_ name: String) -> ProfileSource? {
        switch name {
        case "oracle": .oracle
        case "pred": .predicted
        case "predacc": .predictedAccuracy
        default: nil
        }
    }

    /// Parses `summary.csv`; `file` is only used in error messages.
    public static func parse(_ text: String, file: String) throws(TraceError) -> PeerSummary {
        let csv = try PeerCSV(text, file: file, needs: ["mode", "k", "gpus", "scheduler", "mean_acc"])
        var rows: [Row] = []
        for (line, field) in csv.rows {
            guard let mode = mode(field("mode")) else {
                throw .malformedRow(
                    file: file,
                    line: line,
                    reason: "mode '\(field("mode"))' is not oracle, pred or predacc"
                )
            }
            guard let streams = Int(field("k")), streams > 0,
                let gpus = Double(field("gpus")), gpus >= 1, gpus.rounded() == gpus,
                let accuracy = Double(field("mean_acc")), (0...1).contains(accuracy)
            else {
                throw .malformedRow(
                    file: file,
                    line: line,
                    reason: "k, gpus must be positive whole numbers and mean_acc an accuracy in 0...1"
                )
            }
            rows.append(
                Row(
                    mode: mode,
                    streams: streams,
                    gpus: Int(gpus),
                    scheduler: field("scheduler"),
                    meanAccuracy: accuracy
                )
            )
        }
        guard !rows.isEmpty else { throw .empty(file: file) }
        return PeerSummary(rows: rows)
    }
}

/// The configuration the peer's scheduler chose per stream and window (`decisions.csv`).
public struct PeerDecisions: Sendable, Equatable {
    public struct Key: Hashable, Sendable {
        public var mode: ProfileSource
        public var streams: Int
        public var gpus: Int
        public var window: Int
        public var stream: Int

        public init(mode: ProfileSource, streams: Int, gpus: Int, window: Int, stream: Int) {
            self.mode = mode
            self.streams = streams
            self.gpus = gpus
            self.window = window
            self.stream = stream
        }
    }

    /// Configuration names in our spelling (`hp4-15` for their `4_15`); nil where the stream kept its model.
    public var configurations: [Key: String?]

    public static func parse(_ text: String, file: String, scheduler: String) throws(TraceError) -> PeerDecisions {
        let csv = try PeerCSV(
            text,
            file: file,
            needs: ["mode", "k", "gpus", "scheduler", "window", "stream", "config"]
        )
        var configurations: [Key: String?] = [:]
        for (line, field) in csv.rows {
            guard field("scheduler") == scheduler else { continue }
            guard let mode = PeerSummary.mode(field("mode")), let streams = Int(field("k")),
                let gpus = Double(field("gpus")), let window = Int(field("window")), let stream = Int(field("stream"))
            else {
                throw .malformedRow(file: file, line: line, reason: "mode, k, gpus, window or stream unreadable")
            }
            let name = field("config")
            let key = Key(mode: mode, streams: streams, gpus: Int(gpus), window: window, stream: stream)
            configurations[key] = name.isEmpty ? nil : "hp" + String(name.map { $0 == "_" ? "-" : $0 })
        }
        return PeerDecisions(configurations: configurations)
    }
}

/// Ours beside theirs, cell by cell.
public struct PeerComparison: Sendable {
    public struct Cell: Sendable, Equatable {
        public var mode: ProfileSource
        public var streams: Int
        public var gpus: Int
        public var peer: Double
        /// Our accuracy per scheduler name, in the order the schedulers were given.
        public var ours: [(scheduler: String, accuracy: Double)]

        public init(
            mode: ProfileSource,
            streams: Int,
            gpus: Int,
            peer: Double,
            ours: [(scheduler: String, accuracy: Double)]
        ) {
            self.mode = mode
            self.streams = streams
            self.gpus = gpus
            self.peer = peer
            self.ours = ours
        }

        public static func == (left: Cell, right: Cell) -> Bool {
            left.mode == right.mode && left.streams == right.streams && left.gpus == right.gpus
                && left.peer == right.peer && left.ours.map(\.scheduler) == right.ours.map(\.scheduler)
                && left.ours.map(\.accuracy) == right.ours.map(\.accuracy)
        }

        /// Ours minus theirs, in accuracy points.
        public func difference(_ scheduler: String) -> Double? {
            ours.first { $0.scheduler == scheduler }.map { 100 * ($0.accuracy - peer) }
        }
    }

    public var peerScheduler: String
    public var cells: [Cell]
    /// Per scheduler of ours: stream-windows whose configuration equals the peer's, and how many were compared.
    public var matchingConfigurations: [(scheduler: String, matching: Int, compared: Int)]

    public init(
        peerScheduler: String,
        cells: [Cell],
        matchingConfigurations: [(scheduler: String, matching: Int, compared: Int)] = []
    ) {
        self.peerScheduler = peerScheduler
        self.cells = cells
        self.matchingConfigurations = matchingConfigurations
    }

    /// Largest |ours − theirs| in points over all cells, per scheduler.
    public func maximumAbsoluteDifference(_ scheduler: String) -> Double? {
        cells.compactMap { $0.difference(scheduler).map(abs) }.max()
    }
}
