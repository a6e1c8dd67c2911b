// Over 400 lines: the HTTP routes of the service API with their request parsing, in route order.

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
            // A stuck window cannot update its own gauge: the stall is measured when the metrics are scraped.
            let stalled = api.state.snapshot.stalledSeconds(now: .now)
            let node = api.fleet.map { [("node", $0.node)] } ?? []
            api.registry.makeGauge(name: "ekya_window_stalled_seconds", labels: node).set(stalled ?? 0)
            for live in api.liveSources.statuses {
                let labels = node + [("stream", live.id)]
                api.registry.makeGauge(name: "ekya_stream_connected", labels: labels)
                    .set(live.status.connection == .connected ? 1.0 : 0.0)
                api.registry.makeGauge(name: "ekya_stream_reconnects", labels: labels).set(
                    Double(live.status.reconnects)
                )
                api.registry.makeGauge(name: "ekya_stream_frames_received", labels: labels)
                    .set(Double(live.status.framesReceived))
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: api.registry.emitToBuffer()))
            )
        }
        router.get("/api/health") { _, _ in
            let live = api.state.snapshot
            let stalled = live.stalledSeconds(now: .now)
            return try JSON.response(
                HealthDTO(
                    status: live.storageFault == nil && stalled == nil ? "ok" : "degraded",
                    phase: live.phase.description,
                    window: live.window,
                    lastCompletedWindow: live.lastCompletedWindow,
                    interruptedAtStart: live.interruptedAtStart,
                    lastError: live.lastError,
                    storageFault: live.storageFault,
                    stalledSeconds: stalled
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
                _ = try api.store.requestAdd(
                    id: spec.id,
                    scenario: spec.scenario.rawValue,
                    seed: Int64(spec.seed),
                    source: spec.source
                )
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
        router.get("/api/fleet") { _, _ in try await Blocking.run { try JSON.response(try fleet(api)) } }
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
        let current = api.state.snapshot.live?.streams.first { $0.stream == record.id }
        let last = try api.store.latestResult(stream: record.id)
        let live = record.status == .removed ? nil : api.liveSources.source(record.id)?.liveStatus
        return StreamDTO(
            id: record.id,
            scenario: record.scenario,
            seed: record.seed,
            status: record.status.rawValue,
            servingVersion: record.servingVersion,
            addedWindow: record.addedWindow,
            removedWindow: record.removedWindow,
            source: record.source,
            connection: live.map { $0.connection.rawValue },
            connectionDetail: live?.reason,
            reconnects: live?.reconnects,
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
                phase: live.phase.rawValue,
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
            phase: state.phase.description,
            time: nil,
            windowSeconds: api.windowSeconds,
            source: "last-completed",
            streams: streams
        )
    }
}
