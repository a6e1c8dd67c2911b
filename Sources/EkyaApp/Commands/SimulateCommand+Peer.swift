import ArgumentParser
import EkyaCore
import EkyaSimulation
import Foundation

/// `ekya simulate --compare-peer DIR`: the same cells as the peer harness, ours minus theirs.
extension SimulateCommand {
    /// The harness's default cities (`run_peer.py`), used when its `run_meta.json` is absent.
    static let peerCities = ["zurich", "aachen", "bochum", "bremen", "cologne", "darmstadt"]

    /// What the harness ran with, from `run_meta.json` (cities, window, delay, tasks).
    struct PeerRun {
        var cities = SimulateCommand.peerCities
        var window: Int
        var delay: Double
        var tasks = [1, 2, 3]
    }

    func peerRun(directory: String) throws -> PeerRun {
        var run = PeerRun(window: window, delay: delay)
        let path = (directory as NSString).appendingPathComponent("run_meta.json")
        guard FileManager.default.fileExists(atPath: path) else { return run }
        let text = try FileIO.read(path)
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let arguments = object["args"] as? [String: Any]
        else {
            throw ValidationError("\(path) is not the peer harness's run_meta.json (no \"args\" object)")
        }
        if let cities = arguments["cities"] as? [String], !cities.isEmpty { run.cities = cities }
        if let period = arguments["period"] as? Int, period > 0 { run.window = period }
        if let delay = arguments["delay"] as? Double { run.delay = delay }
        if let tasks = arguments["tasks"] as? [Int], !tasks.isEmpty { run.tasks = tasks }
        return run
    }

    func runPeerComparison(directory: String) throws {
        let summaryPath = (directory as NSString).appendingPathComponent("summary.csv")
        guard FileManager.default.fileExists(atPath: summaryPath) else {
            throw ValidationError(
                "\(summaryPath) does not exist: run ../shared/tools/ekya_peer/run_peer.py --out \(directory) first"
            )
        }
        let peer = try PeerSummary.parse(try FileIO.read(summaryPath), file: summaryPath)
        let peerRows = peer.rows.filter { $0.scheduler == peerScheduler }
        guard !peerRows.isEmpty else {
            throw ValidationError("\(summaryPath) has no rows for scheduler '\(peerScheduler)' (see --peer-scheduler)")
        }
        let run = try peerRun(directory: directory)
        let (trace, traceName) = try loadTrace()
        let chosen = try chosenSchedulers(trace)
        let decisionsPath = (directory as NSString).appendingPathComponent("decisions.csv")
        let peerDecisions =
            FileManager.default.fileExists(atPath: decisionsPath)
            ? try PeerDecisions.parse(try FileIO.read(decisionsPath), file: decisionsPath, scheduler: peerScheduler)
            : nil
        var matching: [String: (matching: Int, compared: Int)] = [:]
        var cells: [PeerComparison.Cell] = []
        for mode in ProfileSource.allCases where peerRows.contains(where: { $0.mode == mode }) {
            let rows = peerRows.filter { $0.mode == mode }
            var settings = try settings()
            settings.profiles = mode
            settings.timing = try WindowTiming(length: run.window, labellingDelay: run.delay)
            let experiment = Experiment(
                trace: trace,
                traceName: traceName,
                streamNames: Array(run.cities.prefix(rows.map(\.streams).max() ?? 1)),
                streamCounts: Array(Set(rows.map(\.streams))).sorted(),
                devices: Array(Set(rows.map(\.gpus))).sorted(),
                windows: run.tasks,
                settings: settings
            )
            let experimentRows = try experiment.run(schedulers: chosen)
            let summary = ExperimentSummary(rows: experimentRows)
            for row in experimentRows {
                for (stream, decision) in row.decisions.enumerated() {
                    let key = PeerDecisions.Key(
                        mode: mode,
                        streams: row.streams,
                        gpus: row.gpus,
                        window: row.window,
                        stream: stream
                    )
                    guard let theirs = peerDecisions?.configurations[key] else { continue }
                    var count = matching[row.scheduler] ?? (0, 0)
                    count.compared += 1
                    if theirs == decision.configuration { count.matching += 1 }
                    matching[row.scheduler] = count
                }
            }
            for row in rows {
                let cell = ExperimentSummary.Cell(streams: row.streams, gpus: row.gpus)
                cells.append(
                    PeerComparison.Cell(
                        mode: mode,
                        streams: row.streams,
                        gpus: row.gpus,
                        peer: row.meanAccuracy,
                        ours: summary.schedulers.map { ($0, summary.accuracy[$0]?[cell] ?? 0) }
                    )
                )
            }
        }
        let comparison = PeerComparison(
            peerScheduler: peerScheduler,
            cells: cells,
            matchingConfigurations: chosen.compactMap { scheduler in
                matching[scheduler.name].map { (scheduler.name, $0.matching, $0.compared) }
            }
        )
        print(
            json
                ? Report.peerJSON(comparison, model: model)
                : Report.peerTable(comparison, model: model)
        )
    }
}

