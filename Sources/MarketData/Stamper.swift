/// Assigns `recv_ts` and `seq` to accepted events.
///
/// Time comes in as data (the caller reads the clock), so the stamper is deterministic:
/// the same inputs always give the same stamps. It enforces the two invariants of
/// features.md §1: `recv_ts` never decreases per symbol and `seq` strictly increases per
/// symbol. A `floor` lets the online path promise that an event arriving after grid point G
/// was published gets `recv_ts > G`.
public struct Stamper: Sendable {
    private var lastRecvTs: [String: Nanos] = [:]
    private var lastSeq: [String: Int64] = [:]
    /// Events must be stamped strictly after this instant (the last closed grid point).
    public var floor: Nanos = .min

    public init() {}

    /// Restores counters, e.g. from the raw store after a restart.
    public init(lastRecvTs: [String: Nanos], lastSeq: [String: Int64]) {
        self.lastRecvTs = lastRecvTs
        self.lastSeq = lastSeq
    }

    /// Stamps `event` received at `time` (ns).
    public mutating func stamp(_ event: UnstampedEvent, at time: Nanos) -> MarketEvent {
        var recvTs = max(time, lastRecvTs[event.symbol] ?? .min)
        if floor != .min { recvTs = max(recvTs, floor + 1) }
        lastRecvTs[event.symbol] = recvTs
        let seq = (lastSeq[event.symbol] ?? 0) + 1
        lastSeq[event.symbol] = seq
        return MarketEvent(
            symbol: event.symbol, recvTs: recvTs, seq: seq, exchTsMs: event.exchTsMs,
            gatewayTs: event.gatewayTs, traceId: event.traceId, body: event.body)
    }

    /// The last sequence number given to `symbol` (0 if none).
    public func lastSequence(of symbol: String) -> Int64 { lastSeq[symbol] ?? 0 }

    /// The last sequence number given to each symbol.
    public var lastSequences: [String: Int64] { lastSeq }
}
