import EkyaRuntime
import EkyaStore
import Metrics
import Synchronization

/// The service's metrics through swift-metrics, made from an injected factory (Prometheus in `ekya serve`).
///
/// Names (all `ekya_`): per stream `ekya_stream_accuracy_realised` (per-frame accuracy users got in the last
/// window) and `ekya_stream_accuracy_predicted` (the window-accuracy model's prediction for the executed plan),
/// `ekya_retraining_end_accuracy{kind="predicted"|"realised"}` (micro-profiler prediction vs validation
/// accuracy of the retrained model), `ekya_share{job="inference"|"retraining"}`,
/// `ekya_retraining_jobs_started_total`, `…_finished_total`, `…_failed_total`, `ekya_model_swaps_total`,
/// `ekya_model_swaps_refused_total`; and `ekya_profiling_cost_device_seconds_total`,
/// `ekya_profiling_cost_device_seconds` (last window), `ekya_window_duration_seconds` (histogram of wall time),
/// `ekya_executor_utilisation`, `ekya_windows_total{status}`, `ekya_current_window`, `ekya_streams`.
/// A node of a fleet labels every series with `node`.
public final class ServiceMetrics: Sendable {
    public static let windowDurationLabel = "ekya_window_duration_seconds"

    let factory: any MetricsFactory
    private let gauges = Mutex<[String: Gauge]>([:])
    private let counters = Mutex<[String: Counter]>([:])
    private let profilingTotal: FloatingPointCounter
    private let windowDuration: Metrics.Timer
    /// `[("node", id)]` on a node of a fleet, else empty: prefixed to every series' dimensions.
    let base: [(String, String)]

    public init(factory: any MetricsFactory, node: String? = nil) {
        self.factory = factory
        base = node.map { [("node", $0)] } ?? []
        profilingTotal = FloatingPointCounter(
            label: "ekya_profiling_cost_device_seconds_total",
            dimensions: base,
            factory: factory
        )
        windowDuration = Metrics.Timer(label: Self.windowDurationLabel, dimensions: base, factory: factory)
        for status in ["completed", "interrupted", "failed"] { _ = counter("ekya_windows_total", [("status", status)]) }
        gauge("ekya_current_window", []).record(0)
        gauge("ekya_streams", []).record(0)
        gauge("ekya_executor_utilisation", []).record(0)
    }

    private static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        ([label] + dimensions.map { "\($0.0)=\($0.1)" }).joined(separator: "|")
    }

    func gauge(_ label: String, _ dimensions: [(String, String)]) -> Gauge {
        let dimensions = base + dimensions
        return gauges.withLock { cache in
            let key = Self.key(label, dimensions)
            if let gauge = cache[key] { return gauge }
            let gauge = Gauge(label: label, dimensions: dimensions, factory: factory)
            cache[key] = gauge
            return gauge
        }
    }

    func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        let dimensions = base + dimensions
        return counters.withLock { cache in
            let key = Self.key(label, dimensions)
            if let counter = cache[key] { return counter }
            let counter = Counter(label: label, dimensions: dimensions, factory: factory)
            cache[key] = counter
            return counter
        }
    }

    /// Makes a stream's series exist (at zero) as soon as it serves.
    public func register(stream: String) {
        for name in [
            "ekya_retraining_jobs_started_total", "ekya_retraining_jobs_finished_total",
            "ekya_retraining_jobs_failed_total", "ekya_model_swaps_total", "ekya_model_swaps_refused_total",
        ] {
            _ = counter(name, [("stream", stream)])
        }
        for job in ["inference", "retraining"] { _ = gauge("ekya_share", [("stream", stream), ("job", job)]) }
    }

    /// Whether persistence is failing (1) or not (0), and each failed attempt.
    public func storageFault(_ active: Bool) {
        gauge("ekya_storage_fault", []).record(active ? 1 : 0)
        if active { counter("ekya_storage_faults_total", []).increment() }
    }

    public func streams(_ count: Int) {
        gauge("ekya_streams", []).record(count)
    }

    public func windowStarted(_ number: Int) {
        gauge("ekya_current_window", []).record(number)
    }

    /// Live shares from the window in progress.
    public func observe(_ status: LiveWindowStatus) {
        for stream in status.streams {
            gauge("ekya_share", [("stream", stream.stream), ("job", "inference")]).record(stream.inferenceShare)
            gauge("ekya_share", [("stream", stream.stream), ("job", "retraining")]).record(stream.trainingShare)
        }
    }

    /// A completed window.
    public func record(_ completion: WindowCompletion) {
        counter("ekya_windows_total", [("status", "completed")]).increment()
        let window = completion.window
        if let cost = window.profilingCost {
            profilingTotal.increment(by: cost)
            gauge("ekya_profiling_cost_device_seconds", []).record(cost)
        }
        if let seconds = window.wallSeconds { windowDuration.recordNanoseconds(Int64(seconds * 1e9)) }
        if let utilisation = window.utilisation { gauge("ekya_executor_utilisation", []).record(utilisation) }
        for row in completion.streams {
            let stream = [("stream", row.stream)]
            gauge("ekya_stream_accuracy_realised", stream).record(row.measuredAccuracy)
            gauge("ekya_stream_accuracy_predicted", stream).record(row.simulatedAccuracy)
            if row.configuration != nil { counter("ekya_retraining_jobs_started_total", stream).increment() }
            if row.failure != nil {
                counter("ekya_retraining_jobs_failed_total", stream).increment()
            } else if row.realisedEndAccuracy != nil {
                counter("ekya_retraining_jobs_finished_total", stream).increment()
            }
            if let predicted = row.predictedEndAccuracy {
                gauge("ekya_retraining_end_accuracy", stream + [("kind", "predicted")]).record(predicted)
            }
            if let realised = row.realisedEndAccuracy {
                gauge("ekya_retraining_end_accuracy", stream + [("kind", "realised")]).record(realised)
            }
            if row.swapTime != nil { counter("ekya_model_swaps_total", stream).increment() }
            if row.refusedSwap { counter("ekya_model_swaps_refused_total", stream).increment() }
        }
    }

    public func windowEnded(status: WindowRecord.Status) {
        counter("ekya_windows_total", [("status", status.rawValue)]).increment()
    }
}
