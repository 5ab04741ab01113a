/// The raw event types the service stores, one Parquet table each.
public enum EventType: String, Sendable, CaseIterable, Codable, Hashable {
    case orderbook, trade, kline, ticker, funding, position, execution
}

/// One price level of a book message: a size of 0 deletes the level.
public struct PriceLevel: Sendable, Equatable, Hashable, Codable {
    public var price: Double
    public var size: Double
    public init(price: Double, size: Double) {
        self.price = price
        self.size = size
    }
}

/// A book snapshot (replaces the book) or delta (applies level changes).
public struct BookUpdate: Sendable, Equatable {
    public var isSnapshot: Bool
    /// Bybit `u`: consecutive deltas have consecutive ids; a snapshot with `u = 1` means the
    /// exchange restarted the stream.
    public var updateId: Int64
    /// Bybit `seq`, the cross sequence (stored, not used for continuity).
    public var crossSeq: Int64?
    /// Depth of the subscription (`orderbook.{depth}.{symbol}`), when known.
    public var depth: Int?
    public var bids: [PriceLevel]
    public var asks: [PriceLevel]
    public init(
        isSnapshot: Bool, updateId: Int64, crossSeq: Int64? = nil, depth: Int? = nil,
        bids: [PriceLevel], asks: [PriceLevel]
    ) {
        self.isSnapshot = isSnapshot
        self.updateId = updateId
        self.crossSeq = crossSeq
        self.depth = depth
        self.bids = bids
        self.asks = asks
    }
}

/// Aggressor side of a trade: +1 buy, -1 sell.
public enum Side: Int8, Sendable, Equatable, Hashable {
    case buy = 1
    case sell = -1
    public var sign: Double { self == .buy ? 1 : -1 }
}

/// One public trade.
public struct Trade: Sendable, Equatable {
    public var price: Double
    public var size: Double
    public var side: Side
    public var tradeId: String
    /// Bybit `T`, exchange trade time in ms.
    public var tradeTimeMs: Int64?
    public var isBlockTrade: Bool
    public var tickDirection: String?
    public init(
        price: Double, size: Double, side: Side, tradeId: String, tradeTimeMs: Int64? = nil,
        isBlockTrade: Bool = false, tickDirection: String? = nil
    ) {
        self.price = price
        self.size = size
        self.side = side
        self.tradeId = tradeId
        self.tradeTimeMs = tradeTimeMs
        self.isBlockTrade = isBlockTrade
        self.tickDirection = tickDirection
    }
}

/// One candle update. Stored; no feature reads it today.
public struct Kline: Sendable, Equatable {
    public var interval: String
    public var startMs: Int64
    public var endMs: Int64
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    public var volume: Double
    public var turnover: Double
    public var confirm: Bool
    public init(
        interval: String, startMs: Int64, endMs: Int64, open: Double, high: Double, low: Double,
        close: Double, volume: Double, turnover: Double, confirm: Bool
    ) {
        self.interval = interval
        self.startMs = startMs
        self.endMs = endMs
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.turnover = turnover
        self.confirm = confirm
    }
}

/// A ticker message: the exchange sends a snapshot then deltas holding only the fields that
/// changed, so every field is optional and consumers merge them into their last known state.
public struct TickerUpdate: Sendable, Equatable {
    public var lastPrice: Double?
    public var markPrice: Double?
    public var indexPrice: Double?
    public var openInterest: Double?
    public var fundingRate: Double?
    public var nextFundingTimeMs: Int64?
    public var bid1Price: Double?
    public var bid1Size: Double?
    public var ask1Price: Double?
    public var ask1Size: Double?
    public var volume24h: Double?
    public var turnover24h: Double?
    public init(
        lastPrice: Double? = nil, markPrice: Double? = nil, indexPrice: Double? = nil,
        openInterest: Double? = nil, fundingRate: Double? = nil, nextFundingTimeMs: Int64? = nil,
        bid1Price: Double? = nil, bid1Size: Double? = nil, ask1Price: Double? = nil, ask1Size: Double? = nil,
        volume24h: Double? = nil, turnover24h: Double? = nil
    ) {
        self.lastPrice = lastPrice
        self.markPrice = markPrice
        self.indexPrice = indexPrice
        self.openInterest = openInterest
        self.fundingRate = fundingRate
        self.nextFundingTimeMs = nextFundingTimeMs
        self.bid1Price = bid1Price
        self.bid1Size = bid1Size
        self.ask1Price = ask1Price
        self.ask1Size = ask1Size
        self.volume24h = volume24h
        self.turnover24h = turnover24h
    }
}

