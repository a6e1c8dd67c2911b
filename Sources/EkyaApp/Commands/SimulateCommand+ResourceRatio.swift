import ArgumentParser
import EkyaCore
import EkyaSimulation
import Foundation

/// `ekya simulate --resource-ratio SCHEDULER`: the devices the best fixed uniform baseline needs to match it.
extension SimulateCommand {
    struct RatioCell {
        var streams: Int
        var gpus: Int
        var reference: Double
        var uniformAtSameDevices: Double
        /// Devices the best uniform baseline needs; nil when it never matches within the sweep.
        var devicesNeeded: Double?
        /// True when the smallest device count of the sweep already matches (the ratio is an upper bound).
        var atMost: Bool
    }

    func runResourceRatio(reference name: String) throws {
        let (trace, traceName) = try loadTrace()
        let settings = try settings()
        let reference = try SchedulerSpec.make(name)
        let devices = try Self.integers(gpus, option: "--gpus")
        let sweep = Array(1...min(64, 8 * (devices.max() ?? 1)))
        let counts = try streamCounts.map { try Self.integers($0, option: "--stream-counts") }
        let names = try streamNames.map { try Self.list($0, option: "--stream-names") }
        let chosenWindows = try windows.map { try Self.integers($0, option: "--windows") }
        func experiment(_ devices: [Int]) -> Experiment {
            Experiment(
                trace: trace,
                traceName: traceName,
                streamNames: names,
                streamCounts: counts,
                devices: devices,
                windows: chosenWindows,
                settings: settings
            )
        }
        let ours = ExperimentSummary(rows: try experiment(devices).run(schedulers: [reference]))
        let grid = Self.uniformGrid(trace)
        let baselines = ExperimentSummary(rows: try experiment(sweep).run(schedulers: grid))
        func bestUniform(streams: Int, gpus: Int) -> Double {
            let cell = ExperimentSummary.Cell(streams: streams, gpus: gpus)
            return baselines.schedulers.compactMap { baselines.accuracy[$0]?[cell] }.max() ?? 0
        }
        var cells: [RatioCell] = []
        for cell in ours.cells {
            let target = ours.accuracy[reference.name]?[cell] ?? 0
            let curve = sweep.map { (devices: $0, accuracy: bestUniform(streams: cell.streams, gpus: $0)) }
            let needed = ResourceRatio.devicesNeeded(target: target, curve: curve)
            cells.append(
                RatioCell(
                    streams: cell.streams,
                    gpus: cell.gpus,
                    reference: target,
                    uniformAtSameDevices: bestUniform(streams: cell.streams, gpus: cell.gpus),
                    devicesNeeded: needed,
                    atMost: needed == Double(sweep[0]) && curve[0].accuracy >= target
                )
            )
        }
        if json {
            let items = cells.map { cell in
                let ratio = cell.devicesNeeded.map { String(format: "%.3f", $0 / Double(cell.gpus)) } ?? "null"
                let needed = cell.devicesNeeded.map { String(format: "%.3f", $0) } ?? "null"
                return "{\"streams\": \(cell.streams), \"gpus\": \(cell.gpus), "
                    + "\"reference_accuracy\": \(String(format: "%.6f", cell.reference)), "
                    + "\"best_uniform_accuracy\": \(String(format: "%.6f", cell.uniformAtSameDevices)), "
                    + "\"uniform_devices_needed\": \(needed), \"resource_ratio\": \(ratio), \"at_most\": \(cell.atMost)}"
            }
            print(
                "{\"reference\": \"\(reference.name)\", \"profiles\": \"\(settings.profiles.rawValue)\", "
                    + "\"sweep_max_devices\": \(sweep.last ?? 1), \"cells\": [\(items.joined(separator: ", "))]}"
            )
            return
        }
        print(
            "Devices the per-cell best fixed uniform baseline needs to match \(reference.name) (\(settings.profiles.rawValue) profiles)"
        )
        print("streams  gpus  \(reference.name) %  best-uniform %  uniform devices  ratio")
        for cell in cells {
            let needed =
                cell.devicesNeeded.map { (cell.atMost ? "≤ " : "") + String(format: "%.2f", $0) }
                ?? "> \(sweep.last ?? 1)"
            let ratio =
                cell.devicesNeeded.map { (cell.atMost ? "≤ " : "") + String(format: "%.2f", $0 / Double(cell.gpus)) }
                ?? "-"
            print(
                String(
                    format: "%7d  %4d  %6.1f  %14.1f  ",
                    cell.streams,
                    cell.gpus,
                    100 * cell.reference,
                    100 * cell.uniformAtSameDevices
                )
                    + needed.padding(toLength: 15, withPad: " ", startingAt: 0) + "  " + ratio
            )
        }
    }
}
