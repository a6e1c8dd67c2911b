import EkyaStore
import Foundation
import Hummingbird

/// `/api/models/:stream`: a stream's model versions, and a rollback queued for the next window boundary.
struct ModelsController {
    let api: APIContext

    func addRoutes(to router: some RouterMethods<BasicRequestContext>) {
        let api = self.api
        router.get("/api/models/:stream") { _, context in
            let id = try context.parameters.require("stream")
            return try await Blocking.run { try JSON.response(try API.models(api, stream: id)) }
        }
        router.post("/api/models/:stream/rollback") { request, context in
            try await API.rollback(api, request: request, context: context)
        }
    }
}

extension API {
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
}
