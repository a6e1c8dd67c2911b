import EkyaFleet
import EkyaStore
import Foundation
import Logging
import Synchronization

/// This node's place in a fleet: it joins, renews its heartbeat and leases on a thread of its own, and tells
/// the window loop which streams to take and hand over at each window boundary.
public final class FleetMembership: Sendable {
    /// Another process took this node's id while this one ran (its heartbeat was found replaced): this one
    /// stops, since two processes must not act as one node.
    public struct NodeIDTaken: Error, CustomStringConvertible {
        public var node: String
        public var description: String {
            "node id '\(node)' was taken by another process while this one ran (its heartbeat had expired); "
                + "stopping: run each server with its own --node-id"
        }
    }

    /// Another live process already uses this node's id.
    public struct NodeIDInUse: Error, CustomStringConvertible {
        public var node: FleetNodeRecord
        public var description: String {
            "node id '\(node.id)' is in use by a live node at \(node.address) (heartbeat "
                + "\(String(format: "%.1f", node.heartbeatAge)) s ago): give this server another --node-id "
                + "(or \"node_id\"), or stop the other one"
        }
    }

    public let store: any FleetStoring
    public let registration: NodeRegistration
    public let ttl: Double
    public let incarnation = UUID().uuidString.lowercased()
    let assigner: FleetAssigner
    let logger: Logger
    private let held = Mutex<Set<String>>([])
    private let displaced = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    private let lastError = Mutex<String?>(nil)
    private let reportedCost = Mutex<Double>(0)

    public init(
        store: any FleetStoring,
        registration: NodeRegistration,
        ttl: Double,
        assigner: FleetAssigner = FleetAssigner(),
        logger: Logger
    ) {
        self.store = store
        self.registration = registration
        self.ttl = ttl
        self.assigner = assigner
        self.logger = logger
    }

    public var node: String { registration.id }

    /// The streams whose leases this node holds.
    public var streams: Set<String> { held.withLock { $0 } }

    /// Whether another process took this node's id (the loop stops: two processes must not share one id).
    public var isDisplaced: Bool { displaced.load(ordering: .sequentiallyConsistent) }

    /// The heartbeat's last failure (nil after a success).
    public var heartbeatError: String? { lastError.withLock { $0 } }

    /// Joins the fleet.
    ///
    /// A node id held by a process whose heartbeat has stopped (this node's previous life, killed) is taken
    /// over once that heartbeat expires; one whose heartbeat goes on is a collision.
    public func join(sleep: (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }) throws {
        var first: FleetNodeRecord?
        let deadline = Date().addingTimeInterval(ttl + 5)
        while true {
            switch try store.join(registration, incarnation: incarnation, ttl: ttl) {
            case .joined:
                logger.notice(
                    "joined the fleet",
                    metadata: ["node": "\(node)", "address": "\(registration.address)", "lease_s": "\(ttl)"]
                )
                return
            case .inUse(let other):
                if let first, other.heartbeatAt > first.heartbeatAt || Date() > deadline {
                    throw NodeIDInUse(node: other)
                }
                if first == nil {
                    logger.notice(
                        "node id held by a previous process; waiting for its heartbeat to expire",
                        metadata: ["node": "\(node)", "heartbeat_age_s": "\(other.heartbeatAge)"]
                    )
                    first = other
                }
                sleep(0.5)
            }
        }
    }

    /// Renews the heartbeat and the leases now; returns the streams still held.
    @discardableResult
    public func renew() throws -> Set<String> {
        guard let renewed = try store.heartbeat(node: node, incarnation: incarnation, ttl: ttl) else {
            displaced.store(true, ordering: .sequentiallyConsistent)
            throw StoreError.conflict("node id '\(node)' was taken by another process")
        }
        held.withLock { $0 = renewed }
        return renewed
    }

