import EkyaRuntime
import EkyaStore
import Foundation
import Metrics
import Prometheus
import Testing

@testable import EkyaService

@Suite(.timeLimit(.minutes(10))) struct MetricsTests {
    @Test func exposesEkyaMetricsWithStreamAndJobLabels() throws {
        // Given metrics on a Prometheus registry and one completed window with a swap
        let registry = PrometheusCollectorRegistry()
        let metrics = ServiceMetrics(factory: PrometheusMetricsFactory(registry: registry))
        metrics.register(stream: "cam")
        metrics.windowStarted(7)
        metrics.observe(
            LiveWindowStatus(
                window: 7,
                phase: .running,
                time: 10,
                windowSeconds: 60,
                streams: [
                    LiveStreamStatus(
                        stream: "cam",
                        inferenceShare: 0.4,
                        trainingShare: 0.6,
                        configuration: "head-4",
                        progress: 0.5,
                        swapped: false,
                        failed: false
                    )
                ]
            )
        )
        var window = WindowRecord(
            runId: 1,
            number: 7,
            status: .completed,
            scheduler: "thief",
            streams: "cam",
            startedAt: Date(),
            windowSeconds: 60
        )
        window.wallSeconds = 4
        window.profilingCost = 3.5
        window.utilisation = 0.8
        metrics.record(
            WindowCompletion(
                window: window,
                streams: [
                    StreamWindowRecord(
                        windowId: 1,
                        stream: "cam",
                        startAccuracy: 0.5,
                        measuredAccuracy: 0.7,
                        simulatedAccuracy: 0.72,
                        configuration: "head-4",
                        predictedEndAccuracy: 0.8,
                        realisedEndAccuracy: 0.75,
                        swapTime: 20
                    )
                ],
                plans: [],
                profiling: [],
                acceptedModels: []
            )
        )
        metrics.windowEnded(status: .interrupted)
        // When the registry is scraped
        let text = registry.emitToString()
        let lines = text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
        func value(_ name: String, _ labels: [String] = []) -> Double? {
            lines.first { line in
                line.hasPrefix(name + "{") || line.hasPrefix(name + " ")
                    ? labels.allSatisfy { line.contains($0) } : false
            }.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }
        }
        // Then every name starts with ekya_ and carries its labels
        #expect(lines.allSatisfy { $0.hasPrefix("ekya_") }, "\(lines)")
        #expect(value("ekya_stream_accuracy_realised", [#"stream="cam""#]) == 0.7)
        #expect(value("ekya_stream_accuracy_predicted", [#"stream="cam""#]) == 0.72)
        #expect(value("ekya_retraining_end_accuracy", [#"stream="cam""#, #"kind="predicted""#]) == 0.8)
        #expect(value("ekya_retraining_end_accuracy", [#"stream="cam""#, #"kind="realised""#]) == 0.75)
        #expect(value("ekya_share", [#"stream="cam""#, #"job="inference""#]) == 0.4)
        #expect(value("ekya_share", [#"stream="cam""#, #"job="retraining""#]) == 0.6)
        #expect(value("ekya_retraining_jobs_started_total", [#"stream="cam""#]) == 1)
        #expect(value("ekya_retraining_jobs_finished_total", [#"stream="cam""#]) == 1)
        #expect(value("ekya_retraining_jobs_failed_total", [#"stream="cam""#]) == 0)
        #expect(value("ekya_model_swaps_total", [#"stream="cam""#]) == 1)
        #expect(value("ekya_model_swaps_refused_total", [#"stream="cam""#]) == 0)
        #expect(value("ekya_profiling_cost_device_seconds_total") == 3.5)
        #expect(value("ekya_executor_utilisation") == 0.8)
        #expect(value("ekya_window_duration_seconds_count") == 1)
        #expect(value("ekya_windows_total", [#"status="completed""#]) == 1)
        #expect(value("ekya_windows_total", [#"status="interrupted""#]) == 1)
        #expect(value("ekya_current_window") == 7)
    }

    @Test func aFleetNodeLabelsEverySeriesWithItsNode() {
        // Given the metrics of fleet node edge-1 after a stream registered and a window ran
        let registry = PrometheusCollectorRegistry()
        let metrics = ServiceMetrics(factory: PrometheusMetricsFactory(registry: registry), node: "edge-1")
        metrics.register(stream: "cam")
        metrics.windowStarted(3)
        metrics.streams(1)
        metrics.windowEnded(status: .completed)
        // Then every series carries node="edge-1", beside its own labels
        let lines = registry.emitToString().split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
        #expect(lines.count > 10)
        #expect(lines.allSatisfy { $0.contains(#"node="edge-1""#) }, "\(lines)")
        let current = lines.first { $0.hasPrefix("ekya_current_window{") }?.split(separator: " ").last
        #expect(current.flatMap { Double($0) } == 3)
        #expect(lines.contains { $0.contains(#"stream="cam""#) && $0.contains(#"node="edge-1""#) })
    }
}
