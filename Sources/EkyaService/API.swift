import EkyaCore
import EkyaData
import EkyaRuntime
import EkyaStore
import Foundation
import Hummingbird
import Prometheus
import Synchronization

/// An API failure: its HTTP status and a message for the client.
struct APIError: Error {
    var status: HTTPResponse.Status
    var message: String

    static func badRequest(_ message: String) -> APIError { APIError(status: .badRequest, message: message) }
    static func notFound(_ message: String) -> APIError { APIError(status: .notFound, message: message) }
}

/// Everything the HTTP handlers need: durable state, live state, metrics, the token, the dashboard files.
public struct APIContext: Sendable {
    public var store: ServiceStore
    public var state: ServiceState
    public var registry: PrometheusCollectorRegistry
    public var token: String
    public var windowSeconds: Double
    public var dashboard: Dashboard
    /// Failed authentication attempts, shared by every request.
    let authLimiter: FailedAuthLimiter

    public init(
        store: ServiceStore,
        state: ServiceState,
        registry: PrometheusCollectorRegistry,
        token: String,
        windowSeconds: Double,
        dashboard: Dashboard = Dashboard()
    ) {
        self.init(
            store: store,
            state: state,
            registry: registry,
            token: token,
            windowSeconds: windowSeconds,
            dashboard: dashboard,
            authLimiter: FailedAuthLimiter()
        )
    }

    init(
        store: ServiceStore,
        state: ServiceState,
        registry: PrometheusCollectorRegistry,
        token: String,
        windowSeconds: Double,
        dashboard: Dashboard,
        authLimiter: FailedAuthLimiter
    ) {
        self.authLimiter = authLimiter
        self.store = store
        self.state = state
        self.registry = registry
        self.token = token
        self.windowSeconds = windowSeconds
        self.dashboard = dashboard
    }
}

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

