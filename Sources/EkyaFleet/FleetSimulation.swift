import EkyaCore
import EkyaSimulation

/// Many edge servers on virtual time: the real assignment, leases and per-node scheduler, with node
/// failures, beside one pooled server with the same devices.
///
/// Streams replay a trace (stream i is the trace's stream i mod its count; windows cycle). At each window
/// start the live nodes renew their leases (TTL 1.5 windows), the assigner places streams without a live
/// owner, and each node plans and plays its own streams with its devices. A node that fails stops
/// renewing: its streams are unserved (accuracy 0) until its leases expire and the next window start
/// moves them. The pooled server runs every stream every window on all the devices, without failures.
public struct FleetSimulation: Sendable {
    public struct Failure: Sendable, Equatable {
        public var node: Int
        /// The first window the node is down.
        public var window: Int
        /// How many windows it stays down.
        public var windows: Int

        public init(node: Int, window: Int, windows: Int) {
            self.node = node
            self.window = window
            self.windows = windows
        }
    }

    public struct Report: Sendable, Equatable {
        /// Mean accuracy over windows and streams.
        public var fleetAccuracy: Double
        public var pooledAccuracy: Double
        /// Streams that changed owner in a failure's first two windows (the failover), per failure.
        public var streamsMovedPerFailure: Double
        /// Streams that changed owner when a failed node came back.
        public var streamsMovedOnRecovery: Int
        /// Overlapping leases of one stream to two nodes, from the lease history.
        public var doubleOwnership: Int
        /// Stream-windows nobody served.
        public var unservedStreamWindows: Int
        public var perWindow: [(fleet: Double, pooled: Double)]

        public static func == (left: Report, right: Report) -> Bool {
            left.fleetAccuracy == right.fleetAccuracy && left.pooledAccuracy == right.pooledAccuracy
                && left.streamsMovedPerFailure == right.streamsMovedPerFailure
                && left.streamsMovedOnRecovery == right.streamsMovedOnRecovery
                && left.doubleOwnership == right.doubleOwnership
                && left.unservedStreamWindows == right.unservedStreamWindows
        }
    }

    public var trace: Trace
    public var nodes: Int
    public var devicesPerNode: Int
    public var streams: Int
    public var windows: Int
    public var failures: [Failure]
    public var settings: SimulationSettings
    public var assigner: FleetAssigner
    /// Inference load of one stream (its full-rate share).
    public var streamLoad: Double

    public init(
        trace: Trace,
        nodes: Int,
        devicesPerNode: Int,
        streams: Int,
        windows: Int,
        failures: [Failure],
        settings: SimulationSettings,
        assigner: FleetAssigner = FleetAssigner(),
        streamLoad: Double = 0.25
    ) {
        self.trace = trace
        self.nodes = nodes
        self.devicesPerNode = devicesPerNode
        self.streams = streams
        self.windows = windows
        self.failures = failures
        self.settings = settings
        self.assigner = assigner
        self.streamLoad = streamLoad
    }

    func isDown(_ node: Int, in window: Int) -> Bool {
        failures.contains { $0.node == node && window >= $0.window && window < $0.window + $0.windows }
    }

    public func run(scheduler: any Scheduler) throws -> Report {
        let names = trace.streams
        let traceWindows = trace.windows
        guard !names.isEmpty, !traceWindows.isEmpty, nodes >= 1, streams >= 1, windows >= 1 else {
            throw EkyaError.invalidProfile(stream: "fleet", reason: "needs a trace, nodes, streams and windows")
        }
        let length = Double(settings.timing.length)
        var leases = LeaseTable(ttl: 1.5 * length)
        let fleetStreams = (0..<streams).map { FleetStream(id: "s\($0)", load: streamLoad) }
        var fleetSum = 0.0
        var pooledSum = 0.0
        var perWindow: [(fleet: Double, pooled: Double)] = []
        var movedWhileDown = 0
        var movedOnRecovery = 0
        var unserved = 0
        // The node that last served each stream (kept through windows nobody served it).
        var lastOwner: [String: String] = [:]
        let pooled = WindowSimulator(settings: settings, devices: nodes * devicesPerNode)
        for window in 1...windows {
            let now = Double(window - 1) * length
            let nodeList = (0..<nodes).map {
                FleetNode(id: "n\($0)", devices: devicesPerNode, isAlive: !isDown($0, in: window))
            }
            for node in nodeList where node.isAlive { leases.renew(node: node.id, at: now) }
            let held = leases.owners(at: now)
            let wanted = assigner.assign(streams: fleetStreams, nodes: nodeList, current: held)
            var owners: [String: String] = [:]
            var moved = 0
            for stream in fleetStreams {
                guard let node = wanted[stream.id] else { continue }
                if let holder = held[stream.id], holder != node,
                    nodeList.first(where: { $0.id == holder })?.isAlive == true
                {
                    leases.release(stream.id, by: holder, at: now)
                }
                guard leases.acquire(stream.id, for: node, at: now) else { continue }
                owners[stream.id] = node
                if let before = lastOwner[stream.id], before != node { moved += 1 }
                lastOwner[stream.id] = node
            }
            if failures.contains(where: { $0.window + $0.windows == window }) {
                movedOnRecovery += moved
            } else if failures.contains(where: { window >= $0.window && window <= $0.window + 1 }) {
                movedWhileDown += moved
            }
            let dataWindow = traceWindows[(window - 1) % traceWindows.count]
            func profile(_ index: Int) -> StreamWindowProfile? {
                trace.profile(stream: names[index % names.count], window: dataWindow).map {
                    var copy = $0
                    copy.stream = fleetStreams[index].id
                    return copy
                }
            }
            var accuracy = [Double](repeating: 0, count: streams)
            for node in nodeList where node.isAlive {
                let mine = (0..<streams).filter { owners[fleetStreams[$0].id] == node.id }
                guard !mine.isEmpty else { continue }
                let simulator = WindowSimulator(settings: settings, devices: node.devices)
                let result = try simulator.simulate(
                    window: dataWindow,
                    profiles: mine.compactMap(profile),
                    scheduler: scheduler
                )
                for (position, index) in mine.enumerated() { accuracy[index] = result.streamAccuracies[position] }
            }
            unserved += (0..<streams).filter { owners[fleetStreams[$0].id] == nil }.count
            let all = try pooled.simulate(
                window: dataWindow,
                profiles: (0..<streams).compactMap(profile),
                scheduler: scheduler
            )
            let fleetMean = accuracy.reduce(0, +) / Double(streams)
            fleetSum += fleetMean
            pooledSum += all.meanAccuracy
            perWindow.append((fleetMean, all.meanAccuracy))
        }
        return Report(
            fleetAccuracy: fleetSum / Double(windows),
            pooledAccuracy: pooledSum / Double(windows),
            streamsMovedPerFailure: failures.isEmpty ? 0 : Double(movedWhileDown) / Double(failures.count),
            streamsMovedOnRecovery: movedOnRecovery,
            doubleOwnership: LeaseTable.doubleOwnership(leases.grants),
            unservedStreamWindows: unserved,
            perWindow: perWindow
        )
    }
}
