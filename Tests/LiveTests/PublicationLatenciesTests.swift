import FeatureEngine
import Live
import MarketData
import ServiceRuntime
import Testing

/// `/metrics` keeps two latencies of a book update's vector: from the gateway's receipt of the
/// update, and from the service's own; grid vectors, triggered by no update, are in neither.
@Suite struct PublicationLatenciesTests {
    @Test func aBookUpdatesVectorRecordsBothLatenciesAndAGridVectorNone() {
        let metrics = ServiceMetrics()
        let latencies = PublicationLatencies(fromGateway: metrics.ingestToVector, fromReceipt: metrics.receiptToPublish)
        let encoder = FeatureMessage.Encoder(names: ["mid_price"], registryVersion: "1.0.0")
        let ms = Time.nanosPerMilli
        let vector = FeatureVector(symbol: "BTCUSDT", ts: 1_000 * ms, values: [100])
        // The gateway got the update 3 ms before the vector was written, the service 0.2 ms before.
        let update = LivePipeline.Publication(
            vector: vector, traceId: "t1", trigger: 997 * ms, received: 1_000 * ms - 200_000, encoder: encoder)
        let grid = LivePipeline.Publication(vector: vector, traceId: nil, trigger: nil, received: nil, encoder: encoder)
        latencies.record([update, grid], now: 1_000 * ms)
        let text = metrics.render()
        #expect(text.contains("feature_service_ingest_to_vector_seconds_count 1"))
        #expect(text.contains("feature_service_ingest_to_vector_seconds_bucket{le=\"0.0025\"} 0"))
        #expect(text.contains("feature_service_ingest_to_vector_seconds_bucket{le=\"0.005\"} 1"))
        #expect(text.contains("feature_service_receipt_to_publish_seconds_count 1"))
        #expect(text.contains("feature_service_receipt_to_publish_seconds_bucket{le=\"0.0001\"} 0"))
        #expect(text.contains("feature_service_receipt_to_publish_seconds_bucket{le=\"0.00025\"} 1"))
    }
}
