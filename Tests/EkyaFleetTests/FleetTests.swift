import EkyaCore
import EkyaFleet
import EkyaSimulation
import Testing

@Suite struct FleetAssignerTests {
    static func streams(_ count: Int, load: Double = 0.25) -> [FleetStream] {
        (0..<count).map { FleetStream(id: "s\($0)", load: load) }
    }

    @Test func orphansGoWhereTheLoadPerDeviceIsLowest() {
        let nodes = [FleetNode(id: "a", devices: 1), FleetNode(id: "b", devices: 3)]
        let owners = FleetAssigner().assign(streams: Self.streams(8), nodes: nodes, current: [:])
        // 8 × 0.25 over 1 + 3 devices: 2 streams on a, 6 on b (0.5 per device each).
        #expect(owners.count == 8)
        #expect(owners.values.filter { $0 == "a" }.count == 2)
        #expect(owners.values.filter { $0 == "b" }.count == 6)
    }

    @Test func aDeadNodesStreamsMoveAndNoOtherStreamDoes() {
        let streams = Self.streams(12)
        let nodes = (0..<3).map { FleetNode(id: "n\($0)", devices: 1) }
        let assigner = FleetAssigner()
        let before = assigner.assign(streams: streams, nodes: nodes, current: [:])
        var degraded = nodes
        degraded[1].isAlive = false
        let after = assigner.assign(streams: streams, nodes: degraded, current: before)
        let moved = streams.filter { before[$0.id] != after[$0.id] }
        #expect(moved.count == 4)
        #expect(moved.allSatisfy { before[$0.id] == "n1" })
        #expect(!after.values.contains("n1"))
        // When it comes back it takes only what the balance needs (1.5 per device against 0: two streams),
        // and with a wide hysteresis nothing.
        let back = assigner.assign(streams: streams, nodes: nodes, current: after)
        let returned = streams.filter { back[$0.id] != after[$0.id] }
        #expect(returned.count == 2 && returned.allSatisfy { back[$0.id] == "n1" })
        #expect(FleetAssigner(hysteresis: 2).assign(streams: streams, nodes: nodes, current: after) == after)
        #expect(assigner.assign(streams: streams, nodes: nodes, current: back) == back)
    }

    @Test func aReturningNodeRelievesNodesOverloadedBeyondTheHysteresis() {
        let streams = Self.streams(16)
        let nodes = [FleetNode(id: "a", devices: 1), FleetNode(id: "b", devices: 1)]
        // Everything on a (4 per device), b empty: moves until the gap is within 0.5 per device.
        let current = Dictionary(uniqueKeysWithValues: streams.map { ($0.id, "a") })
        let owners = FleetAssigner(hysteresis: 0.5).assign(streams: streams, nodes: nodes, current: current)
        let onB = owners.values.filter { $0 == "b" }.count
        #expect((7...8).contains(onB), "\(onB) on b")
    }
}

@Suite struct LeaseTableTests {
    @Test func aLeaseIsExclusiveUntilItExpires() {
        var leases = LeaseTable(ttl: 10)
        let first = leases.acquire("cam", for: "a", at: 0)
        let whileHeld = leases.acquire("cam", for: "b", at: 5)
        leases.renew(node: "a", at: 8)
        let afterRenewal = leases.acquire("cam", for: "b", at: 15)
        let afterExpiry = leases.acquire("cam", for: "b", at: 18.5)
        #expect(first && !whileHeld && !afterRenewal && afterExpiry)
        #expect(leases.owner(of: "cam", at: 19) == "b")
        #expect(LeaseTable.doubleOwnership(leases.grants) == 0)
    }

    @Test func theHistoryCheckFindsOverlappingOwners() {
        let grants = [
            LeaseTable.Grant(stream: "cam", node: "a", start: 0, end: 10),
            LeaseTable.Grant(stream: "cam", node: "b", start: 9, end: 20),
        ]
        #expect(LeaseTable.doubleOwnership(grants) == 1)
    }

