/// Plans the acknowledgements of one channel's durable deliveries. The broker numbers a channel's
/// deliveries 1, 2, 3…, and the queues consumed on it become durable out of order; when a batch,
/// together with what was settled before, covers every tag from the last contiguous one up to its
/// highest, one `basic.ack` with `multiple` settles it all (one frame for the broker to process
/// instead of one per message). Otherwise each delivery is acknowledged on its own. A tag outside
/// the batch is never acknowledged: a `multiple` ack is only planned when every outstanding tag
/// below its own is in the batch.
public struct AMQPAckLedger: Sendable {
    /// How the batch is to be acknowledged.
    public enum Plan: Equatable, Sendable {
        /// One `basic.ack` with `multiple` through this tag.
        case multiple(through: UInt64)
        /// One `basic.ack` per tag, in this order.
        case each([UInt64])
    }

    /// An empty ledger (a fresh channel numbers its deliveries from 1).
    public init() {}

    /// Every tag up to this one is settled (acknowledged or rejected).
    public private(set) var settledThrough: UInt64 = 0
    /// Settled tags above ``settledThrough`` (waiting for the gap below them to close).
    private var settledAbove: Set<UInt64> = []
    /// Set when the gaps grew past any plausible number of deliveries in flight: from then on
    /// every delivery is acknowledged on its own (always safe).
    public private(set) var eachOnly = false
    /// More settled tags than this waiting above a gap means a delivery will never come back.
    public static let gapLimit = 100_000

    /// The plan for `tags` (the batch just made durable); records them as settled.
    public mutating func plan(_ tags: [UInt64]) -> Plan {
        guard let highest = tags.max(), tags.count > 1, !eachOnly, highest > settledThrough else {
            settle(tags)
            return .each(tags.sorted())
        }
        let batch = Set(tags)
        var covered = batch.count == tags.count
        var tag = settledThrough + 1
        while covered && tag <= highest {
            if !batch.contains(tag) && !settledAbove.contains(tag) { covered = false }
            tag += 1
        }
        settle(tags)
        return covered ? .multiple(through: highest) : .each(tags.sorted())
    }

    /// Records tags settled otherwise (rejected, or acknowledged on their own).
    public mutating func settle(_ tags: [UInt64]) {
        for tag in tags where tag > settledThrough { settledAbove.insert(tag) }
        while settledAbove.remove(settledThrough + 1) != nil { settledThrough += 1 }
        if settledAbove.count > Self.gapLimit {
            eachOnly = true
            settledAbove.removeAll()
        }
    }
}

/// Acknowledges batches of deliveries settled together (made durable, or confirmed downstream):
/// per channel, one `basic.ack` with `multiple` when the batch closes every gap below its highest
/// tag, else one per delivery (``AMQPAckLedger``). Not thread-safe: one task owns it.
public struct AMQPBatchAcknowledger: Sendable {
    private var ledgers: [ObjectIdentifier: AMQPAckLedger] = [:]

    public init() {}

    /// Acknowledges `batch`.
    public mutating func acknowledge(_ batch: [AMQPDelivery.Receipt]) {
        for (key, deliveries) in Dictionary(grouping: batch, by: { ObjectIdentifier($0.channel) }) {
            let channel = deliveries[0].channel
            switch ledgers[key, default: AMQPAckLedger()].plan(deliveries.map(\.deliveryTag)) {
            case .multiple(let through): channel.ack(deliveryTag: through, multiple: true)
            case .each(let tags): for tag in tags { channel.ack(deliveryTag: tag) }
            }
        }
        // Ledgers of channels that closed (after a reconnect) go.
        if ledgers.count > 1 {
            let open = Set(batch.filter { $0.channel.isOpen }.map { ObjectIdentifier($0.channel) })
            ledgers = ledgers.filter { open.contains($0.key) }
        }
    }

    /// Records deliveries settled otherwise (nacked), so that later batches can still be acked
    /// with `multiple`.
    public mutating func settle(_ batch: [AMQPDelivery.Receipt]) {
        for (key, deliveries) in Dictionary(grouping: batch, by: { ObjectIdentifier($0.channel) }) {
            ledgers[key, default: AMQPAckLedger()].settle(deliveries.map(\.deliveryTag))
        }
    }
}
