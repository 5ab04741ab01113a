import EngineHistory
import FeatureEngine
public import MarketData
public import Quality
public import RawStore

/// `feature-service quality rebuild`: data-quality counters recomputed from the raw store, so
/// that data brought in with `import` (or stored before the service counted) has a quality
/// history. The events go through the same book and the same tracker as on the live path, so
/// the counters are the live ones for the same events. Counters that compare an event with the
/// one before it (trade price jumps, exchange time going backwards) start fresh at `from`.
public enum QualityRebuild {
    /// The minute buckets of `symbol`'s stored events in `[from, to)`, oldest first.
    public static func buckets(store: RawStore, symbol: String, from: Nanos, to: Nanos) throws -> [QualityBucket] {
        // The book as of `from` comes from the latest checkpoint before it (W = 0: no window is read).
        var start = try EngineReplay.open(
            store: store, checkpoints: CheckpointStore(root: store.layout.root), symbol: symbol,
            firstNeeded: from, lookback: 0, to: to)
        var engine = FeatureEngine(registry: .stateOnly)
        if let checkpoint = start.checkpoint { engine.restore(checkpoint) }
        var tracker = QualityTracker()
        while let event = try start.events.next() {
            let outcome = engine.apply(event)
            guard event.recvTs >= from else { continue }
            if case .applied(let book) = outcome { tracker.observe(event, book: book) } else { tracker.observe(event) }
        }
        return tracker.takeBuckets(endedBy: .max)[symbol] ?? []
    }
}
