import EkyaStore
import Foundation

/// `GET /api/fleet`: the fleet's nodes, the streams each holds with its lease's age, and accuracy per node.
struct FleetDTO: Codable, Sendable {
    struct Node: Codable, Sendable {
        var id: String
        var address: String
        var devices: Int
        /// Measured device share of one stream's inference at the full frame rate.
        var inferenceCost: Double?
        /// `live`, `left` (stopped cleanly) or `lost` (its heartbeat expired).
        var status: String
        /// Live with a heartbeat younger than the lease time.
        var alive: Bool
        var heartbeatAgeSeconds: Double?
        var streams: [Stream]
        /// Mean measured accuracy of its streams' newest windows.
        var meanAccuracy: Double?
    }

    struct Stream: Codable, Sendable {
        var id: String
        var leaseAgeSeconds: Double?
        var leaseExpiresInSeconds: Double?
        var accuracy: Double?
    }

    /// The node that answered.
    var node: String
    /// Whether the store is shared by a fleet (PostgreSQL); false: a server of its own, shown as one node.
    var shared: Bool
    var leaseSeconds: Double?
    var nodes: [Node]
    /// Streams no node holds right now (waiting for a node, or between two).
    var unassigned: [String]
}

extension API {
    static func fleet(_ api: APIContext) throws -> FleetDTO {
        guard let fleet = api.fleet else {
            let streams = try api.store.streams().filter { $0.status != .pending }
            let entries = try streams.map { record in
                FleetDTO.Stream(
                    id: record.id,
                    accuracy: try api.store.latestResult(stream: record.id)?.result?.measuredAccuracy
                )
            }
            let node = FleetDTO.Node(
                id: "local",
                address: "",
                devices: 0,
                status: "live",
                alive: true,
                streams: entries,
                meanAccuracy: mean(entries.compactMap(\.accuracy))
            )
            return FleetDTO(node: "local", shared: false, nodes: [node], unassigned: [])
        }
        let snapshot = try fleet.store.snapshot()
        let leases = Dictionary(grouping: snapshot.leases, by: \.node)
        let nodes = snapshot.nodes.map { record in
            let streams = (leases[record.id] ?? []).map {
                FleetDTO.Stream(
                    id: $0.stream,
                    leaseAgeSeconds: $0.age,
                    leaseExpiresInSeconds: $0.expiresIn,
                    accuracy: snapshot.accuracy[$0.stream]
                )
            }
            return FleetDTO.Node(
                id: record.id,
                address: record.address,
                devices: record.devices,
                inferenceCost: record.inferenceCost > 0 ? record.inferenceCost : nil,
                status: record.status.rawValue,
                alive: record.isAlive(ttl: fleet.ttl),
                heartbeatAgeSeconds: record.heartbeatAge,
                streams: streams,
                meanAccuracy: mean(streams.compactMap(\.accuracy))
            )
        }
        let held = Set(snapshot.leases.map(\.stream))
        return FleetDTO(
            node: fleet.node,
            shared: true,
            leaseSeconds: fleet.ttl,
            nodes: nodes,
            unassigned: snapshot.streams.map(\.id).filter { !held.contains($0) }
        )
    }

    static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }
}
