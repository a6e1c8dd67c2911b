import EkyaStore
import EkyaStorePostgres
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Three `ekya serve` nodes on one PostgreSQL store, as real processes on loopback ports.
@Suite(.serialized, .timeLimit(.minutes(15))) struct ServeFleetTests {
    static let lease = 4.0

    /// A fleet of `count` nodes on a fresh schema.
    struct Fleet {
        var url: String
        var nodes: [ServeProcess]

        init(count: Int) throws {
            let schema = "fleet_\(UUID().uuidString.prefix(8).lowercased())"
            let url = ServePostgresTests.schemaURL(ServePostgresTests.url, schema)
            self.url = url
            nodes = try (0..<count).map { index in
                let node = try ServeProcess()
                node.extraArguments = [
                    "--store", url, "--node-id", "n\(index)", "--lease-seconds", "\(ServeFleetTests.lease)",
                    // Windows as in the other serve tests, with longer pauses: three nodes share two cores.
                    "--window-seconds", "10", "--pause-seconds", "2",
                ]
                return node
            }
        }

        /// `/api/fleet` from the first node that answers: node id → (alive, streams), and the unassigned streams.
        func view(
            from candidates: [ServeProcess]
        ) async -> (nodes: [String: (Bool, Set<String>)], unassigned: [String])? {
            for node in candidates where node.process.isRunning {
                guard let fleet = await node.get("/api/fleet") as? [String: Any],
                    let nodes = fleet["nodes"] as? [[String: Any]]
                else { continue }
                var view: [String: (Bool, Set<String>)] = [:]
                for entry in nodes {
                    let streams = (entry["streams"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                    view[entry["id"] as? String ?? ""] = (entry["alive"] as? Bool ?? false, Set(streams))
                }
                return (view, fleet["unassigned"] as? [String] ?? [])
            }
            return nil
        }

        /// Polls the fleet view until `condition` holds (a hang guard: every 200 ms up to `seconds`).
        func waitFor(
            seconds: Double,
            from candidates: [ServeProcess],
            _ condition: ([String: (Bool, Set<String>)], [String]) -> Bool
        ) async throws -> [String: (Bool, Set<String>)] {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if let view = await view(from: candidates), condition(view.nodes, view.unassigned) { return view.nodes }
                try await Task.sleep(for: .milliseconds(200))
            }
            Issue.record(
                "fleet condition not reached in \(seconds) s; last view: \(String(describing: await view(from: candidates)))"
            )
            throw CancellationError()
        }

        /// SIGTERM to every running node; each stops cleanly.
        func stop() async throws {
            let running = nodes.filter(\.process.isRunning)
            for node in running { kill(node.process.processIdentifier, SIGTERM) }
            for node in running { #expect(try await node.wait(seconds: 60) == 0) }
        }
    }

    @Test func aKilledNodesStreamsContinueOnTheOthersFromTheirNewestModelsAndNothingFlapsWhenItReturns() async throws {
        // Given three nodes serving the five demo streams, each having committed windows
        let fleet = try Fleet(count: 3)
        for node in fleet.nodes { try node.start() }
        let service = try PostgresServiceStore(url: fleet.url)
        let grants = try PostgresFleetStore(url: fleet.url)
        defer {
            grants.close()
            try? service.dropSchema()
        }
        let settled = try await fleet.waitFor(seconds: 400, from: fleet.nodes) { nodes, unassigned in
            unassigned.isEmpty && nodes.count == 3 && nodes.values.allSatisfy { $0.0 && !$0.1.isEmpty }
        }
        #expect(settled.values.map(\.1.count).reduce(0, +) == 5)
        let victimIndex = try #require(
            (0..<3).max { settled["n\($0)"]?.1.count ?? 0 < settled["n\($1)"]?.1.count ?? 0 }
        )
        let victim = fleet.nodes[victimIndex]
        let moved = settled["n\(victimIndex)"]?.1 ?? []
        _ = try await victim.waitFor(seconds: 300) { health in
            (health["last_completed_window"] as? Int ?? 0) >= 1 && health["phase"] as? String == "window"
        }
        // When it is killed with SIGKILL in the middle of a window
        kill(victim.process.processIdentifier, SIGKILL)
        let killed = Date()
        #expect(try await victim.wait(seconds: 10) != nil)
        let versions = try Dictionary(
            uniqueKeysWithValues: moved.map { ($0, try service.stream($0)?.servingVersion ?? 0) }
        )
        // Then its streams are taken by the other two, and the fleet API shows it dead
        let survivors = fleet.nodes.enumerated().filter { $0.offset != victimIndex }.map(\.element)
        let after = try await fleet.waitFor(seconds: 300, from: survivors) { nodes, _ in
            let held = nodes.filter { $0.key != "n\(victimIndex)" }.values.reduce(into: Set<String>()) {
                $0.formUnion($1.1)
            }
            return moved.isSubset(of: held) && nodes["n\(victimIndex)"]?.0 == false
        }
        let failover = Date().timeIntervalSince(killed)
        print("fleet failover: \(String(format: "%.1f", failover)) s after kill -9 (lease \(Self.lease) s)")
        #expect(after["n\(victimIndex)"]?.1.isEmpty == true)
        // and each moved stream continues from its newest model version (no starting model retrained)
        let deadline = Date().addingTimeInterval(300)
        var continued: Set<String> = []
        while continued != moved, Date() < deadline {
            for stream in moved {
                guard let newest = try service.latestResult(stream: stream), newest.window.startedAt > killed else {
                    continue
                }
                #expect((newest.result?.modelVersion ?? 0) >= versions[stream] ?? 0, "\(stream)")
                continued.insert(stream)
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(continued == moved)
        for stream in moved {
            #expect(try service.modelVersions(stream: stream).filter { $0.window == nil }.count == 1, "\(stream)")
        }
        // When the node comes back with the same id
        try victim.start()
        let rejoined = try await fleet.waitFor(seconds: 300, from: fleet.nodes) { nodes, unassigned in
            unassigned.isEmpty && nodes["n\(victimIndex)"]?.0 == true && !(nodes["n\(victimIndex)"]?.1.isEmpty ?? true)
        }
        // Then it takes only what the balance needs (a stream or two from the busiest node, by the measured
        // capacities), and nothing moves afterwards
        let taken = rejoined["n\(victimIndex)"]?.1 ?? []
        #expect((1...2).contains(taken.count), "\(rejoined)")
        // When a stream is added through the API of one node
        #expect(await victim.post("/api/streams", ["id": "added", "scenario": "weather", "seed": 3]) == 202)
        // Then the fleet places it (on the node with one stream) and its holder starts it
        let placed = try await fleet.waitFor(seconds: 300, from: fleet.nodes) { nodes, unassigned in
            unassigned.isEmpty && nodes.values.contains { $0.1.contains("added") }
        }
        #expect(placed.values.map(\.1.count).reduce(0, +) == 6)
        #expect(placed.values.allSatisfy { !$0.1.isEmpty })
        let deadlineAdded = Date().addingTimeInterval(300)
        while try service.latestResult(stream: "added") == nil, Date() < deadlineAdded {
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(try service.stream("added")?.status == .active)
        let settledGrants = try grants.grants().count
        let window = try service.nextWindowNumber()
        while try service.nextWindowNumber() < window + 6 { try await Task.sleep(for: .milliseconds(500)) }
        #expect(try grants.grants().count == settledGrants)
        // and the dashboard of any node shows the three nodes of the fleet
        if ServeCLITests.chromium != nil {
            let dom = try await ServeCLITests.dashboardDOM(fleet.nodes[(victimIndex + 1) % 3])
            for index in 0..<3 {
                #expect(dom.contains(#"data-node="n\#(index)""#), "n\(index) missing from the dashboard")
            }
        }
        // and no stream was ever owned by two nodes at once, by the database's history
        #expect(try grants.doubleOwnership() == 0)
        try await fleet.stop()
        #expect(try service.windows(limit: 1000).allSatisfy { $0.status != .running })
    }

    @Test func aSecondServerWithALiveNodesIDExitsWithAClearErrorAndTheFirstServesOn() async throws {
        // Given a node serving
        let fleet = try Fleet(count: 2)
        let service = try PostgresServiceStore(url: fleet.url)
        defer { try? service.dropSchema() }
        let first = fleet.nodes[0]
        try first.start()
        _ = try await first.waitFor(seconds: 300) { ($0["last_completed_window"] as? Int ?? 0) >= 1 }
        // When a second server starts with the same node id
        let second = fleet.nodes[1]
        second.extraArguments[3] = "n0"
        try second.start()
        // Then it exits with an error naming the id and the live node, and takes no stream
        let status = try await second.wait(seconds: Self.lease + 60)
        #expect(status != nil && status != 0)
        #expect(second.log(0).contains("node id 'n0' is in use by a live node at http://127.0.0.1:\(first.port)"))
        let view = try await fleet.waitFor(seconds: 30, from: [first]) { nodes, unassigned in
            unassigned.isEmpty && nodes["n0"]?.1.count == 5
        }
        #expect(view.keys.sorted() == ["n0"])
        try await fleet.stop()
    }
}
