import EkyaCore
import EkyaRuntime
import Foundation
import Synchronization

/// What the window loop is doing; its description is what the API and the dashboard show.
public enum ServicePhase: Sendable, Equatable, CustomStringConvertible {
    case starting
    case loading
    case loadingTeacher
    /// Training a stream's starting model (or cataloguing its recording).
    case training(stream: String)
    case window
    case idle
    /// Persistence failed; the models in memory serve on.
    case degraded
    case stopping
    case stopped

    public var description: String {
        switch self {
        case .starting: "starting"
        case .loading: "loading"
        case .loadingTeacher: "loading teacher"
        case .training(let stream): "training \(stream)"
        case .window: "window"
        case .idle: "idle"
        case .degraded: "degraded"
        case .stopping: "stopping"
        case .stopped: "stopped"
        }
    }
}

/// What the window loop is doing now, shared with the HTTP handlers (the loop writes, handlers read).
public struct LiveState: Sendable, Equatable {
    public var phase = ServicePhase.starting
    public var startedAt = Date()
    /// The window in progress, if any.
    public var window: Int?
    public var live: LiveWindowStatus?
    public var lastCompletedWindow: Int?
    public var interruptedAtStart: [Int] = []
    public var lastError: String?
    /// A persistence fault in force (the database or the model store refused a write): the service goes on
    /// serving with the models in memory and retries at the next window; nil once a window commits again.
    public var storageFault: String?
    /// When the window in progress last made progress (an executor tick, a profiling or labelling step).
    public var lastProgress: ContinuousClock.Instant?
    /// How long a window may go without progress before it is reported stalled.
    public var stallSeconds: Double = 300

    public init() {}

    /// Seconds the window in progress has gone without progress, when that is longer than `stallSeconds`.
    public func stalledSeconds(now: ContinuousClock.Instant) -> Double? {
        guard phase == .window, let lastProgress else { return nil }
        let seconds = lastProgress.duration(to: now).inSeconds
        return seconds > stallSeconds ? seconds : nil
    }
}

/// The live state behind a lock.
public final class ServiceState: Sendable {
    private let value = Mutex(LiveState())

    public init() {}

    public var snapshot: LiveState { value.withLock { $0 } }

    public func update(_ body: (inout LiveState) -> Void) {
        value.withLock { body(&$0) }
    }
}
