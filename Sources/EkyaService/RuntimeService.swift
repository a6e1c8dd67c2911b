import Foundation
import Logging
import ServiceLifecycle

/// The window loop as a ServiceLifecycle service: it runs on a dedicated thread (libtorch is synchronous and
/// must stay off the cooperative pool); graceful shutdown (SIGTERM) stops it at the next step, after which
/// the interrupted window is recorded and the run is closed.
public struct RuntimeService: Service {
    let loop: WindowLoop

    public init(loop: WindowLoop) {
        self.loop = loop
    }

    public func run() async throws {
        let loop = self.loop
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let thread = Thread {
                        do {
                            try loop.run()
                            continuation.resume()
                        } catch {
                            continuation.resume(throwing: error)
                        }
                    }
                    thread.name = "ekya-window-loop"
                    thread.stackSize = 16 << 20
                    thread.start()
                }
            } onCancel: {
                loop.requestStop()
            }
        } onGracefulShutdown: {
            loop.requestStop()
        }
    }
}
