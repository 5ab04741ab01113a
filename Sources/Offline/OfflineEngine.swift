public import EngineHistory
public import FeatureEngine
public import MarketData
public import RawStore

/// The offline path: stored events replayed into the same engine and registry the online
/// path uses. It differs from the online path only in where events come from.
///
/// A vector depends on the events of its window and the state they start from, so a rebuild
/// starts from the latest trusted engine checkpoint at or before `from - W` (or from the first
/// stored event) and emits only the grid vectors inside the requested range
/// (``EngineReplay``, the one replay every path uses).
public enum OfflineEngine {
    /// What a rebuild read.
    public typealias Stats = EngineReplay.Stats

    /// Emits the grid vectors of `symbol` with `from <= ts < to`, in time order.
    @discardableResult
    public static func rebuild(
        store: RawStore, symbol: String, from: Nanos, to: Nanos, registry: FeatureRegistry,
        gridStep: Nanos = Time.nanosPerSecond, useCheckpoints: Bool = true, progress: ((Nanos) -> Void)? = nil,
        emit: (FeatureVector) throws -> Void
    ) throws -> Stats {
        try EngineReplay.vectors(
            store: store, checkpoints: useCheckpoints ? CheckpointStore(root: store.layout.root) : nil, symbol: symbol,
            registry: registry, from: from, to: to, gridStep: gridStep, progress: progress, emit: emit)
    }
}
