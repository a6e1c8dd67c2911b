import EkyaCore
import EkyaRuntime
import Foundation
import Synchronization

/// What the window loop is doing now, shared with the HTTP handlers (the loop writes, handlers read).
public struct LiveState: Sendable, Equatable {
    /// `starting`, `loading`, `training <stream>`, `window`, `idle`, `stopping`, `stopped`.
    public var phase: String = "starting"
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
        guard phase == "window", let lastProgress else { return nil }
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
