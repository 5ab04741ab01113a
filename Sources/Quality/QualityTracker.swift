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
        let minute = Self.minute(of: event.recvTs)
        let second = Int((event.recvTs - minute * 60 * Time.nanosPerSecond) / Time.nanosPerSecond)
        var bucket = buckets[event.symbol]?[minute] ?? QualityBucket(minute: minute)
        let typeIndex = EventType.allCases.firstIndex(of: event.type)!
        bucket.events[typeIndex] += 1
        let bit: UInt64 = 1 << UInt64(second)
        bucket.anySeconds |= bit

        switch event.body {
        case .book(let update):
            bucket.bookSeconds |= bit
            if update.bids.contains(where: { !Self.valid($0, allowZeroSize: !update.isSnapshot) })
                || update.asks.contains(where: { !Self.valid($0, allowZeroSize: !update.isSnapshot) }) {
                bucket.anomalies[Anomaly.invalidValue.rawValue, default: 0] += 1
            }
        case .trade(let trade):
            bucket.tradeSeconds |= bit
            if !(trade.price.isFinite && trade.price > 0 && trade.size.isFinite && trade.size > 0) {
                bucket.anomalies[Anomaly.invalidValue.rawValue, default: 0] += 1
            } else {
                if let last = lastTradePrice[event.symbol], abs(trade.price / last - 1) > thresholds.priceJump {
                    bucket.anomalies[Anomaly.priceJump.rawValue, default: 0] += 1
                }
                lastTradePrice[event.symbol] = trade.price
            }
        default:
            break
        }

        switch book {
        case .desynced(let state)?:
            if !desynced.contains(event.symbol) {
                desynced.insert(event.symbol)
                let reason: String
                switch state {
                case .gap:
                    reason = "sequence_gap"
                    bucket.sequenceGaps += 1
                case .crossed:
                    reason = "crossed_book"
                    bucket.anomalies[Anomaly.crossedBook.rawValue, default: 0] += 1
                case .deltaBeforeSnapshot: reason = "delta_before_snapshot"
                case .synced, .awaitingSnapshot: reason = "other"
                }
                bucket.desyncs[reason, default: 0] += 1
            }
        case .snapshot?:
            if desynced.remove(event.symbol) != nil { bucket.resyncs += 1 }
        default:
            break
        }

        if let exchangeMs = event.exchTsMs {
            let latency = Double(event.recvTs - exchangeMs * Time.nanosPerMilli) / 1e6
            bucket.exchangeLatency.record(ms: latency)
            if latency > thresholds.lateMs { bucket.anomalies[Anomaly.late.rawValue, default: 0] += 1 }
            if latency < -thresholds.clockAheadMs { bucket.anomalies[Anomaly.clockAhead.rawValue, default: 0] += 1 }
            if let previous = lastExchangeMs[event.symbol]?[event.type], exchangeMs < previous {
                bucket.anomalies[Anomaly.exchangeTimeBackwards.rawValue, default: 0] += 1
            }
            lastExchangeMs[event.symbol, default: [:]][event.type] = exchangeMs
        }
        if let gateway = event.gatewayTs {
            bucket.gatewayLatency.record(ms: Double(event.recvTs - gateway) / 1e6)
        }
        buckets[event.symbol, default: [:]][minute] = bucket
    }

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

    public static func minute(of time: Nanos) -> Int64 { Time.floorDiv(time, 60 * Time.nanosPerSecond) }

    private static func valid(_ level: PriceLevel, allowZeroSize: Bool) -> Bool {
        level.price.isFinite && level.price > 0 && level.size.isFinite && (level.size > 0 || (allowZeroSize && level.size == 0))
    }
}