    /// Starts the heartbeat thread: renews every third of the lease time until ``leave()``.
    public func startHeartbeat() {
        let thread = Thread { [self] in
            while !stopped.load(ordering: .sequentiallyConsistent) {
                do {
                    try renew()
                    lastError.withLock { $0 = nil }
                } catch {
                    lastError.withLock { $0 = "\(error)" }
                    logger.warning("fleet heartbeat failed", metadata: ["error": "\(error)"])
                    if isDisplaced { return }
                }
                var left = ttl / 3
                while left > 0, !stopped.load(ordering: .sequentiallyConsistent) {
                    Thread.sleep(forTimeInterval: min(0.1, left))
                    left -= 0.1
                }
            }
        }
        thread.name = "ekya-fleet-heartbeat"
        thread.start()
    }

    /// What to take and hand over now, after reaping nodes whose heartbeat expired.
    public func plan() throws -> (moves: FleetMoves, snapshot: FleetSnapshot) {
        let lost = try store.reapLostNodes(ttl: ttl)
        if !lost.isEmpty { logger.notice("fleet nodes lost (heartbeat expired)", metadata: ["nodes": "\(lost)"]) }
        try renew()
        let snapshot = try store.snapshot()
        let alive = snapshot.nodes.filter { $0.isAlive(ttl: ttl) }
        let aliveIDs = Set(alive.map(\.id))
        let owners = Dictionary(
            snapshot.leases.filter { aliveIDs.contains($0.node) || $0.expiresIn > 0 }.map { ($0.stream, $0.node) },
            uniquingKeysWith: { first, _ in first }
        )
        let moves = FleetPlanner.moves(
            node: node,
            nodes: Self.nodes(alive),
            streams: snapshot.streams.map { FleetStream(id: $0.id, load: 1) },
            owners: owners,
            assigner: assigner
        )
        return (moves, snapshot)
    }

    /// The live nodes for placement, each node's speed measured by its inference cost against the fleet's median
    /// (a node that has not measured yet counts as typical).
    ///
    /// Speeds within 1.5× of typical count as 1 and others are rounded to halves, so that measurement noise of
    /// nodes on like hardware does not move streams; clamped to 0.25...8.
    static func nodes(_ alive: [FleetNodeRecord]) -> [FleetNode] {
        let costs = alive.map(\.inferenceCost).filter { $0 > 0 }.sorted()
        let typical = costs.isEmpty ? 0 : costs[costs.count / 2]
        return alive.map { record in
            var speed = typical > 0 && record.inferenceCost > 0 ? typical / record.inferenceCost : 1
            speed = (1 / 1.5...1.5).contains(speed) ? 1 : min(8, max(0.25, (speed * 2).rounded() / 2))
            return FleetNode(id: record.id, devices: record.devices, speed: speed)
        }
    }

    /// Records this node's measured inference cost when it differs by more than 10 % from the last one reported.
    public func report(inferenceCost: Double) throws {
        guard inferenceCost > 0 else { return }
        let last = reportedCost.withLock { $0 }
        guard last == 0 || abs(inferenceCost - last) > 0.1 * last else { return }
        try store.report(node: node, incarnation: incarnation, inferenceCost: inferenceCost)
        reportedCost.withLock { $0 = inferenceCost }
    }

    /// Takes `stream`; false when another node holds it.
    public func acquire(_ stream: String) throws -> Bool {
        let taken = try store.acquire(stream: stream, node: node, incarnation: incarnation, ttl: ttl)
        if taken { held.withLock { _ = $0.insert(stream) } }
        return taken
    }

    public func release(_ stream: String) throws {
        try store.release(stream: stream, node: node, incarnation: incarnation)
        held.withLock { _ = $0.remove(stream) }
    }

    /// A clean stop: the heartbeat ends and every lease is released, so the others take the streams at once.
    public func leave() {
        stopped.store(true, ordering: .sequentiallyConsistent)
        do {
            try store.leave(node: node, incarnation: incarnation)
            held.withLock { $0 = [] }
            logger.notice("left the fleet", metadata: ["node": "\(node)"])
        } catch {
            logger.warning("cannot release the leases; they expire by themselves", metadata: ["error": "\(error)"])
        }
    }
}
