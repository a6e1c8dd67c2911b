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
/// (a heap per stream load: O(M log N) for M streams on N nodes). A stream that has a live owner stays, unless moving it
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
        // The live node where `extra` more load gives the lowest load per device (ties: the first given).
        func bestNode(for extra: Double, excluding excluded: Int) -> Int? {
            alive.filter { $0 != excluded }.min {
                let (left, right) = (perDevice($0, adding: extra), perDevice($1, adding: extra))
                return left != right ? left < right : $0 < $1
            }
        }
        // The heaviest first: they are the hardest to fit. An orphan goes where its load per device *with it*
        // is lowest (not where the load is lowest now: on nodes of unequal speed the two differ, and placing
        // by the load before would put a stream on a slow node only for the relief below to take another
        // away, a swap repeated at every window boundary). Orphans of one load share a heap keyed by the
        // load per device with one more of them: O(M log N) for M streams on N nodes.
        var heap = Heap<Slot>()
        var heapLoad: Double?
        for stream in orphans.sorted(by: { $0.load != $1.load ? $0.load > $1.load : $0.id < $1.id }) {
            if heapLoad != stream.load {
                heapLoad = stream.load
                heap = Heap(alive.map { Slot(perDevice: perDevice($0, adding: stream.load), node: $0) })
            }
            guard var slot = heap.popMin() else { break }
            load[slot.node] += stream.load
            owners[stream.id] = nodes[slot.node].id
            slot.perDevice = perDevice(slot.node, adding: stream.load)
            heap.insert(slot)
        }
        // Relieve overloaded nodes, beyond the hysteresis only: the lightest stream of the most loaded node
        // moves where it lands lowest, while that saves more than `hysteresis` per device.
        var moves = 0
        while moves < streams.count {
            guard
                let heaviest = alive.max(by: {
                    perDevice($0) < perDevice($1) || (perDevice($0) == perDevice($1) && $0 > $1)
                }),
                let stream = held[heaviest]?.min(by: { $0.load < $1.load }),
                let lightest = bestNode(for: stream.load, excluding: heaviest),
                perDevice(heaviest) - perDevice(lightest, adding: stream.load) > hysteresis
            else { break }
            held[heaviest]?.removeAll { $0.id == stream.id }
            load[heaviest] -= stream.load
            load[lightest] += stream.load
            owners[stream.id] = nodes[lightest].id
            moves += 1
        }
        return owners
    }
}
