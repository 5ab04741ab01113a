public import MarketData
public import Prometheus

/// The latencies recorded as book-update vectors are handed on — written to `features.live`, or,
/// with no broker, taken by the publisher: since the gateway received the update (its
/// `received_at`, the mission's "within 70 ms of the update") and since the service did (its
/// `recv_ts`: the part the service controls, the broker's hop left out). Grid vectors have no
/// update and are not recorded.
public struct PublicationLatencies: Sendable {
    public let fromGateway: ValueHistogram
    public let fromReceipt: ValueHistogram

    public init(fromGateway: ValueHistogram, fromReceipt: ValueHistogram) {
        self.fromGateway = fromGateway
        self.fromReceipt = fromReceipt
    }

    /// Records `publications`, handed on at `now`.
    public func record(_ publications: some Sequence<LivePipeline.Publication>, now: Nanos) {
        for publication in publications {
            if let trigger = publication.trigger { fromGateway.record(Double(now - trigger) / 1e9) }
            if let received = publication.received { fromReceipt.record(Double(now - received) / 1e9) }
        }
    }
}