/// Blocking work of the HTTP handlers (SQLite reads and writes) on threads of its own, so that the few
/// threads of the cooperative pool stay free to serve other requests while a query runs.
enum Blocking {
    static let queue = DispatchQueue(label: "ekya.api.store", qos: .userInitiated, attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
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

// MARK: - Response bodies

struct StreamDTO: Codable, Sendable {
    var id: String
    var scenario: String
    var seed: Int64
    var status: String
    var servingVersion: Int?
    var addedWindow: Int?
    var removedWindow: Int?
    var lastWindow: Int?
    var accuracyRealised: Double?
    var accuracyPredicted: Double?
    var retrainingPredictedEndAccuracy: Double?
    var retrainingRealisedEndAccuracy: Double?
    var inferenceShare: Double?
    var trainingShare: Double?
    var configuration: String?
    var retrainingProgress: Double?
}

struct StreamWindowDTO: Codable, Sendable {
    var window: Int
    var status: String
    var stream: String
    var startedAt: Date
    var endedAt: Date?
    var note: String?
    var accuracyRealised: Double?
    var accuracyPredicted: Double?
    var startAccuracy: Double?
    var configuration: String?
    var predictedEndAccuracy: Double?
    var realisedEndAccuracy: Double?
    var predictedCost: Double?
    var realisedCost: Double?
    var swapTime: Double?
    var refusedSwap: Bool?
    var failure: String?
    var inferenceShare: Double?
    var trainingShare: Double?
    var modelVersion: Int?
    var timeline: [Double]?
    var labelAccuracy: Double?
}

struct WindowDTO: Codable, Sendable {
    var window: Int
    var status: String
    var scheduler: String
    var streams: [String]
    var startedAt: Date
    var endedAt: Date?
    var wallSeconds: Double?
    var profilingCost: Double?
    var labellingCost: Double?
    var utilisation: Double?
    var note: String?
}

struct PlanDTO: Codable, Sendable {
    struct Stream: Codable, Sendable {
        var stream: String
        var inferenceShare: Double
        var trainingShare: Double
        var configuration: String?
        var retrainingProgress: Double?
        var swapped: Bool
    }

    var window: Int?
    var phase: String
    var time: Double?
    var windowSeconds: Double
    /// `live` (the window in progress) or `last-completed` (its first plan, between windows).
    var source: String
    var streams: [Stream]
}

struct ModelsDTO: Codable, Sendable {
    struct Version: Codable, Sendable {
        var version: Int
        var status: String
        var createdAt: Date
        var window: Int?
        var configuration: String?
        var validationAccuracy: Double?
        var path: String
        var serving: Bool
    }

    var stream: String
    var servingVersion: Int?
    var versions: [Version]
}

struct AcceptedDTO: Codable, Sendable {
    var stream: String
    var action: String
    var appliesAt: String
    var fromVersion: Int?
    var toVersion: Int?
}

struct HealthDTO: Codable, Sendable {
    var status: String
    var phase: String
    var window: Int?
    var lastCompletedWindow: Int?
    var interruptedAtStart: [Int]
    var lastError: String?
    var storageFault: String?
}

// MARK: - Routes

/// The HTTP API, `/metrics` and the dashboard.
public enum API {
    /// Longest accepted request body.
    static let maxBody = 64 * 1024

    public static func router(_ api: APIContext) -> RequestLimits<Router<BasicRequestContext>> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: BearerTokenMiddleware(token: api.token, limiter: api.authLimiter))

        router.get("/") { _, _ in api.dashboard.response(for: "index.html") }
        router.get("/dashboard.js") { _, _ in api.dashboard.response(for: "dashboard.js") }
        router.get("/dashboard.css") { _, _ in api.dashboard.response(for: "dashboard.css") }
        router.get("/openapi.json") { _, _ in api.dashboard.response(for: "openapi.json") }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: api.registry.emitToBuffer()))
            )
        }
        router.get("/api/health") { _, _ in
            let live = api.state.snapshot
            return try JSON.response(
                HealthDTO(
                    status: live.storageFault == nil ? "ok" : "degraded",
                    phase: live.phase,
                    window: live.window,
                    lastCompletedWindow: live.lastCompletedWindow,
                    interruptedAtStart: live.interruptedAtStart,
                    lastError: live.lastError,
                    storageFault: live.storageFault
                )
            )
        }
        router.get("/api/streams") { _, _ in try await Blocking.run { try JSON.response(try streams(api)) } }
        router.get("/api/streams/:id") { _, context in
            let id = try context.parameters.require("id")
            return try await Blocking.run {
                guard let record = try api.store.stream(id) else { throw APIError.notFound("no stream '\(id)'") }
                return try JSON.response(try stream(api, record: record))
            }
        }
        router.post("/api/streams") { request, context in
            let object = try await jsonObject(request)
            let spec: StreamSpec
            do {
                spec = try StreamRequest.parse(object, defaultSeed: UInt64(Date().timeIntervalSince1970) % 1_000_000)
            } catch let error as StreamRequest.Invalid {
                throw APIError.badRequest("field '\(error.field)' \(error.message)")
            }
            try await Blocking.run {
                _ = try api.store.requestAdd(id: spec.id, scenario: spec.scenario.rawValue, seed: Int64(spec.seed))
            }
            return try JSON.response(
                AcceptedDTO(stream: spec.id, action: "add", appliesAt: "next window boundary"),
                status: .accepted
            )
        }
        router.delete("/api/streams/:id") { _, context in
            let id = try context.parameters.require("id")
            try await Blocking.run { _ = try api.store.requestRemove(id: id) }
            return try JSON.response(
                AcceptedDTO(stream: id, action: "remove", appliesAt: "next window boundary"),
                status: .accepted
            )
        }
        router.get("/api/windows") { request, _ in
            let query = request.uri.queryParameters
            let limit = try integerParameter(
                query["limit"].map(String.init),
                name: "limit",
                default: 50,
                range: 1...1000
            )
            let stream = query["stream"].map(String.init)
            return try await Blocking.run {
                if let stream {
                    guard try api.store.stream(stream) != nil else { throw APIError.notFound("no stream '\(stream)'") }
                    let rows = try api.store.windows(stream: stream, limit: limit).map {
                        streamWindow($0, stream: stream)
                    }
                    return try JSON.response(rows)
                }
                return try JSON.response(try api.store.windows(limit: limit).map(window))
            }
        }
        router.get("/api/plan") { _, _ in try await Blocking.run { try JSON.response(try plan(api)) } }
        router.get("/api/models/:stream") { _, context in
            let id = try context.parameters.require("stream")
            return try await Blocking.run { try modelsResponse(api, stream: id) }
        }
        router.post("/api/models/:stream/rollback") { request, context in
            try await rollback(api, request: request, context: context)
        }
        router.get("/api/dashboard") { _, _ in try await Blocking.run { try JSON.response(try DashboardData.make(api)) }
        }
        return RequestLimits(router: router, maxBody: maxBody)
    }

    static func modelsResponse(_ api: APIContext, stream id: String) throws -> Response {
        guard let stream = try api.store.stream(id) else { throw APIError.notFound("no stream '\(id)'") }
        let versions = try api.store.modelVersions(stream: id).map {
            ModelsDTO.Version(
                version: $0.version,
                status: $0.status.rawValue,
                createdAt: $0.createdAt,
                window: $0.window,
                configuration: $0.configuration,
                validationAccuracy: $0.validationAccuracy,
                path: $0.path,
                serving: $0.version == stream.servingVersion
            )
        }
        return try JSON.response(ModelsDTO(stream: id, servingVersion: stream.servingVersion, versions: versions))
    }

    static func rollback(_ api: APIContext, request: Request, context: BasicRequestContext) async throws -> Response {
        let id = try context.parameters.require("stream")
        var version: Int?
        if let object = try await jsonObject(request, allowEmpty: true) as [String: Any]? {
            if let unknown = object.keys.sorted().first(where: { $0 != "version" }) {
                throw APIError.badRequest("field '\(unknown)' is unknown; known fields: version")
            }
            if let value = object["version"] {
                guard let number = jsonInteger(value), number >= 1 else {
                    throw APIError.badRequest("field 'version' must be a positive integer")
                }
                version = number
            }
        }
        let requested = version
        let (from, to) = try await Blocking.run { try api.store.requestRollback(stream: id, to: requested) }
        return try JSON.response(
            AcceptedDTO(
                stream: id,
                action: "rollback",
                appliesAt: "next window boundary",
                fromVersion: from,
                toVersion: to
            ),
            status: .accepted
        )
    }

    /// The request body as a JSON object (400 naming the problem otherwise; empty allowed when asked).
    static func jsonObject(_ request: Request, allowEmpty: Bool = false) async throws -> [String: Any] {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBody)
        } catch {
            throw APIError(status: .contentTooLarge, message: "the request body is larger than \(maxBody) bytes")
        }
        if buffer.readableBytes == 0 {
            if allowEmpty { return [:] }
            throw APIError.badRequest("the request body must be a JSON object")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) else {
            throw APIError.badRequest("the request body is not valid JSON")
        }
        guard let dictionary = object as? [String: Any] else {
            throw APIError.badRequest("the request body must be a JSON object")
        }
        return dictionary
    }

    static func integerParameter(
        _ text: String?,
        name: String,
        default value: Int,
        range: ClosedRange<Int>
    ) throws
        -> Int
    {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest(
                "query parameter '\(name)' must be an integer in \(range.lowerBound)...\(range.upperBound)"
            )
        }
        return number
    }

    static func streams(_ api: APIContext, includeRemoved: Bool = false) throws -> [StreamDTO] {
        try api.store.streams(includeRemoved: includeRemoved).map { try stream(api, record: $0) }
    }

    /// One stream's view: its record, its newest result and plan, and its live shares.
    static func stream(_ api: APIContext, record: StreamRecord) throws -> StreamDTO {
        let live = api.state.snapshot.live
        let last = try api.store.latestResult(stream: record.id)
        let current = live?.streams.first { $0.stream == record.id }
        return StreamDTO(
            id: record.id,
            scenario: record.scenario,
            seed: record.seed,
            status: record.status.rawValue,
            servingVersion: record.servingVersion,
            addedWindow: record.addedWindow,
            removedWindow: record.removedWindow,
            lastWindow: last?.window.number,
            accuracyRealised: last?.result?.measuredAccuracy,
            accuracyPredicted: last?.result?.simulatedAccuracy,
            retrainingPredictedEndAccuracy: last?.result?.predictedEndAccuracy,
            retrainingRealisedEndAccuracy: last?.result?.realisedEndAccuracy,
            inferenceShare: current?.inferenceShare ?? last?.plan?.inferenceShare,
            trainingShare: current?.trainingShare ?? last?.plan?.trainingShare,
            configuration: current?.configuration ?? last?.plan?.configuration,
            retrainingProgress: current?.progress
        )
    }

    static func window(_ record: WindowRecord) -> WindowDTO {
        WindowDTO(
            window: record.number,
            status: record.status.rawValue,
            scheduler: record.scheduler,
            streams: record.streams.split(separator: ",").map(String.init),
            startedAt: record.startedAt,
            endedAt: record.endedAt,
            wallSeconds: record.wallSeconds,
            profilingCost: record.profilingCost,
            labellingCost: record.labellingCost,
            utilisation: record.utilisation,
            note: record.note
        )
    }

    static func streamWindow(_ summary: StreamWindowSummary, stream: String) -> StreamWindowDTO {
        let result = summary.result
        return StreamWindowDTO(
            window: summary.window.number,
            status: summary.window.status.rawValue,
            stream: stream,
            startedAt: summary.window.startedAt,
            endedAt: summary.window.endedAt,
            note: summary.window.note,
            accuracyRealised: result?.measuredAccuracy,
            accuracyPredicted: result?.simulatedAccuracy,
            startAccuracy: result?.startAccuracy,
            configuration: result?.configuration,
            predictedEndAccuracy: result?.predictedEndAccuracy,
            realisedEndAccuracy: result?.realisedEndAccuracy,
            predictedCost: result?.predictedCost,
            realisedCost: result?.realisedCost,
            swapTime: result?.swapTime,
            refusedSwap: result?.refusedSwap,
            failure: result?.failure,
            inferenceShare: summary.plan?.inferenceShare,
            trainingShare: summary.plan?.trainingShare,
            modelVersion: result?.modelVersion,
            timeline: result?.timelineValues,
            labelAccuracy: result?.labelAccuracy
        )
    }

    static func plan(_ api: APIContext) throws -> PlanDTO {
        let state = api.state.snapshot
        if let live = state.live, state.window == live.window {
            return PlanDTO(
                window: live.window,
                phase: live.phase,
                time: live.time,
                windowSeconds: live.windowSeconds,
                source: "live",
                streams: live.streams.map {
                    PlanDTO.Stream(
                        stream: $0.stream,
                        inferenceShare: $0.inferenceShare,
                        trainingShare: $0.trainingShare,
                        configuration: $0.configuration,
                        retrainingProgress: $0.progress,
                        swapped: $0.swapped
                    )
                }
            )
        }
        let last = try api.store.windows(limit: 20).first { $0.status == .completed }
        var streams: [PlanDTO.Stream] = []
        if let last {
            for name in last.streams.split(separator: ",").map(String.init) {
                guard
                    let summary = try api.store.windows(stream: name, limit: 20).first(where: {
                        $0.window.number == last.number
                    }), let plan = summary.plan
                else { continue }
                streams.append(
                    PlanDTO.Stream(
                        stream: name,
                        inferenceShare: plan.inferenceShare,
                        trainingShare: plan.trainingShare,
                        configuration: plan.configuration,
                        retrainingProgress: nil,
                        swapped: summary.result?.swapTime != nil
                    )
                )
            }
        }
        return PlanDTO(
            window: last?.number,
            phase: state.phase,
            time: nil,
            windowSeconds: api.windowSeconds,
            source: "last-completed",
            streams: streams
        )
    }
}