    @Test func randomFailuresNeverGiveAStreamTwoOwners() {
        // Nodes fail and return at random; every window the assigner places, the leases decide.
        var generator = SplitMix64(seed: 7)
        var leases = LeaseTable(ttl: 15)
        let streams = (0..<40).map { FleetStream(id: "s\($0)", load: 0.25) }
        var alive = [Bool](repeating: true, count: 6)
        let assigner = FleetAssigner()
        for step in 0..<200 {
            let now = Double(step) * 10
            let node = Int(generator.next() % 6)
            if generator.next() % 5 == 0 { alive[node].toggle() }
            let nodes = (0..<6).map { FleetNode(id: "n\($0)", devices: 1 + $0 % 2, isAlive: alive[$0]) }
            for node in nodes where node.isAlive { leases.renew(node: node.id, at: now) }
            let held = leases.owners(at: now)
            for (stream, owner) in assigner.assign(streams: streams, nodes: nodes, current: held) {
                if let holder = held[stream], holder != owner, alive[Int(holder.dropFirst()) ?? 0] {
                    leases.release(stream, by: holder, at: now)
                }
                leases.acquire(stream, for: owner, at: now)
            }
        }
        #expect(LeaseTable.doubleOwnership(leases.grants) == 0)
        #expect(leases.grants.count > 40)
    }
}

@Suite struct FleetSimulationTests {
    static func trace() throws -> Trace {
        // Two streams, two windows, two configurations each (numbers of the paper's Table 1 shape).
        let rows = [
            "stream,window,config,start_accuracy,end_accuracy,gpu_seconds",
            "a,1,c1,0.6,0.8,40", "a,1,c2,0.6,0.9,120", "b,1,c1,0.7,0.85,30", "b,1,c2,0.7,0.9,90",
            "a,2,c1,0.5,0.8,40", "a,2,c2,0.5,0.9,120", "b,2,c1,0.6,0.8,30", "b,2,c2,0.6,0.9,90",
        ]
        return try TraceFormat.parse(rows.joined(separator: "\n"), file: "fleet.csv")
    }

    @Test func aFailedNodesStreamsAreServedAgainAfterOneWindowAndOwnershipStaysExclusive() throws {
        let simulation = FleetSimulation(
            trace: try Self.trace(),
            nodes: 3,
            devicesPerNode: 1,
            streams: 6,
            windows: 6,
            failures: [FleetSimulation.Failure(node: 1, window: 2, windows: 2)],
            settings: SimulationSettings(timing: try WindowTiming(length: 200, labellingDelay: 2))
        )
        let report = try simulation.run(scheduler: ThiefScheduler())
        // Node 1's two streams go unserved in the failure window only, then move; none move back.
        #expect(report.unservedStreamWindows == 2)
        #expect(report.streamsMovedPerFailure == 2)
        #expect(report.streamsMovedOnRecovery == 0)
        #expect(report.doubleOwnership == 0)
        #expect(report.fleetAccuracy < report.pooledAccuracy)
        let failureWindow = report.perWindow[1]
        #expect(failureWindow.fleet < failureWindow.pooled - 0.2)
    }

    @Test func withoutFailuresTheFleetIsNoBetterThanThePool() throws {
        let simulation = FleetSimulation(
            trace: try Self.trace(),
            nodes: 2,
            devicesPerNode: 1,
            streams: 4,
            windows: 3,
            failures: [],
            settings: SimulationSettings(timing: try WindowTiming(length: 200, labellingDelay: 2))
        )
        let report = try simulation.run(scheduler: OptimalScheduler())
        #expect(report.unservedStreamWindows == 0)
        #expect(report.fleetAccuracy <= report.pooledAccuracy + 1e-9)
    }
}

@Suite struct FleetPlannerTests {
    static let streams = (0..<5).map { FleetStream(id: "s\($0)", load: 1) }
    static let nodes = ["a", "b", "c"].map { FleetNode(id: $0, devices: 1) }

    /// Every node acting on its own moves until nothing changes; returns the owners and the rounds it took.
    static func settle(
        _ nodes: [FleetNode],
        from owners: [String: String],
        streams: [FleetStream] = streams
    ) -> (owners: [String: String], rounds: Int) {
        var owners = owners
        for round in 1...10 {
            var changed = false
            for node in nodes where node.isAlive {
                let moves = FleetPlanner.moves(
                    node: node.id,
                    nodes: nodes,
                    streams: streams,
                    owners: owners,
                    assigner: FleetAssigner()
                )
                for stream in moves.release { owners[stream] = nil }
                for stream in moves.acquire where owners[stream] == nil { owners[stream] = node.id }
                changed = changed || !moves.release.isEmpty || !moves.acquire.isEmpty
            }
            if !changed { return (owners, round) }
        }
        return (owners, 10)
    }

