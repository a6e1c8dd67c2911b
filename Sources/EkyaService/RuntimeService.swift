import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The window loop as a ServiceLifecycle service: it runs on a dedicated thread (libtorch is synchronous and
/// must stay off the cooperative pool); graceful shutdown (SIGTERM) stops it at the next step, after which
/// the interrupted window is recorded and the run is closed.
///
/// A loop that does not stop within `shutdownGraceSeconds` (a native call that never returns) is left
/// behind: the service ends with ``StuckWindowLoop`` so that the process exits and its supervisor restarts
/// it; the next start records the window as interrupted, as after `kill -9`.
public struct RuntimeService: Service {
    let loop: WindowLoop
    let shutdownGraceSeconds: Double

    public init(loop: WindowLoop, shutdownGraceSeconds: Double = 30) {
        self.loop = loop
        self.shutdownGraceSeconds = shutdownGraceSeconds
    }

    /// The window loop did not stop within the grace period after a stop was requested.
    public struct StuckWindowLoop: Error, CustomStringConvertible {
        public var seconds: Double
        public var description: String {
            "the window loop did not stop within \(Int(seconds)) s of the stop request (a job is stuck in a step); "
                + "exiting without it: committed state is kept and the window is recorded as interrupted at the next start"
        }
    }

    /// Resumes a continuation once, from whichever of the loop's end and the grace timer comes first.
    final class Ending: Sendable {
        private let continuation = Mutex<CheckedContinuation<Void, any Error>?>(nil)

        func set(_ value: CheckedContinuation<Void, any Error>) { continuation.withLock { $0 = value } }

        func resume(with result: Result<Void, any Error>) {
            let taken = continuation.withLock { value -> CheckedContinuation<Void, any Error>? in
                defer { value = nil }
                return value
            }
            taken?.resume(with: result)
        }
    }

    public func run() async throws {
        let loop = self.loop
        let grace = shutdownGraceSeconds
        let ending = Ending()
        let stop: @Sendable () -> Void = {
            loop.requestStop()
            DispatchQueue.global().asyncAfter(deadline: .now() + grace) {
                ending.resume(with: .failure(StuckWindowLoop(seconds: grace)))
            }
        }
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    ending.set(continuation)
                    let thread = Thread {
                        ending.resume(with: Result { try loop.run() })
                    }
                    thread.name = "ekya-window-loop"
                    thread.stackSize = 16 << 20
                    thread.start()
                }
            } onCancel: {
                stop()
            }
        } onGracefulShutdown: {
            stop()
        }
    }
}
