public import MarketData
public import OrderBook

/// The registry-independent state of one symbol as of an instant C (features.md §6): the book
/// (levels, sync state, last `u`), the latest ticker/funding and position values, and the
/// symbol's last `recv_ts`/`seq`. Restoring it and applying the events in (C, T] gives the
/// vector at any T >= C + W (W: the registry's lookback) bit for bit as a replay from the first
/// stored event does; it holds nothing a registry defines, so one checkpoint serves every
/// registry.
public struct EngineCheckpoint: Sendable, Equatable, Codable {
    /// Bumped whenever the fields or their meaning change: a checkpoint of another version is
    /// never trusted (the replay starts from an earlier one, or from the first event).
    public static let formatVersion = 1

    public var symbol: String
    /// C: every event of the symbol with `recv_ts <= at` is applied, none after.
    public var at: Nanos
    /// `recv_ts` and `seq` of the symbol's last event at or before C.
    public var lastEventRecvTs: Nanos
    public var lastSeq: Int64
    public var bids: [PriceLevel]
    public var asks: [PriceLevel]
    public var bookState: BookSyncState
    public var lastUpdateId: Int64?
    public var fundingRate: Double?
    public var nextFundingTimeMs: Int64?
    public var markPrice: Double?
    public var indexPrice: Double?
    public var openInterest: Double?
    public var positionSize: Double
    public var entryPrice: Double?
}

extension SymbolFeatureState {
    /// The checkpoint of this state as of `instant` (>= the last applied event).
    public func checkpoint(symbol: String, at instant: Nanos) -> EngineCheckpoint {
        precondition(instant >= lastRecvTs, "a checkpoint is taken at or after the last applied event")
        return EngineCheckpoint(
            symbol: symbol, at: instant, lastEventRecvTs: lastRecvTs, lastSeq: lastSeq,
            bids: book.bids.levels, asks: book.asks.levels, bookState: book.state, lastUpdateId: book.lastUpdateId,
            fundingRate: perpetual.fundingRate, nextFundingTimeMs: perpetual.nextFundingTimeMs,
            markPrice: perpetual.markPrice, indexPrice: perpetual.indexPrice, openInterest: perpetual.openInterest,
            positionSize: positionSize, entryPrice: lastEntryPrice)
    }
}

extension FeatureEngine {
    /// The checkpoint of `symbol` as of `instant`, or nil for a symbol without events or with an
    /// event after `instant` already applied.
    public func checkpoint(of symbol: String, at instant: Nanos) -> EngineCheckpoint? {
        guard let state = state(of: symbol), state.eventCount > 0, state.lastRecvTs <= instant else { return nil }
        return state.checkpoint(symbol: symbol, at: instant)
    }
}

/// Takes checkpoints on a fixed `recv_ts` cadence (interfaces.md §3, default every 10 min):
/// before an event is applied, if a multiple of `every` lies between the symbol's last event
/// and this one, the state as of that multiple is due. Pure; the caller writes the files.
public struct CheckpointCadence: Sendable {
    public static let defaultEvery: Nanos = 600 * Time.nanosPerSecond
    public let every: Nanos
    private var taken: [String: Nanos] = [:]

    public init(every: Nanos = defaultEvery) {
        precondition(every > 0)
        self.every = every
    }

    /// The instant C of the checkpoint due before applying `event`, given the symbol's last
    /// applied event (nil: none yet, so nothing to checkpoint).
    public mutating func due(before event: MarketEvent, lastApplied: @autoclosure () -> Nanos?) -> Nanos? {
        let boundary = Time.floorDiv(event.recvTs - 1, every) * every
        guard boundary > taken[event.symbol] ?? .min, let lastApplied = lastApplied(), boundary >= lastApplied else { return nil }
        taken[event.symbol] = boundary
        return boundary
    }
}
