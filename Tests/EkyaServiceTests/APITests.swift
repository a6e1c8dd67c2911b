import EkyaStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing

@testable import EkyaService

/// In-process API tests (HummingbirdTesting's router framework, no sockets).
@Suite(.timeLimit(.minutes(10))) struct APITests {
    static let token = "secret"

    struct Fixture {
        var store: ServiceStore
        var state: ServiceState
        var registry: PrometheusCollectorRegistry
        var app: Application<RequestLimits<Router<BasicRequestContext>>.Responder>
    }

    static func fixture(authLimiter: FailedAuthLimiter = FailedAuthLimiter()) throws -> Fixture {
        let store = try ServiceStore.inMemory()
        let state = ServiceState()
        let registry = PrometheusCollectorRegistry()
        _ = ServiceMetrics(factory: PrometheusMetricsFactory(registry: registry))
        let router = API.router(
            APIContext(
                store: store,
                state: state,
                registry: registry,
                token: token,
                windowSeconds: 60,
                dashboard: Dashboard(),
                authLimiter: authLimiter
            )
        )
        return Fixture(store: store, state: state, registry: registry, app: Application(router: router))
    }

    static var auth: HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }

    static func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    static func json(_ response: TestResponse) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
    }

    static func errorMessage(_ response: TestResponse) -> String {
        ((try? json(response)) as? [String: Any])?["error"] as? String ?? ""
    }

    @Test func headAnswersEveryReadRouteAndAnOversizedDeclaredBodyIsRefusedUpFront() async throws {
        let fixture = try Self.fixture()
        try fixture.store.requestAdd(id: "cam-1", scenario: "weather", seed: 3)
        try await fixture.app.test(.router) { client in
            // HEAD on read routes answers like GET, without a body (it was 404)
            for uri in ["/api/health", "/api/streams", "/api/streams/cam-1", "/metrics", "/"] {
                try await client.execute(uri: uri, method: .head) { response in
                    #expect(response.status == .ok, "HEAD \(uri)")
                    #expect(response.body.readableBytes == 0, "HEAD \(uri)")
                }
            }
            try await client.execute(uri: "/api/streams/nope", method: .head) { #expect($0.status == .notFound) }
        }
        // and, on a live server, a body declared as 10^12 bytes is refused with 413 before any of it is read
        // (the request sends only its head: a server that waited for the body would never answer).
        try await fixture.app.test(.live) { client in
            let port = try #require(client.port)
            let answer = try await RawHTTP.exchangeOffPool(
                port: port,
                "POST /api/streams HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(Self.token)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n"
            )
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(200))")
        }
        #expect(try fixture.store.stream("cam-2") == nil)
    }

    @Test func servesItsOpenAPIDocumentTheSameAsTheOneInDocsAndEveryPathInItAnswers() async throws {
        let fixture = try Self.fixture()
        try fixture.store.requestAdd(id: "cam-1", scenario: "weather", seed: 3)
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.json")
        let shipped = try Data(contentsOf: docs)
        try await fixture.app.test(.router) { client in
            let served = try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                return Data(response.body.readableBytesView)
            }
            #expect(served == shipped, "docs/openapi.json differs from the served document")
            let document = try #require(try JSONSerialization.jsonObject(with: served) as? [String: Any])
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            #expect(paths.count >= 9)
            for (path, operations) in paths {
                let uri = path.replacingOccurrences(of: "{id}", with: "cam-1")
                    .replacingOccurrences(of: "{stream}", with: "cam-1")
                for method in operations.keys {
                    let verb = HTTPRequest.Method(rawValue: method.uppercased()) ?? .get
                    try await client.execute(uri: uri, method: verb, headers: Self.auth, body: Self.body("{}")) {
                        #expect($0.status != .notFound && $0.status != .methodNotAllowed, "\(method) \(path)")
                    }
                }
            }
        }
    }

    @Test func failedAuthenticationIsRateLimited() async throws {
        // Given a limiter of 3 failures per 10 s, then the 4th attempt waits until the oldest failure expires
        let limiter = FailedAuthLimiter(limit: 3, window: .seconds(10))
        let start = ContinuousClock.now
        for second in 0..<3 {
            #expect(limiter.retryAfter(now: start + .seconds(second)) == nil)
            limiter.recordFailure(now: start + .seconds(second))
        }
        #expect(limiter.retryAfter(now: start + .seconds(3)) == 7)
        #expect(limiter.retryAfter(now: start + .seconds(10)) == nil)
        // and the API answers 429 with Retry-After once 20 attempts with a wrong token have failed, even to
        // the right token (a guess that happens to be right is not let through during the pause). The window
        // is an hour here, so a slow test machine cannot let the first failures expire.
        let fixture = try Self.fixture(authLimiter: FailedAuthLimiter(limit: 20, window: .seconds(3600)))
        try await fixture.app.test(.router) { client in
            for _ in 0..<20 {
                try await client.execute(uri: "/api/streams/x", method: .delete, headers: [.authorization: "Bearer no"])
                {
                    #expect($0.status == .unauthorized)
                }
            }
            try await client.execute(uri: "/api/streams/x", method: .delete, headers: Self.auth) { response in
                #expect(response.status == .tooManyRequests)
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
            }
            // Reads are not affected.
            try await client.execute(uri: "/api/health", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func listsStreamsAsAJSONArray() async throws {
        let fixture = try Self.fixture()
        try fixture.store.requestAdd(id: "cam-1", scenario: "weather", seed: 3)
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/api/streams", method: .get) { response in
                #expect(response.status == .ok)
                let array = try #require(try Self.json(response) as? [[String: Any]])
                #expect(array.count == 1)
                #expect(array.first?["id"] as? String == "cam-1")
                #expect(array.first?["status"] as? String == "pending")
                #expect(array.first?["scenario"] as? String == "weather")
            }
            try await client.execute(uri: "/api/streams/cam-1", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/streams/nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(Self.errorMessage(response) == "no stream 'nope'")
            }
        }
    }

    @Test func mutatingRequestsNeedTheBearerToken() async throws {
        let fixture = try Self.fixture()
        try fixture.store.requestAdd(id: "cam-1", scenario: "weather", seed: 3)
        let body = #"{"id": "cam-2", "scenario": "stable"}"#
        try await fixture.app.test(.router) { client in
            for headers: HTTPFields in [[:], [.authorization: "Bearer wrong"], [.authorization: "secret"]] {
                try await client.execute(uri: "/api/streams", method: .post, headers: headers, body: Self.body(body)) {
                    #expect($0.status == .unauthorized)
                    #expect($0.headers[.wwwAuthenticate] == "Bearer realm=\"ekya\"")
                }
            }
            try await client.execute(uri: "/api/streams/cam-1", method: .delete) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/models/cam-1/rollback", method: .post) {
                #expect($0.status == .unauthorized)
            }
            // Reads need no token.
            try await client.execute(uri: "/api/plan", method: .get) { #expect($0.status == .ok) }
        }
        #expect(try fixture.store.streams().map(\.id) == ["cam-1"])
    }

    @Test func aVideoCameraIsAddedWithItsRecordingAndBadSourcesAreNamed() async throws {
        let fixture = try Self.fixture()
        let clip = FileManager.default.temporaryDirectory.appendingPathComponent("ekya-api-\(UUID().uuidString).mp4")
        FileManager.default.createFile(atPath: clip.path, contents: Data([0]))
        defer { try? FileManager.default.removeItem(at: clip) }
        try await fixture.app.test(.router) { client in
            // A recording that exists is queued with the stream
            try await client.execute(
                uri: "/api/streams",
                method: .post,
                headers: Self.auth,
                body: Self.body(#"{"id": "door", "scenario": "day-night", "source": "\#(clip.path)"}"#)
            ) { #expect($0.status == .accepted) }
            try await client.execute(uri: "/api/streams/door", method: .get) { response in
                let object = try #require(try Self.json(response) as? [String: Any])
                #expect(object["source"] as? String == clip.path)
            }
            // and a missing file, an unsupported URL scheme or an empty part is a 400 naming the field
            for (source, message) in [
                ("/nonexistent/cam.mp4", "'/nonexistent/cam.mp4': no such file or directory"),
                ("ftp://127.0.0.1/cam", "unsupported URL scheme 'ftp'"), ("\(clip.path)+", "an empty part"),
            ] {
                try await client.execute(
                    uri: "/api/streams",
                    method: .post,
                    headers: Self.auth,
                    body: Self.body(#"{"id": "bad", "scenario": "stable", "source": "\#(source)"}"#)
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect(Self.errorMessage(response).contains("field 'source'"), "\(Self.errorMessage(response))")
                    #expect(Self.errorMessage(response).contains(message), "\(Self.errorMessage(response))")
                }
            }
        }
        #expect(try fixture.store.stream("door")?.source == clip.path)
        #expect(try fixture.store.stream("bad") == nil)
    }

    @Test func addsAndRemovesStreamsAtTheNextBoundary() async throws {
        let fixture = try Self.fixture()
        try await fixture.app.test(.router) { client in
            try await client.execute(
                uri: "/api/streams",
                method: .post,
                headers: Self.auth,
                body: Self.body(#"{"id": "cam-9", "scenario": "day-night", "seed": 5}"#)
            ) { response in
                #expect(response.status == .accepted)
                let object = try #require(try Self.json(response) as? [String: Any])
                #expect(object["applies_at"] as? String == "next window boundary")
            }
            try await client.execute(
                uri: "/api/streams",
                method: .post,
                headers: Self.auth,
                body: Self.body(#"{"id": "cam-9", "scenario": "stable"}"#)
            ) { response in
                #expect(response.status == .conflict)
                #expect(Self.errorMessage(response).contains("already exists"))
            }
            try await client.execute(uri: "/api/streams/cam-9", method: .delete, headers: Self.auth) {
                #expect($0.status == .accepted)
            }
            try await client.execute(uri: "/api/streams/none", method: .delete, headers: Self.auth) {
                #expect($0.status == .notFound)
            }
        }
        #expect(try fixture.store.pendingCommands().map(\.kind) == [.add, .remove])
        #expect(try fixture.store.stream("cam-9")?.seed == 5)
        // Seeds 0 and 1 are numbers, not booleans.
        try await fixture.app.test(.router) { client in
            for (id, seed) in [("cam-0", 0), ("cam-1", 1)] {
                try await client.execute(
                    uri: "/api/streams",
                    method: .post,
                    headers: Self.auth,
                    body: Self.body(#"{"id": "\#(id)", "scenario": "stable", "seed": \#(seed)}"#)
                ) { #expect($0.status == .accepted, "seed \(seed)") }
            }
        }
        #expect(try fixture.store.stream("cam-0")?.seed == 0)
        #expect(try fixture.store.stream("cam-1")?.seed == 1)
    }

    @Test(arguments: [
        (#"{"scenario": "stable"}"#, "field 'id' is required"),
        (#"{"id": "Bad Id!", "scenario": "stable"}"#, "field 'id' must be"),
        (#"{"id": "cam", "scenario": "rainbow"}"#, "field 'scenario' must be one of"),
        (#"{"id": "cam"}"#, "field 'scenario' is required"),
        (#"{"id": "cam", "scenario": "stable", "seed": -1}"#, "field 'seed' must be a non-negative integer"),
        (#"{"id": "cam", "scenario": "stable", "seed": 1.5}"#, "field 'seed' must be a non-negative integer"),
        (#"{"id": "cam", "scenario": "stable", "seed": true}"#, "field 'seed' must be a non-negative integer"),
        (#"{"id": "cam", "scenario": "stable", "camera": 1}"#, "field 'camera' unknown field"),
        (#"["cam"]"#, "the request body must be a JSON object"),
        (#"{"id": "#, "the request body is not valid JSON"),
        ("", "the request body must be a JSON object"),
    ])
    func rejectsInvalidStreamBodiesNamingTheField(body: String, message: String) async throws {
        let fixture = try Self.fixture()
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/api/streams", method: .post, headers: Self.auth, body: Self.body(body)) {
                #expect($0.status == .badRequest)
                #expect(Self.errorMessage($0).hasPrefix(message), "\(Self.errorMessage($0))")
            }
        }
        #expect(try fixture.store.streams().isEmpty)
    }

    @Test func validatesQueryParameters() async throws {
        let fixture = try Self.fixture()
        try fixture.store.requestAdd(id: "cam", scenario: "stable", seed: 1)
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/api/windows?stream=cam&limit=0", method: .get) {
                #expect($0.status == .badRequest)
                #expect(Self.errorMessage($0).contains("'limit'"))
            }
            try await client.execute(uri: "/api/windows?stream=ghost", method: .get) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/api/windows?stream=cam", method: .get) { response in
                #expect(response.status == .ok)
                let rows = try Self.json(response) as? [Any]
                #expect(rows != nil)
            }
            try await client.execute(uri: "/api/windows", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func rollsBackToAnEarlierAcceptedModel() async throws {
        // Given a stream serving version 2 of its model
        let fixture = try Self.fixture()
        try fixture.store.requestAdd(id: "cam", scenario: "stable", seed: 1)
        @Sendable func model(_ version: Int) -> ModelVersionRecord {
            ModelVersionRecord(
                stream: "cam",
                version: version,
                createdAt: Date(),
                window: version - 1,
                configuration: nil,
                validationAccuracy: nil,
                path: "models/cam/\(version)/model.pt"
            )
        }
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/api/models/cam/rollback", method: .post, headers: Self.auth) {
                #expect($0.status == .conflict)
            }
            try fixture.store.activate(stream: "cam", model: model(1), window: 1, command: nil)
            try fixture.store.activate(stream: "cam", model: model(2), window: 2, command: nil)
            try await client.execute(uri: "/api/models/cam", method: .get) { response in
                let object = try #require(try Self.json(response) as? [String: Any])
                #expect(object["serving_version"] as? Int == 2)
                #expect((object["versions"] as? [Any])?.count == 2)
            }
            try await client.execute(
                uri: "/api/models/cam/rollback",
                method: .post,
                headers: Self.auth,
                body: Self.body(#"{"version": "one"}"#)
            ) {
                #expect($0.status == .badRequest)
                #expect(Self.errorMessage($0) == "field 'version' must be a positive integer")
            }
            try await client.execute(
                uri: "/api/models/cam/rollback",
                method: .post,
                headers: Self.auth,
                body: Self.body(#"{"version": true}"#)
            ) {
                #expect($0.status == .badRequest)
            }
            // When a rollback to version 1, named as the number 1, is asked for (once rejected as a boolean)
            try await client.execute(
                uri: "/api/models/cam/rollback",
                method: .post,
                headers: Self.auth,
                body: Self.body(#"{"version": 1}"#)
            ) { response in
                // Then it is accepted, from 2 to 1, to apply at the next boundary
                #expect(response.status == .accepted)
                let object = try #require(try Self.json(response) as? [String: Any])
                #expect(object["from_version"] as? Int == 2)
                #expect(object["to_version"] as? Int == 1)
            }
            try await client.execute(uri: "/api/models/ghost", method: .get) { #expect($0.status == .notFound) }
        }
        #expect(try fixture.store.pendingCommands().last?.version == 1)
    }

    @Test func servesTheDashboardAndItsData() async throws {
        let fixture = try Self.fixture()
        try fixture.store.requestAdd(id: "cam", scenario: "stable", seed: 1)
        let run = try fixture.store.beginRun(configuration: "{}")
        let window = try fixture.store.beginWindow(
            WindowRecord(
                runId: run,
                number: 1,
                status: .running,
                scheduler: "thief",
                streams: "cam",
                startedAt: Date(),
                windowSeconds: 60
            )
        )
        try fixture.store.complete(
            WindowCompletion(
                window: window,
                streams: [
                    StreamWindowRecord(
                        windowId: window.id ?? -1,
                        stream: "cam",
                        startAccuracy: 0.5,
                        measuredAccuracy: 0.6,
                        simulatedAccuracy: 0.62,
                        swapTime: 30,
                        timeline: "[0.5,0.6,0.7]"
                    )
                ],
                plans: [],
                profiling: [],
                acceptedModels: []
            )
        )
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(String(buffer: response.body).contains("/dashboard.js"))
            }
            try await client.execute(uri: "/dashboard.js", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/dashboard.css", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/dashboard", method: .get) { response in
                let object = try #require(try Self.json(response) as? [String: Any])
                let streams = try #require(object["streams"] as? [[String: Any]])
                #expect((streams.first?["series"] as? [Any])?.count == 3)  // 3 s of data: 1-second buckets
                #expect(streams.first?["swaps"] as? [Double] == [30])
                // Each window as /api/windows?stream= gives it, the per-second timeline left to `series`
                let windows = try #require(streams.first?["windows"] as? [[String: Any]])
                #expect(windows.first?["accuracy_realised"] as? Double == 0.6)
                #expect(windows.first?["accuracy_predicted"] as? Double == 0.62)
                #expect(windows.first?["stream"] as? String == "cam")
                #expect(windows.first?["timeline"] == nil)
            }
        }
    }
}
