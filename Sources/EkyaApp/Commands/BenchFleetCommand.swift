import ArgumentParser
import EkyaCore
import EkyaFleet
import EkyaSimulation
import Foundation

/// `ekya bench fleet`: a simulated fleet on virtual time with the real assignment, leases and scheduler.
struct BenchFleetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "A fleet of edge servers with node failures vs one pooled server; assignment time at scale.",
        discussion: """
            Streams replay the embedded Cityscapes table (windows cycle). Failures are seeded: --failures \
            nodes each go down for 2 windows at a seeded window. Reports the fleet's mean accuracy minus the \
            pooled server's (same total devices, no failures), streams moved per failure and on recovery, \
            double ownership from the lease history, and the median time to assign 10 000 streams to 1 000 \
            nodes from scratch.
            """
    )

    @Option(help: "Nodes of the simulated fleet.")
    var nodes: Int = 8

    @Option(help: "Devices per node.")
    var devices: Int = 1

    @Option(help: "Streams over the fleet.")
    var streams: Int = 24

    @Option(help: "Windows simulated.")
    var windows: Int = 8

    @Option(help: "Node failures (each down for 2 windows).")
    var failures: Int = 2

    @Option(help: "Scheduler each node runs (any `ekya simulate` name).")
    var scheduler: String = "thief"

    @Option(help: "Seed of the failures.")
    var seed: UInt64 = 1

    @Option(help: "Timed runs of the 1 000 × 10 000 assignment (median reported).")
    var runs: Int = 5

    @Flag(help: "Print one JSON object.")
    var json: Bool = false

    func validate() throws {
        guard nodes >= 2, devices >= 1, streams >= 1, windows >= 3 else {
            throw ValidationError("--nodes ≥ 2, --devices ≥ 1, --streams ≥ 1 and --windows ≥ 3")
        }
        guard (0..<nodes).contains(failures) else { throw ValidationError("--failures must be in 0..<--nodes") }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        let trace = try TraceFormat.parse(
            try FileIO.resource("cityscapes_microprofile_dev", extension: "csv"),
            file: "embedded:cityscapes_microprofile_dev.csv"
        )
        var generator = SplitMix64(seed: seed)
        var failed: [FleetSimulation.Failure] = []
        var candidates = Array(0..<nodes)
        for _ in 0..<failures {
            let node = candidates.remove(at: Int(generator.next() % UInt64(candidates.count)))
            let window = 2 + Int(generator.next() % UInt64(max(1, windows - 3)))
            failed.append(FleetSimulation.Failure(node: node, window: window, windows: 2))
        }
        let simulation = FleetSimulation(
            trace: trace,
            nodes: nodes,
            devicesPerNode: devices,
            streams: streams,
            windows: windows,
            failures: failed,
            settings: SimulationSettings(timing: try WindowTiming(length: 200, labellingDelay: 2))
        )
        let report = try simulation.run(scheduler: try SchedulerSpec.make(scheduler))
        let points = 100 * (report.fleetAccuracy - report.pooledAccuracy)
        let scale = (0..<10_000).map { FleetStream(id: "s\($0)", load: 0.25) }
        let fleet = (0..<1_000).map { FleetNode(id: "n\($0)", devices: 1 + $0 % 4) }
        let assigner = FleetAssigner()
        var placed = 0
        let milliseconds = BenchSchedulerCommand.median(runs: runs) {
            placed = assigner.assign(streams: scale, nodes: fleet, current: [:]).count
        }
        let fields: [(String, String)] = [
            ("assign_ms_1000x10000", String(format: "%.3f", milliseconds)),
            ("assigned_1000x10000", "\(placed)"),
            ("fleet_vs_pooled_points", String(format: "%.3f", points)),
            ("fleet_mean_accuracy", String(format: "%.6f", report.fleetAccuracy)),
            ("pooled_mean_accuracy", String(format: "%.6f", report.pooledAccuracy)),
            ("streams_moved_per_failure", String(format: "%.2f", report.streamsMovedPerFailure)),
            ("streams_moved_on_recovery", "\(report.streamsMovedOnRecovery)"),
            ("double_ownership", "\(report.doubleOwnership)"),
            ("unserved_stream_windows", "\(report.unservedStreamWindows)"),
            ("nodes", "\(nodes)"), ("devices_per_node", "\(devices)"), ("streams", "\(streams)"),
            ("windows", "\(windows)"), ("failures", "\(failures)"), ("scheduler", "\"\(scheduler)\""),
            ("seed", "\(seed)"), ("runs", "\(runs)"),
        ]
        if json {
            print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        } else {
            for (key, value) in fields { print("\(key): \(value)") }
        }
    }
}
