import Synchronization

/// What a live source is doing, for the API, the dashboard and `/metrics`.
public struct LiveSourceStatus: Sendable, Equatable {
    public enum Connection: String, Sendable, Equatable {
        case connecting
        case connected
        case disconnected
    }

    public var connection: Connection
    /// Why the source is disconnected (the decoder's message); nil while connected.
    public var reason: String?
    public var framesReceived: Int
    /// Times the source was opened again after it dropped or stalled.
    public var reconnects: Int
    /// Labelled objects held for the coming windows.
    public var bufferedObjects: Int

    public init(connection: Connection, reason: String?, framesReceived: Int, reconnects: Int, bufferedObjects: Int) {
        self.connection = connection
        self.reason = reason
        self.framesReceived = framesReceived
        self.reconnects = reconnects
        self.bufferedObjects = bufferedObjects
    }
}

/// A stream whose source is live and can drop.
public protocol LiveSourceReporting: AnyObject, Sendable {
    var source: String { get }
    var liveStatus: LiveSourceStatus { get }
    /// Ends its ingest (the stream was removed or the service stops).
    func stop()
}

/// The live sources of a service by stream id: the stream makers register them, the API reads their
/// status, removing a stream stops its ingest.
public final class LiveSources: Sendable {
    private let sources = Mutex<[String: any LiveSourceReporting]>([:])

    public init() {}

    /// The live source of stream `id`, if it has one.
    public func source(_ id: String) -> (any LiveSourceReporting)? { sources.withLock { $0[id] } }

    /// Every stream's status, by id.
    public var statuses: [(id: String, source: String, status: LiveSourceStatus)] {
        sources.withLock { $0.map { ($0.key, $0.value.source, $0.value.liveStatus) } }.sorted { $0.id < $1.id }
    }

    public func register(_ id: String, _ source: any LiveSourceReporting) {
        let previous = sources.withLock { sources in
            defer { sources[id] = source }
            return sources[id]
        }
        if let previous, previous !== source { previous.stop() }
    }

    /// Stops and forgets stream `id`'s source.
    public func remove(_ id: String) {
        sources.withLock { $0.removeValue(forKey: id) }?.stop()
    }

    /// Stops every source.
    public func stopAll() {
        let all = sources.withLock { sources in
            defer { sources = [:] }
            return Array(sources.values)
        }
        for source in all { source.stop() }
    }
}
