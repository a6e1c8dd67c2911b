import Foundation

/// What a node of a fleet tells the others about itself when it joins.
public struct NodeRegistration: Sendable, Equatable {
    /// Unique in the fleet (a StatefulSet's pod name, by default the host name).
    public var id: String
    /// Where its API answers (`http://HOST:PORT`).
    public var address: String
    public var devices: Int
    /// Measured device share one stream's inference takes at the full frame rate (0 until measured).
    public var inferenceCost: Double

    public init(id: String, address: String, devices: Int, inferenceCost: Double = 0) {
        self.id = id
        self.address = address
        self.devices = devices
        self.inferenceCost = inferenceCost
    }
}

/// A node as the fleet's database holds it; ages are measured on the database server's clock.
public struct FleetNodeRecord: Codable, Sendable, Equatable {
    /// `live` while it renews its heartbeat, `left` after a clean stop, `lost` once its heartbeat expired.
    public enum Status: String, Codable, Sendable {
        case live, left, lost
    }

    public var id: String
    public var address: String
    public var devices: Int
    public var inferenceCost: Double
    /// A fresh identifier per process: a second process with the same node id cannot pass for the first.
    public var incarnation: String
    public var status: Status
    public var startedAt: Date
    public var heartbeatAt: Date
    /// Seconds since the last heartbeat.
    public var heartbeatAge: Double

    public init(
        id: String,
        address: String,
        devices: Int,
        inferenceCost: Double,
        incarnation: String,
        status: Status,
        startedAt: Date,
        heartbeatAt: Date,
        heartbeatAge: Double
    ) {
        self.id = id
        self.address = address
        self.devices = devices
        self.inferenceCost = inferenceCost
        self.incarnation = incarnation
        self.status = status
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.heartbeatAge = heartbeatAge
    }

    /// Whether it counts as a member: live, with a heartbeat younger than `ttl`.
    public func isAlive(ttl: Double) -> Bool { status == .live && heartbeatAge < ttl }
}

/// A node's lease on a stream: the only node that may run the stream and write its results until it expires.
public struct StreamLease: Codable, Sendable, Equatable {
    public var stream: String
    public var node: String
    /// Seconds since this node took the stream.
    public var age: Double
    /// Seconds until it expires unless renewed (negative: expired).
    public var expiresIn: Double

    public init(stream: String, node: String, age: Double, expiresIn: Double) {
        self.stream = stream
        self.node = node
        self.age = age
        self.expiresIn = expiresIn
    }
}

/// One period of ownership of a stream by a node, kept for ever: double ownership can be checked from these.
public struct LeaseGrantRecord: Codable, Sendable, Equatable {
    public var id: Int64
    public var stream: String
    public var node: String
    public var startedAt: Date
    /// When it was released, or when it expires (or expired) without renewal.
    public var endedAt: Date

    public init(id: Int64, stream: String, node: String, startedAt: Date, endedAt: Date) {
        self.id = id
        self.stream = stream
        self.node = node
        self.startedAt = startedAt
        self.endedAt = endedAt
    }
}

/// The fleet at one instant: its nodes, the leases, the streams to place and each stream's newest accuracy.
public struct FleetSnapshot: Sendable, Equatable {
    public var nodes: [FleetNodeRecord]
    /// Unexpired leases only.
    public var leases: [StreamLease]
    /// Streams that need an owner (pending, active or removing), in creation order.
    public var streams: [StreamRecord]
    /// Measured accuracy of each stream's newest completed window.
    public var accuracy: [String: Double]

    public init(
        nodes: [FleetNodeRecord],
        leases: [StreamLease],
        streams: [StreamRecord],
        accuracy: [String: Double]
    ) {
        self.nodes = nodes
        self.leases = leases
        self.streams = streams
        self.accuracy = accuracy
    }
}

/// The outcome of a node's attempt to join.
public enum NodeJoin: Sendable, Equatable {
    case joined
    /// Another process holds the id with a current heartbeat.
    case inUse(by: FleetNodeRecord)
}

/// The fleet's shared state: membership by heartbeats, stream ownership by leases, and model files every node
/// can read (a stream that moves continues from its newest model).
///
/// Times are the database server's, so the nodes' clocks need not agree. Every method is one transaction.
public protocol FleetStoring: Sendable {
    /// Joins (or rejoins) the fleet as `node` with a fresh `incarnation`; refused while another incarnation's
    /// heartbeat is younger than `ttl`.
    func join(_ node: NodeRegistration, incarnation: String, ttl: Double) throws -> NodeJoin
    /// Renews the node's heartbeat and its unexpired leases by `ttl`; returns the streams it still holds, or nil
    /// when another process has taken the node id.
    func heartbeat(node: String, incarnation: String, ttl: Double) throws -> Set<String>?
    /// Takes `stream` for `node` (true), unless another node holds an unexpired lease (false).
    func acquire(stream: String, node: String, incarnation: String, ttl: Double) throws -> Bool
    /// Gives `stream` up now, if `node` holds it and `incarnation` is still the node's.
    func release(stream: String, node: String, incarnation: String) throws
    /// Records the node's measured inference cost (device share of one stream at the full frame rate).
    func report(node: String, incarnation: String, inferenceCost: Double) throws
    /// A clean stop: every lease of the node ends now and the node is `left` (nothing when another process has
    /// taken the node id since).
    func leave(node: String, incarnation: String) throws
    /// Marks nodes whose heartbeat is older than `ttl` as lost, their running windows interrupted and their runs
    /// crashed; returns their ids.
    func reapLostNodes(ttl: Double) throws -> [String]
    func snapshot() throws -> FleetSnapshot
    /// Every lease grant, oldest first.
    func grants() throws -> [LeaseGrantRecord]
    /// Pairs of grants of one stream to two different nodes that overlap in time, from the grant history
    /// (0: no stream was ever owned by two nodes at once).
    func doubleOwnership() throws -> Int
    /// Stores a model version's file for the other nodes (the same version again replaces it).
    func putModelFile(stream: String, version: Int, bytes: [UInt8]) throws
    func modelFile(stream: String, version: Int) throws -> [UInt8]?
}
