import EkyaData
import EkyaStore
import Foundation
import Hummingbird
import Prometheus

/// The dashboard's files, the OpenAPI document, `/metrics` and `/api/health`.
struct SystemController {
    let api: APIContext

    func addRoutes(to router: some RouterMethods<BasicRequestContext>) {
        let api = self.api
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
    }
}
