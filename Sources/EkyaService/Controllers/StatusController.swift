import EkyaStore
import Foundation
import Hummingbird

/// `/api/plan`, `/api/fleet` and `/api/dashboard`: what the runtime does now, the fleet, the dashboard's data.
struct StatusController {
    let api: APIContext

    func addRoutes(to router: some RouterMethods<BasicRequestContext>) {
        let api = self.api
        router.get("/api/fleet") { _, _ in try await Blocking.run { try JSON.response(try API.fleet(api)) } }
        router.get("/api/plan") { _, _ in try await Blocking.run { try JSON.response(try API.plan(api)) } }
        router.get("/api/dashboard") { _, _ in
            try await Blocking.run { try JSON.response(try DashboardData.make(api)) }
        }
    }
}