extension Report {
    static func peerTable(_ comparison: PeerComparison, model: SimulationModel) -> String {
        let schedulers = comparison.cells.first?.ours.map(\.scheduler) ?? []
        var lines = [
            "Ours (--model \(model.rawValue)) minus the authors' simulator (\(comparison.peerScheduler)), accuracy points",
            (["mode", "cell", "theirs %"] + schedulers).map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }
                .joined(),
        ]
        for cell in comparison.cells {
            var fields = [
                cell.mode.rawValue, "\(cell.streams) × \(cell.gpus)", String(format: "%.2f", 100 * cell.peer),
            ]
            fields += schedulers.map { cell.difference($0).map { String(format: "%+.2f", $0) } ?? "-" }
            lines.append(fields.map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined())
        }
        var last = ["max |diff|", "", ""]
        last += schedulers.map { comparison.maximumAbsoluteDifference($0).map { String(format: "%.2f", $0) } ?? "-" }
        lines.append(last.map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined())
        for count in comparison.matchingConfigurations {
            lines.append(
                "\(count.scheduler): their configuration in \(count.matching) of \(count.compared) stream-windows"
            )
        }
        return lines.joined(separator: "\n")
    }

    static func peerJSON(_ comparison: PeerComparison, model: SimulationModel) -> String {
        let schedulers = comparison.cells.first?.ours.map(\.scheduler) ?? []
        let cells = comparison.cells.map { cell in
            let ours = cell.ours.map { "\"\($0.scheduler)\": \(String(format: "%.6f", $0.accuracy))" }
            let differences = schedulers.map { "\"\($0)\": \(String(format: "%.4f", cell.difference($0) ?? 0))" }
            return "{\"mode\": \"\(cell.mode.rawValue)\", \"streams\": \(cell.streams), \"gpus\": \(cell.gpus), "
                + "\"peer\": \(String(format: "%.6f", cell.peer)), \"ours\": {\(ours.joined(separator: ", "))}, "
                + "\"difference_points\": {\(differences.joined(separator: ", "))}}"
        }
        let maxima = schedulers.map {
            "\"\($0)\": \(String(format: "%.4f", comparison.maximumAbsoluteDifference($0) ?? 0))"
        }
        let matching = comparison.matchingConfigurations.map {
            "\"\($0.scheduler)\": {\"matching\": \($0.matching), \"compared\": \($0.compared)}"
        }
        return "{\"model\": \"\(model.rawValue)\", \"peer_scheduler\": \"\(comparison.peerScheduler)\", "
            + "\"cells\": [\(cells.joined(separator: ", "))], "
            + "\"matching_configurations\": {\(matching.joined(separator: ", "))}, "
            + "\"max_abs_difference_points\": {\(maxima.joined(separator: ", "))}}"
    }
}
