import ArgumentParser
import EkyaService
import EkyaStore
import EkyaStorePostgres
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `ekya bench failover`: a real fleet of `ekya serve` processes on one PostgreSQL store; one node is killed
/// with SIGKILL mid-window, again and again, and the time until its streams run elsewhere is measured.
struct BenchFailoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "Fleet failover time: kill -9 a node mid-window, time until its streams run on the others.",
        discussion: """
            Starts --nodes `ekya serve --demo` processes (the 5 Fashion-MNIST demo streams) on a fresh schema of \
            --postgres, waits until every stream has an owner, then --kills times: kills the node holding the \
            most streams in the middle of a window, measures the time until the others hold its streams' leases \
            (taken) and until each of them has completed a window on its new node (serving), restarts the \
            killed node and waits for the fleet to settle. Prints medians, ranges, the ratio of the take-over \
            time to the lease time, and double ownership from the database's lease history (must be 0).
            """
    )

    @Option(help: "PostgreSQL server (default: $EKYA_TEST_POSTGRES_URL, else the one scripts/postgres starts).")
    var postgres: String?

    @Option(help: "Nodes in the fleet.")
    var nodes: Int = 3

    @Option(help: "Kills measured.")
    var kills: Int = 5

    @Option(help: "Lease seconds of every node.")
    var leaseSeconds: Double = 4

    @Option(help: "Window length T in virtual seconds.")
    var windowSeconds: Double = 10

    @Flag(help: "Print one JSON object.")
    var json: Bool = false

    func validate() throws {
        guard (2...8).contains(nodes), (1...50).contains(kills), (2...60).contains(leaseSeconds) else {
            throw ValidationError("--nodes in 2...8, --kills in 1...50, --lease-seconds in 2...60")
        }
    }

    /// One node's process.
    final class Node {
        let id: String
        let arguments: [String]
        let log: URL
        var process = Process()

        init(id: String, arguments: [String], log: URL) {
            self.id = id
            self.arguments = arguments
            self.log = log
        }

        func start() throws {
            process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            process.arguments = arguments
            if !FileManager.default.fileExists(atPath: log.path) {
                FileManager.default.createFile(atPath: log.path, contents: nil)
            }
            let handle = try FileHandle(forWritingTo: log)
            handle.seekToEndOfFile()
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }
    }

    struct Timeout: Error, CustomStringConvertible {
        var what: String
        var description: String { "timed out waiting for \(what) (node logs are kept in the printed directory)" }
    }

    /// Polls `condition` every 50 ms for up to `seconds`.
    static func poll(_ what: String, seconds: Double, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw Timeout(what: what)
    }

    func run() throws {
        let base =
            postgres ?? ProcessInfo.processInfo.environment["EKYA_TEST_POSTGRES_URL"]
            ?? "postgres://ekya@127.0.0.1:55432/ekya_test"
        let schema = "failover_\(UUID().uuidString.prefix(8).lowercased())"
        let url = base + (base.contains("?") ? "&" : "?") + "schema=\(schema)"
        let service: PostgresServiceStore
        let fleet: PostgresFleetStore
        do {
            service = try PostgresServiceStore(url: url)
            fleet = try PostgresFleetStore(url: url)
        } catch {
            throw AppError.invalidOption("--postgres: \(error) (scripts/postgres starts a local server)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ekya-failover-\(schema)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let members = try (0..<nodes).map { index in
            Node(
                id: "node-\(index)",
                arguments: [
                    "serve", "--demo", "--store", url, "--node-id", "node-\(index)",
                    "--listen", "127.0.0.1:\(try Self.freePort())",
                    "--data-dir", directory.appendingPathComponent("node-\(index)").path, "--token", "bench",
                    "--lease-seconds", "\(leaseSeconds)", "--window-seconds", "\(windowSeconds)",
                    "--pause-seconds", "0.5",
                ],
                log: directory.appendingPathComponent("node-\(index).log")
            )
        }
        defer {
            for member in members where member.process.isRunning { kill(member.process.processIdentifier, SIGKILL) }
            fleet.close()
            try? service.dropSchema()
        }
        for member in members { try member.start() }
        let streams = ServiceConfiguration.demoStreams.count
        func settled() throws -> Bool {
            let snapshot = try fleet.snapshot()
            let holders = Dictionary(grouping: snapshot.leases, by: \.node)
            return snapshot.leases.count == streams && snapshot.streams.allSatisfy { $0.status == .active }
                && members.allSatisfy { !(holders[$0.id] ?? []).isEmpty } && snapshot.accuracy.count == streams
        }
        try Self.poll("the fleet to start", seconds: 600, settled)
        var taken: [Double] = []
        var serving: [Double] = []
        for round in 1...kills {
            let snapshot = try fleet.snapshot()
            let holders = Dictionary(grouping: snapshot.leases, by: \.node)
            guard let victim = members.max(by: { (holders[$0.id]?.count ?? 0) < (holders[$1.id]?.count ?? 0) })
            else { break }
            let moved = Set((holders[victim.id] ?? []).map(\.stream))
            // Mid-window: a window of the victim's current run is running.
            try Self.poll("a window on \(victim.id)", seconds: 300) {
                let run = try service.runs().last { $0.node == victim.id && $0.status == .running }
                return try service.windows(limit: 20).contains { $0.runId == run?.id && $0.status == .running }
            }
            kill(victim.process.processIdentifier, SIGKILL)
            let killed = Date()
            victim.process.waitUntilExit()
            try Self.poll("the take-over of \(moved.sorted())", seconds: 300) {
                let leases = try fleet.snapshot().leases
                return moved.allSatisfy { stream in leases.contains { $0.stream == stream && $0.node != victim.id } }
            }
            taken.append(Date().timeIntervalSince(killed))
            try Self.poll("windows of \(moved.sorted()) on their new nodes", seconds: 300) {
                try moved.allSatisfy {
                    try (service.latestResult(stream: $0)?.window.startedAt ?? .distantPast) > killed
                }
            }
            serving.append(Date().timeIntervalSince(killed))
            if !json {
                print(
                    "kill \(round): \(victim.id) (\(moved.count) streams) taken after "
                        + "\(String(format: "%.2f", taken[taken.count - 1])) s, serving after "
                        + "\(String(format: "%.2f", serving[serving.count - 1])) s"
                )
            }
            try victim.start()
            try Self.poll("the fleet to settle after \(victim.id) restarted", seconds: 300, settled)
        }
        let grants = try fleet.grants()
        let overlaps = try fleet.doubleOwnership()
        for member in members where member.process.isRunning { kill(member.process.processIdentifier, SIGTERM) }
        for member in members { member.process.waitUntilExit() }
        let median = BenchStoreCommand.quantile
        let fields: [(String, Double)] = [
            ("failover_taken_s", median(taken, 0.5)), ("failover_taken_min_s", taken.min() ?? 0),
            ("failover_taken_max_s", taken.max() ?? 0), ("failover_serving_s", median(serving, 0.5)),
            ("failover_serving_min_s", serving.min() ?? 0), ("failover_serving_max_s", serving.max() ?? 0),
            ("taken_vs_lease", median(taken, 0.5) / leaseSeconds), ("lease_s", leaseSeconds),
            ("kills", Double(taken.count)), ("nodes", Double(nodes)), ("lease_grants", Double(grants.count)),
            ("double_ownership", Double(overlaps)),
        ]
        if json {
            print("{" + fields.map { "\"\($0.0)\":\(($0.1 * 1000).rounded() / 1000)" }.joined(separator: ",") + "}")
        } else {
            print(
                """
                failover over \(taken.count) kills (\(nodes) nodes, lease \(leaseSeconds) s):
                  leases taken by the others: median \(String(format: "%.2f", median(taken, 0.5))) s \
                (\(String(format: "%.2f", taken.min() ?? 0))–\(String(format: "%.2f", taken.max() ?? 0))), \
                \(String(format: "%.2f", median(taken, 0.5) / leaseSeconds))× the lease
                  a completed window on the new node: median \(String(format: "%.2f", median(serving, 0.5))) s \
                (\(String(format: "%.2f", serving.min() ?? 0))–\(String(format: "%.2f", serving.max() ?? 0)))
                  double ownership in \(grants.count) lease grants: \(overlaps)
                """
            )
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// A loopback port nobody listens on now (bound to port 0, then released).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw AppError.invalidOption("cannot find a free loopback port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
