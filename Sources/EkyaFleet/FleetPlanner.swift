/// What one node of a fleet does at a window boundary: the streams it takes and the ones it hands over.
public struct FleetMoves: Sendable, Equatable {
    /// Streams assigned to this node that no node holds: take their leases.
    public var acquire: [String]
    /// Streams this node holds that the assignment gives to another live node: release them.
    public var release: [String]

    public init(acquire: [String] = [], release: [String] = []) {
        self.acquire = acquire
        self.release = release
    }
}

/// Each node runs the same assignment on the same shared state and acts on its own part only.
///
/// Leases keep ownership exclusive whatever the nodes' views: a node takes only streams no one holds, and a
/// stream moves between two live nodes by a release followed by an acquisition (a hand-over of at most one
/// window). Streams of a lost node are free once its leases expire, and go where the assignment puts them.
public enum FleetPlanner {
    public static func moves(
        node: String,
        nodes: [FleetNode],
        streams: [FleetStream],
        owners: [String: String],
        assigner: FleetAssigner
    ) -> FleetMoves {
        let target = assigner.assign(streams: streams, nodes: nodes, current: owners)
        var moves = FleetMoves()
        for stream in streams {
            let owner = owners[stream.id]
            let goesTo = target[stream.id]
            if goesTo == node, owner == nil {
                moves.acquire.append(stream.id)
            } else if owner == node, let goesTo, goesTo != node {
                moves.release.append(stream.id)
            }
        }
        return moves
    }
}