    @Test func nodesActingAloneSpreadTheStreamsAndEachTakesOnlyFreeOnes() {
        // Given three nodes and five new streams
        let (owners, rounds) = Self.settle(Self.nodes, from: [:])
        // Then every stream has one owner and the counts differ by at most one
        #expect(owners.count == 5)
        let counts = Dictionary(grouping: owners.values, by: { $0 }).mapValues(\.count)
        #expect(counts.values.max() == 2 && counts.values.min() == 1)
        #expect(rounds <= 2)
        // and a node never plans to take a stream another node holds
        let moves = FleetPlanner.moves(
            node: "c",
            nodes: Self.nodes,
            streams: Self.streams,
            owners: ["s0": "a", "s1": "a", "s2": "a", "s3": "a", "s4": "b"],
            assigner: FleetAssigner()
        )
        #expect(moves.acquire.isEmpty)
    }

    @Test func aStreamAddedBesideASlowNodeIsPlacedOnceAndNothingSwapsAfterwards() {
        // Given two slow nodes (half speed) holding one and two streams (2 and 4 per device), a typical one
        // holding two (2 per device), and a sixth stream added
        let nodes = [
            FleetNode(id: "a", devices: 1, speed: 0.5), FleetNode(id: "b", devices: 1, speed: 0.5),
            FleetNode(id: "c", devices: 1),
        ]
        let streams = (0..<6).map { FleetStream(id: "s\($0)", load: 1) }
        let owners = ["s0": "a", "s1": "b", "s2": "b", "s3": "c", "s4": "c"]
        // Then it goes where it lands lowest (c: 3 per device; on a, at 4, the relief would hand a's other
        // stream on, and the two would swap at every window boundary) and every node's next plan is empty
        let (settled, rounds) = Self.settle(nodes, from: owners, streams: streams)
        #expect(settled.count == 6)
        #expect(settled["s5"] == "c")
        #expect(rounds <= 2, "\(settled)")
        for node in nodes {
            let moves = FleetPlanner.moves(
                node: node.id,
                nodes: nodes,
                streams: streams,
                owners: settled,
                assigner: FleetAssigner()
            )
            #expect(moves == FleetMoves(), "\(node.id): \(moves)")
        }
    }

    @Test func aLostNodesStreamsGoToTheOthersAndItsReturnMovesOnlyWhatBalanceNeeds() {
        let balanced = Self.settle(Self.nodes, from: [:]).owners
        // When node a is lost, its leases expire (they leave the owners) and the others take its streams
        var lost = Self.nodes
        lost[0].isAlive = false
        let afterLoss = Self.settle(lost, from: balanced.filter { $0.value != "a" }).owners
        #expect(afterLoss.count == 5)
        #expect(!afterLoss.values.contains("a"))
        #expect(balanced.filter { $0.value != "a" }.allSatisfy { afterLoss[$0.key] == $0.value })
        // When it comes back it takes one stream from the node with three, and nothing moves after that
        let (afterReturn, _) = Self.settle(Self.nodes, from: afterLoss)
        let moved = Self.streams.filter { afterLoss[$0.id] != afterReturn[$0.id] }
        #expect(moved.count == 1)
        #expect(afterReturn.values.filter { $0 == "a" }.count == 1)
        #expect(Self.settle(Self.nodes, from: afterReturn).rounds == 1)
    }
}

@Suite struct FleetCapacityTests {
    @Test func aFasterNodeTakesMoreStreams() {
        // Given a node whose devices run inference twice as fast as the other's
        let nodes = [FleetNode(id: "fast", devices: 1, speed: 2), FleetNode(id: "slow", devices: 1)]
        let streams = (0..<6).map { FleetStream(id: "s\($0)", load: 1) }
        // Then it takes twice the streams
        let owners = FleetAssigner().assign(streams: streams, nodes: nodes, current: [:])
        #expect(owners.values.filter { $0 == "fast" }.count == 4)
        #expect(owners.values.filter { $0 == "slow" }.count == 2)
    }
}
