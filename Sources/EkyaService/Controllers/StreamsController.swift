import EkyaData
import EkyaRuntime
import EkyaStore
import Foundation
import Hummingbird

/// `/api/streams` (list, one, add, remove) and `/api/windows`: adds and removes are queued for the next window
/// boundary.
struct StreamsController {
    let api: APIContext

    func addRoutes(to router: some RouterMethods<BasicRequestContext>) {
        let api = self.api
        router.get("/api/streams") { _, _ in try await Blocking.run { try JSON.response(try API.streams(api)) } }
        router.get("/api/streams/:id") { _, context in
            let id = try context.parameters.require("id")
            return try await Blocking.run {
                guard let record = try api.store.stream(id) else { throw APIError.notFound("no stream '\(id)'") }
                return try JSON.response(try API.stream(api, record: record))
            }
        }
        router.post("/api/streams") { request, context in
            let object = try await API.jsonObject(request)
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
            let limit = try API.integerParameter(
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
                        API.streamWindow($0, stream: stream)
                    }
                    return try JSON.response(rows)
                }
                return try JSON.response(try api.store.windows(limit: limit).map(API.window))
            }
        }
    }
}
