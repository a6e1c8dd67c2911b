import Foundation

/// Runs blocking work (a child process waited for, a blocking client call) on a thread of its own and awaits
/// it, so that it does not hold one of the few cooperative threads every async test of the process shares.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
