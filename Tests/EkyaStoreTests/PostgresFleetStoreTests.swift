import EkyaStore
import Foundation
import PostgresKit
import Synchronization
import Testing

@testable import EkyaStorePostgres

/// The fleet's shared state on a real PostgreSQL server: membership, exclusive leases, model files.
@Suite(.timeLimit(.minutes(10))) struct PostgresFleetStoreTests {
    /// A fresh schema with its service store (which migrates it) and a fleet store on it.
    struct Fixture {
        var service: PostgresServiceStore
        var fleet: PostgresFleetStore
        var url: String
        var schema: String

        init() throws {
            schema = PostgresStoreTests.schema()
            service = try StoreBackend.postgresStore(schema: schema)
            url = StoreBackend.postgresURL
            fleet = try PostgresFleetStore(url: url, schema: schema)
        }

        func node(_ id: String) -> NodeRegistration {
            NodeRegistration(id: id, address: "http://127.0.0.1:80\(id.count)", devices: 1)
        }

        func drop() {
            fleet.close()
            try? service.dropSchema()
        }
    }

    // Lease times are passed per call: where a lease must hold they are long (30 s), where it must have
    // expired the test waits longer than the short one it gave. A busy machine only makes the wait longer.

    @Test func aLiveNodeIDCannotBeJoinedTwiceButAnExpiredOneCan() async throws {
        let fixture = try Fixture()
        defer { fixture.drop() }
        // Given a node that joined
        #expect(try fixture.fleet.join(fixture.node("a"), incarnation: "first", ttl: 30) == .joined)
        // When another process joins with the same id while the heartbeat is current, it is refused and told
        // who holds it
        guard case .inUse(let holder) = try fixture.fleet.join(fixture.node("a"), incarnation: "second", ttl: 30)
        else {
            Issue.record("a live node id was joined twice")
            return
        }
        #expect(holder.incarnation == "first")
        #expect(holder.address == fixture.node("a").address)
        // and the same process rejoining is fine
        #expect(try fixture.fleet.join(fixture.node("a"), incarnation: "first", ttl: 30) == .joined)
        // When the heartbeat is older than the lease time, the id is free again
        try await Task.sleep(for: .milliseconds(700))
        #expect(try fixture.fleet.join(fixture.node("a"), incarnation: "second", ttl: 0.5) == .joined)
        // and the displaced process learns it at its next heartbeat
        #expect(try fixture.fleet.heartbeat(node: "a", incarnation: "first", ttl: 30) == nil)
        #expect(try fixture.fleet.heartbeat(node: "a", incarnation: "second", ttl: 30) == [])
        // and can neither release nor leave on behalf of the process that now holds the id
        #expect(try fixture.fleet.acquire(stream: "cam", node: "a", incarnation: "second", ttl: 30))
        try fixture.fleet.release(stream: "cam", node: "a", incarnation: "first")
        try fixture.fleet.leave(node: "a", incarnation: "first")
        #expect(try fixture.fleet.snapshot().leases.map(\.stream) == ["cam"])
        #expect(try fixture.fleet.snapshot().nodes.first?.status == .live)
    }

    @Test func nodesRacingForTheSameStreamsNeverOwnOneTwice() throws {
        let fixture = try Fixture()
        defer { fixture.drop() }
        // Given four nodes, each with a connection of its own
        let nodes = ["n1", "n2", "n3", "n4"]
        var stores: [PostgresFleetStore] = []
        for node in nodes {
            let store = try PostgresFleetStore(url: fixture.url, schema: fixture.schema)
            #expect(try store.join(fixture.node(node), incarnation: node, ttl: 30) == .joined)
            stores.append(store)
        }
        defer { for store in stores { store.close() } }
        // When all of them try to take the same 12 streams at the same time, each on a thread of its own (the
        // calls block: they stay off the test's cooperative threads)
        let streams = (0..<12).map { "cam-\($0)" }
        let results = Mutex<[String: Result<[String], any Error>]>([:])
        let members = stores
        DispatchQueue.concurrentPerform(iterations: nodes.count) { index in
            let node = nodes[index]
            let store = members[index]
            let outcome = Result {
                try streams.filter { try store.acquire(stream: $0, node: node, incarnation: node, ttl: 30) }
            }
            results.withLock { $0[node] = outcome }
        }
        let taken = try results.withLock { $0 }.mapValues { try $0.get() }
        // Then each stream has exactly one owner, and the grant history shows no overlap
        let owners = taken.values.flatMap { $0 }
        #expect(owners.count == streams.count)
        #expect(Set(owners) == Set(streams))
        let grants = try fixture.fleet.grants()
        #expect(grants.count == streams.count)
        #expect(try fixture.fleet.doubleOwnership() == 0)
        #expect(Set(try fixture.fleet.snapshot().leases.map(\.stream)) == Set(streams))
    }

    @Test func aLeaseIsRenewedByItsHeartbeatAndTakenOverOnlyOnceItExpires() async throws {
        let fixture = try Fixture()
        defer { fixture.drop() }
        let fleet = fixture.fleet
        #expect(try fleet.join(fixture.node("a"), incarnation: "a", ttl: 30) == .joined)
        #expect(try fleet.join(fixture.node("b"), incarnation: "b", ttl: 30) == .joined)
        #expect(try fleet.acquire(stream: "cam", node: "a", incarnation: "a", ttl: 30))
        // A heartbeat pushes the lease's expiry forward, and while it runs b cannot take the stream
        let before = try #require(try fleet.snapshot().leases.first?.expiresIn)
        #expect(try fleet.heartbeat(node: "a", incarnation: "a", ttl: 60) == ["cam"])
        #expect(try #require(try fleet.snapshot().leases.first?.expiresIn) > before + 20)
        #expect(try !fleet.acquire(stream: "cam", node: "b", incarnation: "b", ttl: 30))
        // When a's last renewal was short and it then stops, b takes the stream once that lease has expired,
        // and a's late heartbeat does not revive it
        #expect(try fleet.heartbeat(node: "a", incarnation: "a", ttl: 0.5) == ["cam"])
        try await Task.sleep(for: .milliseconds(800))
        _ = try fleet.heartbeat(node: "b", incarnation: "b", ttl: 30)
        #expect(try fleet.acquire(stream: "cam", node: "b", incarnation: "b", ttl: 30))
        #expect(try fleet.heartbeat(node: "a", incarnation: "a", ttl: 30) == [])
        #expect(try fleet.snapshot().leases.map(\.node) == ["b"])
        // and a lost node is reaped: its running window interrupted, its run crashed
        let store = try PostgresServiceStore(url: fixture.url, schema: fixture.schema, node: "a")
        defer { store.close() }
        let run = try store.beginRun(configuration: "{}")
        _ = try store.beginWindow(
            WindowRecord(
                runId: run,
                number: 1,
                status: .running,
                scheduler: "thief",
                streams: "cam",
                startedAt: Date(),
                windowSeconds: 10
            )
        )
        try await Task.sleep(for: .milliseconds(800))
        #expect(try fleet.reapLostNodes(ttl: 0.5).contains("a"))
        #expect(try store.runs().map(\.status) == [.crashed])
        #expect(try store.window(number: 1)?.status == .interrupted)
        #expect(try fleet.snapshot().nodes.first { $0.id == "a" }?.status == .lost)
        #expect(try fleet.doubleOwnership() == 0)
    }

    @Test func releasedAndLeftLeasesAreFreeAtOnce() throws {
        let fixture = try Fixture()
        defer { fixture.drop() }
        let fleet = fixture.fleet
        for node in ["a", "b"] { #expect(try fleet.join(fixture.node(node), incarnation: node, ttl: 30) == .joined) }
        #expect(try fleet.acquire(stream: "one", node: "a", incarnation: "a", ttl: 30))
        #expect(try fleet.acquire(stream: "two", node: "a", incarnation: "a", ttl: 30))
        // A hand-over: released, then taken by the other node without waiting for the lease time
        try fleet.release(stream: "one", node: "a", incarnation: "a")
        #expect(try fleet.acquire(stream: "one", node: "b", incarnation: "b", ttl: 30))
        // A clean stop frees everything the node holds
        try fleet.leave(node: "a", incarnation: "a")
        #expect(try fleet.acquire(stream: "two", node: "b", incarnation: "b", ttl: 30))
        #expect(try fleet.snapshot().nodes.first { $0.id == "a" }?.status == .left)
        // A node's measured inference cost is recorded for the others to place by
        try fleet.report(node: "b", incarnation: "b", inferenceCost: 0.04)
        #expect(try fleet.snapshot().nodes.first { $0.id == "b" }?.inferenceCost == 0.04)
        // A process whose incarnation is not the node's cannot take streams
        #expect(try !fleet.acquire(stream: "three", node: "b", incarnation: "stale", ttl: 30))
        let grants = try fleet.grants()
        #expect(grants.map(\.node) == ["a", "a", "b", "b"])
        #expect(try fixture.fleet.doubleOwnership() == 0)
    }

    @Test func theDoubleOwnershipCheckFindsOverlappingGrantsOfTwoNodes() throws {
        let fixture = try Fixture()
        defer { fixture.drop() }
        // Given a history in which b took stream x while a's grant still ran, and c took it after both
        try fixture.fleet.session.transaction { sql in
            try sql.raw(
                """
                INSERT INTO lease_grants (stream, node, "startedAt", "endedAt") VALUES
                ('x', 'a', '2026-01-01 00:00:00+00', '2026-01-01 00:00:10+00'),
                ('x', 'b', '2026-01-01 00:00:05+00', '2026-01-01 00:00:15+00'),
                ('x', 'c', '2026-01-01 00:00:15+00', '2026-01-01 00:00:30+00'),
                ('y', 'a', '2026-01-01 00:00:00+00', '2026-01-01 00:00:10+00'),
                ('y', 'a', '2026-01-01 00:00:05+00', '2026-01-01 00:00:20+00')
                """
            ).run().wait()
        }
        // Then exactly the overlap of two nodes counts (touching grants and one node's own renewals do not)
        #expect(try fixture.fleet.doubleOwnership() == 1)
    }

    @Test func modelFilesAreSharedAndPrunedWithTheirVersions() throws {
        let fixture = try Fixture()
        defer { fixture.drop() }
        let store = fixture.service
        try store.requestAdd(id: "cam", scenario: "stable", seed: 1)
        let bytes = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        for version in 1...3 {
            try fixture.fleet.putModelFile(stream: "cam", version: version, bytes: bytes + [UInt8(version)])
            let record = ModelVersionRecord(
                stream: "cam",
                version: version,
                createdAt: Date(),
                window: version,
                configuration: nil,
                validationAccuracy: nil,
                path: "models/cam/\(version)/model.pt"
            )
            if version == 1 {
                try store.activate(stream: "cam", model: record, window: 1, command: nil)
            } else {
                // A window that accepted the version
                let run = try store.beginRun(configuration: "{}")
                let window = try store.beginWindow(
                    WindowRecord(
                        runId: run,
                        number: version,
                        status: .running,
                        scheduler: "thief",
                        streams: "cam",
                        startedAt: Date(),
                        windowSeconds: 10
                    )
                )
                try store.complete(
                    WindowCompletion(window: window, streams: [], plans: [], profiling: [], acceptedModels: [record])
                )
            }
        }
        #expect(try fixture.fleet.modelFile(stream: "cam", version: 2) == bytes + [2])
        #expect(try fixture.fleet.modelFile(stream: "cam", version: 9) == nil)
        // Retention removes the fleet's copy of a pruned version too
        #expect(try store.pruneModelVersions(stream: "cam", keep: 1) == [2, 1])
        #expect(try fixture.fleet.modelFile(stream: "cam", version: 1) == nil)
        #expect(try fixture.fleet.modelFile(stream: "cam", version: 3) == bytes + [3])
    }

    /// Commits window `number` of a new run of `store` with one stream's measured accuracy.
    static func commitWindow(_ store: PostgresServiceStore, number: Int, stream: String, accuracy: Double) throws {
        let run = try store.beginRun(configuration: "{}")
        let window = try store.beginWindow(
            WindowRecord(
                runId: run,
                number: number,
                status: .running,
                scheduler: "ekya",
                streams: stream,
                startedAt: Date(),
                windowSeconds: 10
            )
        )
        let result = StreamWindowRecord.result(window: window.id ?? -1, stream: stream, accuracy: accuracy)
        try store.complete(
            WindowCompletion(window: window, streams: [result], plans: [], profiling: [], acceptedModels: [])
        )
    }

    @Test func theSnapshotShowsEachStreamsNewestAccuracyWhicheverNodeServedIt() throws {
        // Given a stream served by node a up to its window 5, then taken over by node b in b's window 1
        let fixture = try Fixture()
        defer { fixture.drop() }
        let first = try PostgresServiceStore(url: fixture.url, schema: fixture.schema, node: "a")
        let second = try PostgresServiceStore(url: fixture.url, schema: fixture.schema, node: "b")
        defer {
            first.close()
            second.close()
        }
        try first.requestAdd(id: "cam", scenario: "stable", seed: 1)
        try first.requestAdd(id: "gone", scenario: "stable", seed: 2)
        for number in 1...5 { try Self.commitWindow(first, number: number, stream: "cam", accuracy: 0.8) }
        try Self.commitWindow(second, number: 1, stream: "cam", accuracy: 0.42)
        try Self.commitWindow(first, number: 6, stream: "gone", accuracy: 0.7)
        // Then the snapshot has b's newer result, not a's higher-numbered window; a stream without windows has none
        #expect(try fixture.fleet.snapshot().accuracy == ["cam": 0.42, "gone": 0.7])
        _ = try first.requestRemove(id: "gone")
        try first.finishRemoval(stream: "gone", window: 6, command: nil)
        #expect(try fixture.fleet.snapshot().accuracy == ["cam": 0.42])
    }
}
