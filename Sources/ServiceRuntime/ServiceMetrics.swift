public import Prometheus

/// The service's metrics, in one Prometheus registry per service (swift-prometheus; no global
/// state: each service, and each test, has its own). `GET /metrics` renders it. The CLI also
/// bootstraps swift-metrics with this registry, so Hummingbird's metrics middleware (HTTP
/// requests and durations) lands beside the service's own figures.
public final class ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// From the gateway's receipt of a book update (its `received_at`) to the vector it triggered
    /// being handed on: the first broker hop included.
    public let ingestToVector: ValueHistogram
    /// From the service's own receipt of a book update (its `recv_ts`) to the vector it triggered
    /// being written to `features.live`: the part of the latency the service controls, apart
    /// from the broker's hops.
    public let receiptToPublish: ValueHistogram

    /// Buckets (seconds) of latency histograms: fine below the 70 ms bar, coarse above.
    public static let latencyBuckets: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.07, 0.1, 0.25,
        0.5, 1, 2.5,
    ]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        ingestToVector = registry.makeValueHistogram(
            descriptor: .service(
                "ingest_to_vector", "seconds",
                "From the gateway's receipt of a book update (received_at) to the vector it triggered being handed on."),
            buckets: Self.latencyBuckets)
        receiptToPublish = registry.makeValueHistogram(
            descriptor: .service(
                "receipt_to_publish", "seconds",
                "From the service's receipt of a book update to the vector it triggered being written to features.live."),
            buckets: Self.latencyBuckets)
    }

    /// The Prometheus text exposition of every metric.
    public func render() -> String { registry.emitToString() }
}

extension MetricNameDescriptor {
    /// A metric of this service: `feature_service_<name>_<unit>`, with its help text.
    public static func service(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "feature_service", metricName: name, unitName: unit, helpText: help)
    }
}
