import EkyaCore
import EkyaStore
import Foundation
import Hummingbird
import NIOPosix
import Synchronization

/// Turns thrown ``APIError``s and store errors into JSON error responses; nothing escapes as a 500 page.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return JSON.error(error.status, error.message)
        } catch let error as StoreError {
            switch error {
            case .notFound(let message): return JSON.error(.notFound, message)
            case .conflict(let message): return JSON.error(.conflict, message)
            case .corrupt(let message): return JSON.error(.internalServerError, message)
            case .unavailable: return JSON.error(.serviceUnavailable, error.description)
            }
        } catch let error as HTTPError {
            return JSON.error(error.status, error.body ?? "\(error.status)")
        }
    }
}

/// A router behind two checks that run before any route is matched: a body declared larger than `maxBody`
/// gets 413 before any of it is read, and HEAD is answered on every GET route (the GET response's status
/// and headers, no body).
public struct RequestLimits<Builder: HTTPResponderBuilder>: HTTPResponderBuilder {
    public struct Responder: HTTPResponder {
        let inner: Builder.Responder
        let maxBody: Int

        public func respond(to request: Request, context: Builder.Responder.Context) async throws -> Response {
            if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxBody {
                var response = JSON.error(.contentTooLarge, "the request body is larger than \(maxBody) bytes")
                response.headers[.connection] = "close"
                return response
            }
            guard request.method == .head else { return try await inner.respond(to: request, context: context) }
            var head = request.head
            head.method = .get
            var response = try await inner.respond(to: Request(head: head, body: request.body), context: context)
            let length = response.body.contentLength
            response.body = ResponseBody()
            if let length { response.headers[.contentLength] = String(length) }
            return response
        }
    }

    let router: Builder
    let maxBody: Int

    public func buildResponder() -> Responder { Responder(inner: router.buildResponder(), maxBody: maxBody) }
}

/// Failed authentication attempts over a sliding window: past `limit` of them, every mutating request is
/// refused until the window has passed, which caps token guessing at `limit / window` attempts per second.
final class FailedAuthLimiter: Sendable {
    let limit: Int
    let window: Duration
    private let failures = Mutex<[ContinuousClock.Instant]>([])

    init(limit: Int = 20, window: Duration = .seconds(10)) {
        self.limit = limit
        self.window = window
    }

    /// Seconds until attempts are accepted again, or nil when they are accepted now.
    func retryAfter(now: ContinuousClock.Instant) -> Int? {
        failures.withLock { failures in
            failures.removeAll { $0 + window <= now }
            guard failures.count >= limit, let oldest = failures.first else { return nil }
            return max(1, Int((oldest + window - now).inSeconds.rounded(.up)))
        }
    }

    func recordFailure(now: ContinuousClock.Instant) {
        failures.withLock { $0.append(now) }
    }
}

/// Requires `Authorization: Bearer <token>` on mutating requests (401 otherwise; 429 while too many
/// attempts have failed recently).
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String
    let limiter: FailedAuthLimiter

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        guard
            request.method == .post || request.method == .delete || request.method == .put
                || request.method == .patch
        else { return try await next(request, context) }
        let now = ContinuousClock.now
        if let seconds = limiter.retryAfter(now: now) {
            var response = JSON.error(
                .tooManyRequests,
                "too many failed authentication attempts; retry in \(seconds) s"
            )
            response.headers[.retryAfter] = String(seconds)
            return response
        }
        let expected = Array("Bearer \(token)".utf8)
        let given = Array((request.headers[.authorization] ?? "").utf8)
        // Constant-time comparison: the time taken does not reveal how much of the token matched.
        var difference = expected.count ^ given.count
        for index in expected.indices { difference |= Int(expected[index] ^ (index < given.count ? given[index] : 0)) }
        guard difference == 0, !token.isEmpty else {
            limiter.recordFailure(now: now)
            var response = JSON.error(.unauthorized, "a valid bearer token is required (Authorization: Bearer <token>)")
            response.headers[.wwwAuthenticate] = "Bearer realm=\"ekya\""
            return response
        }
        return try await next(request, context)
    }
}

/// Blocking work of the HTTP handlers (SQLite reads and writes) on a fixed pool of threads of its own, so
/// that the few threads of the cooperative pool stay free to serve other requests while a query runs, and a
/// burst of requests queues for the pool instead of starting a thread each.
enum Blocking {
    /// Four threads: SQLite in WAL mode serves reads concurrently; more would only wait for the CPU.
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }
}

/// JSON responses in snake case with sorted keys.
enum JSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf",
            negativeInfinity: "-inf",
            nan: "nan"
        )
        return encoder
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder().encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let body = "{\"error\":\(jsonString(message)),\"status\":\(status.code)}"
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }
}