/// A funding-rate message.
public struct FundingUpdate: Sendable, Equatable {
    public var fundingRate: Double?
    public var fundingRateTimestampMs: Int64?
    public var nextFundingTimeMs: Int64?
    public init(fundingRate: Double?, fundingRateTimestampMs: Int64? = nil, nextFundingTimeMs: Int64? = nil) {
        self.fundingRate = fundingRate
        self.fundingRateTimestampMs = fundingRateTimestampMs
        self.nextFundingTimeMs = nextFundingTimeMs
    }
}

/// Where a position state came from.
public enum PositionSource: String, Sendable, Equatable {
    /// The exchange's private `position` topic (through the gateway).
    case exchange
    /// The position manager's `position_updated` event.
    case positionManager = "position_manager"
    /// The position manager's REST fallback.
    case positionManagerREST = "position_manager_rest"
}

/// A position state for one symbol. `size` is signed: long > 0, short < 0.
public struct PositionUpdate: Sendable, Equatable {
    public var size: Double
    /// Average entry price; nil when the source does not carry one (the position manager's
    /// event), in which case the last known entry price stays in force.
    public var entryPrice: Double?
    public var markPrice: Double?
    public var unrealizedPnl: Double?
    public var realizedPnl: Double?
    public var source: PositionSource
    public var updatedTimeMs: Int64?
    public init(
        size: Double, entryPrice: Double? = nil, markPrice: Double? = nil, unrealizedPnl: Double? = nil,
        realizedPnl: Double? = nil, source: PositionSource, updatedTimeMs: Int64? = nil
    ) {
        self.size = size
        self.entryPrice = entryPrice
        self.markPrice = markPrice
        self.unrealizedPnl = unrealizedPnl
        self.realizedPnl = realizedPnl
        self.source = source
        self.updatedTimeMs = updatedTimeMs
    }
}

/// One of our own order executions/updates (the optional `order` queue). Stored only.
public struct Execution: Sendable, Equatable {
    public var orderId: String
    public var executionId: String?
    public var side: Side?
    public var price: Double?
    public var quantity: Double?
    public var status: String?
    public var timeMs: Int64?
    public init(
        orderId: String, executionId: String? = nil, side: Side? = nil, price: Double? = nil,
        quantity: Double? = nil, status: String? = nil, timeMs: Int64? = nil
    ) {
        self.orderId = orderId
        self.executionId = executionId
        self.side = side
        self.price = price
        self.quantity = quantity
        self.status = status
        self.timeMs = timeMs
    }
}

/// What an event carries.
public enum EventBody: Sendable, Equatable {
    case book(BookUpdate)
    case trade(Trade)
    case kline(Kline)
    case ticker(TickerUpdate)
    case funding(FundingUpdate)
    case position(PositionUpdate)
    case execution(Execution)

    /// The storage table of this body.
    public var type: EventType {
        switch self {
        case .book: .orderbook
        case .trade: .trade
        case .kline: .kline
        case .ticker: .ticker
        case .funding: .funding
        case .position: .position
        case .execution: .execution
        }
    }
}

/// A decoded event before the service stamped it.
public struct UnstampedEvent: Sendable, Equatable {
    public var symbol: String
    /// Exchange time in ms, when the message has one.
    public var exchTsMs: Int64?
    /// The gateway's `received_at`, in ns.
    public var gatewayTs: Nanos?
    public var traceId: String?
    public var body: EventBody
    public init(symbol: String, exchTsMs: Int64? = nil, gatewayTs: Nanos? = nil, traceId: String? = nil, body: EventBody) {
        self.symbol = symbol
        self.exchTsMs = exchTsMs
        self.gatewayTs = gatewayTs
        self.traceId = traceId
        self.body = body
    }
}

/// An accepted event: stamped once, at ingest, with `recvTs` and a per-symbol `seq`.
/// Engines apply a symbol's events in `(recvTs, seq)` order.
public struct MarketEvent: Sendable, Equatable {
    public var symbol: String
    /// Service receive time, ns since the epoch; never decreases per symbol.
    public var recvTs: Nanos
    /// Per-symbol ingest counter, strictly increasing.
    public var seq: Int64
    public var exchTsMs: Int64?
    public var gatewayTs: Nanos?
    public var traceId: String?
    public var body: EventBody

    public init(
        symbol: String, recvTs: Nanos, seq: Int64, exchTsMs: Int64? = nil, gatewayTs: Nanos? = nil,
        traceId: String? = nil, body: EventBody
    ) {
        self.symbol = symbol
        self.recvTs = recvTs
        self.seq = seq
        self.exchTsMs = exchTsMs
        self.gatewayTs = gatewayTs
        self.traceId = traceId
        self.body = body
    }

    public var type: EventType { body.type }
}
