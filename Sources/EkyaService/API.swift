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
    public var store: any ServiceStoring
    public var state: ServiceState
    public var registry: PrometheusCollectorRegistry
    public var token: String
    public var windowSeconds: Double
    public var dashboard: Dashboard
    /// Live cameras' ingest status, by stream id.
    public var liveSources: LiveSources
    /// This server's membership of a fleet, if its store is shared by one.
    public var fleet: FleetMembership?
    /// Failed authentication attempts, shared by every request.
    let authLimiter: FailedAuthLimiter

    public init(
        store: any ServiceStoring,
        state: ServiceState,
        registry: PrometheusCollectorRegistry,
        token: String,
        windowSeconds: Double,
        dashboard: Dashboard = Dashboard(),
        liveSources: LiveSources = LiveSources()
    ) {
        self.init(
            store: store,
            state: state,
            registry: registry,
            token: token,
            windowSeconds: windowSeconds,
            dashboard: dashboard,
            liveSources: liveSources,
            authLimiter: FailedAuthLimiter()
        )
    }

    init(
        store: any ServiceStoring,
        state: ServiceState,
        registry: PrometheusCollectorRegistry,
        token: String,
        windowSeconds: Double,
        dashboard: Dashboard,
        liveSources: LiveSources = LiveSources(),
        authLimiter: FailedAuthLimiter
    ) {
        self.authLimiter = authLimiter
        self.liveSources = liveSources
        self.store = store
        self.state = state
        self.registry = registry
        self.token = token
        self.windowSeconds = windowSeconds
        self.dashboard = dashboard
    }
}

// MARK: - Routes

/// The HTTP API, `/metrics` and the dashboard: one controller per resource.
public enum API {
    /// Longest accepted request body.
    static let maxBody = 64 * 1024

    public static func router(_ api: APIContext) -> RequestLimits<Router<BasicRequestContext>> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: BearerTokenMiddleware(token: api.token, limiter: api.authLimiter))
        SystemController(api: api).addRoutes(to: router)
        StreamsController(api: api).addRoutes(to: router)
        ModelsController(api: api).addRoutes(to: router)
        StatusController(api: api).addRoutes(to: router)
        return RequestLimits(router: router, maxBody: maxBody)
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
}
