public import FeatureEngine
public import MarketData
public import RawStore

/// The offline path: stored events replayed into the same engine and registry the online
/// path uses. It differs from the online path only in where events come from.
///
/// A vector depends on the whole history of its symbol (the book since the last snapshot,
/// the last funding rate, the position), so a rebuild replays the symbol's stored events from
/// the first one and emits only the grid vectors inside the requested range.
public enum OfflineEngine {
    /// What a rebuild read.
    public struct Stats: Sendable {
        public var events = 0
        public var vectors = 0
    }

    /// Emits the grid vectors of `symbol` with `from <= ts < to`, in time order.
    @discardableResult
    public static func rebuild(store: RawStore, symbol: String, from: Nanos, to: Nanos, registry: FeatureRegistry,
                               gridStep: Nanos = Time.nanosPerSecond, progress: ((Nanos) -> Void)? = nil,
                               emit: (FeatureVector) throws -> Void) throws -> Stats {
        var stats = Stats()
        guard let first = try store.coverage(symbol: symbol).first?.lowerBound, first < to else { return stats }
        // Grid point G needs the events with recv_ts <= G, and is closed by the first event after it.
        var replay = try store.replay(symbol: symbol, from: first, to: Int64.max)
        var engine = FeatureEngine(registry: registry, gridStep: gridStep)
        var failure: (any Error)?
        while let event = try replay.next() {
            stats.events += 1
            engine.apply(event) { vector in
                guard failure == nil, vector.ts >= from, vector.ts < to else { return }
                do { try emit(vector); stats.vectors += 1 } catch { failure = error }
            }
            if let failure { throw failure }
            // Every grid point before `to` is closed once an event at or after `to` is read.
            if event.recvTs >= to { break }
            if stats.events % 1_000_000 == 0 { progress?(event.recvTs) }
        }
        return stats
    }
}
