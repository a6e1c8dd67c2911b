/// Stream ownership by leases with a time to live, as the fleet's database holds it.
///
/// A node may take a stream only when no other node holds an unexpired lease on it; a live node renews
/// its leases with its heartbeat. Every grant is kept, so that double ownership can be checked after
/// the fact from the history alone.
public struct LeaseTable: Sendable {
    public struct Grant: Sendable, Equatable {
        public var stream: String
        public var node: String
        public var start: Double
        /// When the lease ended: released, or expired without renewal.
        public var end: Double

        public init(stream: String, node: String, start: Double, end: Double) {
            self.stream = stream
            self.node = node
            self.start = start
            self.end = end
        }
    }

    public let ttl: Double
    private var active: [String: Grant] = [:]
    public private(set) var history: [Grant] = []

    public init(ttl: Double) {
        self.ttl = ttl
    }

    /// The node holding an unexpired lease on `stream` at `now`.
    public func owner(of stream: String, at now: Double) -> String? {
        guard let grant = active[stream], grant.end > now else { return nil }
        return grant.node
    }

    /// Every stream's current owner at `now`.
    public func owners(at now: Double) -> [String: String] {
        active.filter { $0.value.end > now }.mapValues(\.node)
    }

    /// Takes `stream` for `node`: refused (false) while another node's lease runs.
    @discardableResult
    public mutating func acquire(_ stream: String, for node: String, at now: Double) -> Bool {
        if let grant = active[stream], grant.end > now, grant.node != node { return false }
        if let grant = active[stream], grant.node == node, grant.end > now {
            active[stream]?.end = now + ttl
            return true
        }
        if let grant = active[stream] { history.append(grant) }
        active[stream] = Grant(stream: stream, node: node, start: now, end: now + ttl)
        return true
    }

    /// Renews every lease `node` holds (its heartbeat).
    public mutating func renew(node: String, at now: Double) {
        for (stream, grant) in active where grant.node == node && grant.end > now {
            active[stream]?.end = now + ttl
        }
    }

    /// Gives `stream` up now, if `node` holds it.
    public mutating func release(_ stream: String, by node: String, at now: Double) {
        guard var grant = active[stream], grant.node == node, grant.end > now else { return }
        grant.end = now
        history.append(grant)
        active[stream] = nil
    }

    /// All grants, ended and running.
    public var grants: [Grant] { history + active.values.sorted { $0.stream < $1.stream } }

    /// Pairs of grants of one stream to two nodes that overlap in time (0 when ownership was exclusive).
    public static func doubleOwnership(_ grants: [Grant]) -> Int {
        var byStream: [String: [Grant]] = [:]
        for grant in grants { byStream[grant.stream, default: []].append(grant) }
        var overlaps = 0
        for (_, list) in byStream {
            let sorted = list.sorted { $0.start < $1.start }
            for (first, earlier) in sorted.enumerated() {
                for later in sorted[(first + 1)...] where later.node != earlier.node && later.start < earlier.end {
                    overlaps += 1
                }
            }
        }
        return overlaps
    }
}
