/// Drops redelivered duplicates: the broker redelivers every message it did not see acked,
/// so after a crash or reconnect the same exchange message can arrive twice. A duplicate is
/// recognised by symbol, type and the exchange's own ids (book `u` and exchange time, trade
/// id, kline start and time, ticker/funding/position time and content). It must never reach
/// the book either: a repeated delta would look like a gap.
///
/// Memory is bounded: the newest `capacity` keys are remembered (FIFO).
public struct DuplicateFilter: Sendable {
    /// An exchange message's identity. Book updates — most of the traffic — are keyed by their
    /// fields (no text formatted per update, 40 bytes a key); the other kinds by a text of their content.
    public enum Key: Hashable, Sendable {
        case book(symbol: String, updateId: Int64, exchTsMs: Int64?, isSnapshot: Bool)
        case text(String)
    }

    public let capacity: Int
    private var seen: Set<Key> = []
    private var order: [Key] = []
    private var head = 0

    public init(capacity: Int = 200_000) {
        self.capacity = max(1, capacity)
        // Full size from the start (up to the live path's 200,000): growing would rehash every key
        // remembered so far on the live path, a stall of milliseconds at 100 k keys. Pages are
        // touched as keys arrive. Larger filters (imports) grow as they fill.
        seen.reserveCapacity(min(self.capacity, 1 << 18))
        order.reserveCapacity(min(self.capacity, 1 << 18))
    }

    /// The identity of an event's exchange message, or nil when it carries no id to tell.
    public static func key(of event: UnstampedEvent) -> Key? {
        // Text only for the kinds keyed by text: books and trades, the hot path, format nothing.
        var exch: String { event.exchTsMs.map(String.init) ?? "-" }
        switch event.body {
        case .book(let book):
            return .book(symbol: event.symbol, updateId: book.updateId, exchTsMs: event.exchTsMs, isSnapshot: book.isSnapshot)
        case .trade(let trade):
            return .text("\(event.symbol)|t|\(trade.tradeId)")
        case .kline(let kline):
            return .text("\(event.symbol)|k|\(kline.interval)|\(kline.startMs)|\(exch)|\(kline.close)|\(kline.volume)|\(kline.confirm)")
        case .ticker(let ticker):
            guard event.exchTsMs != nil else { return nil }
            return .text("\(event.symbol)|x|\(exch)|\(ticker)")
        case .funding(let funding):
            guard event.exchTsMs != nil else { return nil }
            return .text("\(event.symbol)|f|\(exch)|\(funding)")
        case .position(let position):
            guard let time = position.updatedTimeMs else { return nil }
            return .text("\(event.symbol)|p|\(position.source.rawValue)|\(time)|\(position.size)")
        case .execution(let execution):
            let status = execution.status ?? "-"
            return .text("\(event.symbol)|e|\(execution.orderId)|\(execution.executionId ?? "-")|\(status)|\(execution.timeMs ?? -1)")
        }
    }

    /// Whether `event` was seen before; remembers it otherwise.
    public mutating func isDuplicate(_ event: UnstampedEvent) -> Bool {
        guard let key = Self.key(of: event) else { return false }
        return !remember(key)
    }

    /// Remembers `key`; false when it was already known.
    @discardableResult
    public mutating func remember(_ key: Key) -> Bool {
        guard seen.insert(key).inserted else { return false }
        if order.count < capacity {
            order.append(key)
        } else {
            seen.remove(order[head])
            order[head] = key
            head = (head + 1) % capacity
        }
        return true
    }

    /// Remembers an already stamped event (used to rebuild the filter from the log on restart).
    public mutating func remember(_ event: MarketEvent) {
        let unstamped = UnstampedEvent(
            symbol: event.symbol, exchTsMs: event.exchTsMs, gatewayTs: event.gatewayTs,
            traceId: event.traceId, body: event.body)
        if let key = Self.key(of: unstamped) { remember(key) }
    }
}
