import MarketData
public import Prometheus
import ServiceRuntime

/// The live path's counters in the service's Prometheus registry, incremented as things happen
/// (an atomic add each); the gauges are set when `/metrics` is read (``LivePipeline/updateGauges(now:)``).
public struct LiveMetrics: Sendable {
    let eventsByType: [EventType: Counter]
    let malformed: Counter
    let duplicates: Counter
    let desyncs: Counter
    let resyncs: Counter
    let resyncSeconds: ValueHistogram
    let vectorsPublished: Counter
    let vectorsDropped: Counter
    let deadLettersKept: Counter
    let deadLettersDropped: Counter
    let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        eventsByType = Dictionary(
            uniqueKeysWithValues: EventType.allCases.map { type in
                (
                    type,
                    registry.makeCounter(
                        descriptor: .service("events", "total", "Events accepted, by type."), labels: [("type", type.rawValue)])
                )
            })
        malformed = registry.makeCounter(descriptor: .service("malformed", "total", "Malformed messages (counted, dead-lettered, acked)."))
        duplicates = registry.makeCounter(descriptor: .service("duplicates", "total", "Redelivered duplicates dropped."))
        desyncs = registry.makeCounter(
            descriptor: .service("book_desyncs", "total", "Order book desyncs (gap, crossed, delta before snapshot)."))
        resyncs = registry.makeCounter(descriptor: .service("book_resyncs", "total", "Order books restored by a snapshot after a desync."))
        resyncSeconds = registry.makeValueHistogram(
            descriptor: .service("book_resync", "seconds", "Detection-to-restore time of book resyncs."),
            buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 60])
        vectorsPublished = registry.makeCounter(
            descriptor: .service("vectors_published", "total", "Feature vectors queued for features.live."))
        vectorsDropped = registry.makeCounter(
            descriptor: .service(
                "vectors_dropped", "total", "Feature vectors dropped by the publication buffer (publisher too far behind)."))
        deadLettersKept = registry.makeCounter(
            descriptor: .service("dead_letters", "total", "Malformed messages kept in the dead-letter files."))
        deadLettersDropped = registry.makeCounter(
            descriptor: .service(
                "dead_letters_dropped", "total", "Malformed messages counted but not kept (over the per-request or per-day bound)."))
    }

    /// Seconds since the last event of `symbol`.
    func lastEventAge(symbol: String) -> Gauge {
        registry.makeGauge(
            descriptor: .service("last_event_age", "seconds", "Seconds since the last event, per symbol."), labels: [("symbol", symbol)])
    }
}
