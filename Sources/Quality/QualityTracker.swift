public import MarketData
public import OrderBook

/// Counts data-quality signals per symbol and minute as events arrive. Pure: time is each
/// event's `recv_ts`; the live pipeline and the offline rebuild feed it the same events with
/// the same book outcomes and get the same buckets.
public struct QualityTracker: Sendable {
    /// What counts as an anomaly.
    public struct Thresholds: Sendable, Equatable {
        /// A trade more than this fraction away from the symbol's previous trade.
        public var priceJump = 0.05
        /// Exchange-to-service latency above this (ms): the event arrived late.
        public var lateMs = 5_000.0
        /// Exchange time ahead of ours by more than this (ms): a clock is off.
        public var clockAheadMs = 1_000.0

        public init() {}
    }

    /// Anomaly kinds, as reported.
    public enum Anomaly: String, Sendable, CaseIterable {
        /// Price or size not a positive finite number where one is required.
        case invalidValue = "invalid_value"
        case priceJump = "price_jump"
        case crossedBook = "crossed_book"
        /// The exchange timestamp of a stream went backwards.
        case exchangeTimeBackwards = "exchange_time_backwards"
        case late
        case clockAhead = "clock_ahead"
    }

    public let thresholds: Thresholds
    /// Open buckets: symbol -> minute -> bucket.
    public private(set) var buckets: [String: [Int64: QualityBucket]] = [:]
    private var lastTradePrice: [String: Double] = [:]
    private var lastExchangeMs: [String: [EventType: Int64]] = [:]
    private var desynced: Set<String> = []

    public init(thresholds: Thresholds = Thresholds()) {
        self.thresholds = thresholds
    }

    /// Records one stamped event and, for a book message, what applying it did to the book.
    public mutating func observe(_ event: MarketEvent, book: BookApplyOutcome? = nil) {
        // First what the event says given the symbol's history, then one in-place bucket update
        // (no copy of the bucket's tables per event).
        var found: [Anomaly] = []
        var streamBit: UInt8 = 0  // 1: book second, 2: trade second
        switch event.body {
        case .book(let update):
            streamBit = 1
            if update.bids.contains(where: { !Self.valid($0, allowZeroSize: !update.isSnapshot) })
                || update.asks.contains(where: { !Self.valid($0, allowZeroSize: !update.isSnapshot) })
            {
                found.append(.invalidValue)
            }
        case .trade(let trade):
            streamBit = 2
            if !(trade.price.isFinite && trade.price > 0 && trade.size.isFinite && trade.size > 0) {
                found.append(.invalidValue)
            } else {
                if let last = lastTradePrice[event.symbol], abs(trade.price / last - 1) > thresholds.priceJump { found.append(.priceJump) }
                lastTradePrice[event.symbol] = trade.price
            }
        default:
            break
        }
        var desyncReason: String?
        var resynced = false
        switch book {
        case .desynced(let state)?:
            if desynced.insert(event.symbol).inserted {
                switch state {
                case .gap: desyncReason = "sequence_gap"
                case .crossed:
                    desyncReason = "crossed_book"
                    found.append(.crossedBook)
                case .deltaBeforeSnapshot: desyncReason = "delta_before_snapshot"
                case .synced, .awaitingSnapshot: desyncReason = "other"
                }
            }
        case .snapshot?:
            resynced = desynced.remove(event.symbol) != nil
        default:
            break
        }
        var exchangeLatency: Double?
        if let exchangeMs = event.exchTsMs, let latency = Self.milliseconds(from: exchangeMs, millis: true, to: event.recvTs) {
            exchangeLatency = latency
            if latency > thresholds.lateMs { found.append(.late) }
            if latency < -thresholds.clockAheadMs { found.append(.clockAhead) }
            if let previous = lastExchangeMs[event.symbol]?[event.type], exchangeMs < previous { found.append(.exchangeTimeBackwards) }
            lastExchangeMs[event.symbol, default: [:]][event.type] = exchangeMs
        }

        let minute = Self.minute(of: event.recvTs)
        let bit: UInt64 = 1 << UInt64((event.recvTs - minute * 60 * Time.nanosPerSecond) / Time.nanosPerSecond)
        let typeIndex = Self.typeIndex[event.type]!
        Self.update(&buckets[event.symbol, default: [:]][minute, default: QualityBucket(minute: minute)]) { bucket in
            bucket.events[typeIndex] += 1
            bucket.anySeconds |= bit
            if streamBit == 1 { bucket.bookSeconds |= bit } else if streamBit == 2 { bucket.tradeSeconds |= bit }
            for anomaly in found { bucket.anomalies[anomaly.rawValue, default: 0] += 1 }
            if let desyncReason {
                bucket.desyncs[desyncReason, default: 0] += 1
                if desyncReason == "sequence_gap" { bucket.sequenceGaps += 1 }
            }
            if resynced { bucket.resyncs += 1 }
            if let exchangeLatency { bucket.exchangeLatency.record(ms: exchangeLatency) }
            if let gateway = event.gatewayTs, let latency = Self.milliseconds(from: gateway, millis: false, to: event.recvTs) {
                bucket.gatewayLatency.record(ms: latency)
            }
        }
    }

    private static let typeIndex = Dictionary(uniqueKeysWithValues: EventType.allCases.enumerated().map { ($1, $0) })

    @inline(__always)
    private static func update(_ bucket: inout QualityBucket, _ body: (inout QualityBucket) -> Void) { body(&bucket) }

    /// Removes and returns every bucket of a minute that ended at or before `time`.
    public mutating func takeBuckets(endedBy time: Nanos) -> [String: [QualityBucket]] {
        let current = Self.minute(of: time)
        var taken: [String: [QualityBucket]] = [:]
        for (symbol, minutes) in buckets {
            let done = minutes.keys.filter { $0 < current }
            guard !done.isEmpty else { continue }
            taken[symbol] = done.sorted().map { minutes[$0]! }
            for minute in done { buckets[symbol]![minute] = nil }
        }
        return taken
    }

    /// The open buckets of a symbol within [from, to) minutes, oldest first.
    public func openBuckets(symbol: String) -> [QualityBucket] {
        (buckets[symbol] ?? [:]).values.sorted { $0.minute < $1.minute }
    }

    /// `to - from` in ms, or nil when the difference does not fit (the decoder keeps outside
    /// times within 2000–2100, but a stored or hand-built event must not trap the tracker either).
    static func milliseconds(from: Int64, millis: Bool, to: Nanos) -> Double? {
        let (start, scaled) = millis ? from.multipliedReportingOverflow(by: Time.nanosPerMilli) : (from, false)
        let (delta, overflow) = to.subtractingReportingOverflow(start)
        return scaled || overflow ? nil : Double(delta) / 1e6
    }

    public static func minute(of time: Nanos) -> Int64 { Time.floorDiv(time, 60 * Time.nanosPerSecond) }

    private static func valid(_ level: PriceLevel, allowZeroSize: Bool) -> Bool {
        level.price.isFinite && level.price > 0 && level.size.isFinite && (level.size > 0 || (allowZeroSize && level.size == 0))
    }
}
