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

    public init() {}
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
