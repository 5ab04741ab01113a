/// Every feature kind of features.md §3. A registry entry picks one and its parameters.
public enum FeatureKind: String, Sendable, CaseIterable, Codable, Hashable {
    // Book
    case midPrice = "mid_price"
    case spreadAbs = "spread_abs"
    case spreadRel = "spread_rel"
    case microprice
    case depthBid = "depth_bid"
    case depthAsk = "depth_ask"
    case depthImbalance = "depth_imbalance"
    case bookSlopeBid = "book_slope_bid"
    case bookSlopeAsk = "book_slope_ask"
    // Book flow
    case ofi
    case bookChurn = "book_churn"
    // Trades
    case vwap
    case volume
    case signedVolume = "signed_volume"
    case tradeCount = "trade_count"
    case buySellRatio = "buy_sell_ratio"
    case netAggressorPressure = "net_aggressor_pressure"
    // Price dynamics
    case `return`
    case logReturn = "log_return"
    case volatility
    case zscore
    // Perpetual
    case fundingRate = "funding_rate"
    case timeToFunding = "time_to_funding"
    case basis
    case openInterest = "open_interest"
    // Time
    case timeOfDaySin = "time_of_day_sin"
    case timeOfDayCos = "time_of_day_cos"
    case dayOfWeekSin = "day_of_week_sin"
    case dayOfWeekCos = "day_of_week_cos"
    // Position
    case positionSize = "position_size"
    case entryPrice = "entry_price"
    case unrealizedPnl = "unrealized_pnl"
    case exposure

    /// Whether the kind needs a `window`.
    public var takesWindow: Bool {
        switch self {
        case .ofi, .bookChurn, .vwap, .volume, .signedVolume, .tradeCount, .buySellRatio, .netAggressorPressure,
            .return, .logReturn, .volatility, .zscore:
            true
        default: false
        }
    }

    /// Whether the kind needs `levels`.
    public var takesLevels: Bool {
        switch self {
        case .depthBid, .depthAsk, .depthImbalance, .bookSlopeBid, .bookSlopeAsk, .bookChurn: true
        default: false
        }
    }

    /// The raw event types the kind reads (what `sources` may name).
    public var readableSources: Set<String> {
        switch self {
        case .midPrice, .spreadAbs, .spreadRel, .microprice, .depthBid, .depthAsk, .depthImbalance, .bookSlopeBid,
            .bookSlopeAsk, .ofi, .bookChurn, .return, .logReturn, .volatility, .zscore:
            ["orderbook"]
        case .vwap, .volume, .signedVolume, .tradeCount, .buySellRatio, .netAggressorPressure:
            ["trade"]
        case .fundingRate, .timeToFunding:
            ["ticker", "funding"]
        case .basis, .openInterest:
            ["ticker"]
        case .timeOfDaySin, .timeOfDayCos, .dayOfWeekSin, .dayOfWeekCos:
            []
        case .positionSize, .entryPrice:
            ["position"]
        case .unrealizedPnl, .exposure:
            ["position", "orderbook"]
        }
    }
}
