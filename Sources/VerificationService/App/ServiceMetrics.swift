import CoreMetrics
import Metrics
import Prometheus

/// The service's metrics, through swift-metrics handles backed by a Prometheus registry owned
/// by this instance (not the process-global bootstrap, so tests and benchmarks can run several
/// services in one process, each with its own `/metrics`).
///
/// Exposed (Prometheus names):
/// - `riskattest_verifications_total{outcome, failure_code}` — stored results;
/// - `riskattest_intake_total{outcome}` — POST /v1/attestations answers (accepted, duplicate, or
///   the problem type's slug);
/// - `riskattest_batch_size` — attestations per verified batch (histogram);
/// - `riskattest_batch_isolations_total` — batches whose joint proof check failed, so that each
///   attestation was re-checked alone;
/// - `riskattest_blinding_reuse_total` — attestations flagged for a repeated commitment;
/// - `riskattest_queue_depth` — queued or in-flight attestations (set at each scrape and batch);
/// - `riskattest_verification_latency_seconds` — submission to stored result (histogram);
/// - `riskattest_verify_seconds` — verifier time per batch (histogram).
public final class ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    let batchSize: CoreMetrics.Recorder
    let isolations: CoreMetrics.Counter
    let blindingReuse: CoreMetrics.Counter
    let queueDepth: CoreMetrics.Gauge
    let latency: Metrics.Timer
    let verifyTime: Metrics.Timer

    public init() {
        registry = PrometheusCollectorRegistry()
        var f = PrometheusMetricsFactory(registry: registry)
        f.valueHistogramBuckets["riskattest_batch_size"] = [1, 2, 4, 8, 16, 32, 64, 128, 256]
        let seconds: [Duration] = [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                   .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                                   .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60)]
        f.durationHistogramBuckets["riskattest_verification_latency_seconds"] = seconds
        f.durationHistogramBuckets["riskattest_verify_seconds"] = seconds
        factory = f
        batchSize = CoreMetrics.Recorder(label: "riskattest_batch_size", dimensions: [], aggregate: true, factory: f)
        isolations = CoreMetrics.Counter(label: "riskattest_batch_isolations_total", factory: f)
        blindingReuse = CoreMetrics.Counter(label: "riskattest_blinding_reuse_total", factory: f)
        queueDepth = CoreMetrics.Gauge(label: "riskattest_queue_depth", factory: f)
        latency = Metrics.Timer(label: "riskattest_verification_latency_seconds", factory: f)
        verifyTime = Metrics.Timer(label: "riskattest_verify_seconds", factory: f)
    }

    func verification(valid: Bool, failureCode: String?) {
        CoreMetrics.Counter(label: "riskattest_verifications_total",
                dimensions: [("outcome", valid ? "valid" : "invalid"), ("failure_code", failureCode ?? "none")],
                factory: factory).increment()
    }

    func intake(_ outcome: String) {
        CoreMetrics.Counter(label: "riskattest_intake_total", dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    /// Prometheus text exposition format 0.0.4.
    public func exposition() -> [UInt8] {
        var out: [UInt8] = []
        registry.emit(into: &out)
        return out
    }
}
