import EkyaCore
import HeapModule

/// An edge server of a fleet: its id, its devices, how fast they are, and whether its heartbeat is current.
public struct FleetNode: Sendable, Equatable {
    public var id: String
    public var devices: Int
    /// Its devices' speed relative to the fleet's typical device (2: a stream's inference takes half the share).
    public var speed: Double
    public var isAlive: Bool

    public init(id: String, devices: Int, speed: Double = 1, isAlive: Bool = true) {
        self.id = id
        self.devices = devices
        self.speed = speed
        self.isAlive = isAlive
    }

    /// Devices in units of the typical device.
    var capacity: Double { Double(devices) * speed }
}

/// A camera stream of a fleet and the inference load it puts on a node (device share at full frame rate).
public struct FleetStream: Sendable, Equatable {
    public var id: String
    public var load: Double

    public init(id: String, load: Double) {
        self.id = id
        self.load = load
    }
}

/// Places streams on nodes by inference load per device, with hysteresis.
///
/// A stream without a live owner goes to the live node whose load per device would be lowest with it
/// (a heap: O(M log N) for M streams on N nodes). A stream that has a live owner stays, unless moving it
/// lowers the most loaded node's load per device by more than `hysteresis` below where it would land:
/// a node that comes back takes orphans and relieves overloaded nodes, but does not pull streams from
/// nodes that are merely a little busier (no flapping).
public struct FleetAssigner: Sendable {
    /// Load per device a move must save before a stream leaves a live owner.
    public var hysteresis: Double

    public init(hysteresis: Double = 0.5) {
        self.hysteresis = hysteresis
    }

    struct Slot: Comparable {
        var perDevice: Double
        var node: Int
        static func < (left: Slot, right: Slot) -> Bool {
            left.perDevice != right.perDevice ? left.perDevice < right.perDevice : left.node < right.node
        }
    }

    /// The owner of every stream (stream id → node id), given the current owners.
    public func assign(
        streams: [FleetStream],
        nodes: [FleetNode],
        current: [String: String]
    ) -> [String: String] {
        var index: [String: Int] = [:]
        for (position, node) in nodes.enumerated() where node.isAlive && node.capacity > 0 {
            index[node.id] = position
        }
        guard !index.isEmpty else { return [:] }
        var load = [Double](repeating: 0, count: nodes.count)
        var owners: [String: String] = [:]
        var orphans: [FleetStream] = []
        var held: [Int: [FleetStream]] = [:]
        for stream in streams {
            if let owner = current[stream.id], let position = index[owner] {
                owners[stream.id] = owner
                load[position] += stream.load
                held[position, default: []].append(stream)
            } else {
                orphans.append(stream)
            }
        }
        func perDevice(_ position: Int, adding extra: Double = 0) -> Double {
            (load[position] + extra) / nodes[position].capacity
        }
        // Node positions in the order given, so that ties break the same way every run.
        let alive = nodes.indices.filter { index[nodes[$0].id] == $0 }
        var heap = Heap(alive.map { Slot(perDevice: perDevice($0), node: $0) })
        // The heaviest first: they are the hardest to fit.
        for stream in orphans.sorted(by: { $0.load != $1.load ? $0.load > $1.load : $0.id < $1.id }) {
            guard var slot = heap.popMin() else { break }
            load[slot.node] += stream.load
            owners[stream.id] = nodes[slot.node].id
            slot.perDevice = perDevice(slot.node)
            heap.insert(slot)
        }
        // Relieve overloaded nodes, beyond the hysteresis only.
        var moves = 0
        while moves < streams.count, let lightest = heap.min {
            guard
                let heaviest = alive.max(by: {
                    perDevice($0) < perDevice($1) || (perDevice($0) == perDevice($1) && $0 > $1)
                }),
                heaviest != lightest.node,
                let stream = held[heaviest]?.min(by: { $0.load < $1.load }),
                perDevice(heaviest) - perDevice(lightest.node, adding: stream.load) > hysteresis
            else { break }
            _ = heap.popMin()
            held[heaviest]?.removeAll { $0.id == stream.id }
            load[heaviest] -= stream.load
            load[lightest.node] += stream.load
            owners[stream.id] = nodes[lightest.node].id
            heap.insert(Slot(perDevice: perDevice(lightest.node), node: lightest.node))
            heap = Heap(
                heap.unordered.map { $0.node == heaviest ? Slot(perDevice: perDevice(heaviest), node: heaviest) : $0 }
            )
            moves += 1
        }
        return owners
    }
}
