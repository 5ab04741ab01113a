import MarketData

/// A registry compiled for evaluation: which windows to maintain and how to read each
/// feature. Features sharing a window share its sums.
public struct FeaturePlan: Sendable {
    public let registry: FeatureRegistry
    let features: [Compiled]
    /// Trade windows (lanes: price*size, buy size, sell size; volume and signed volume are the
    /// exact sum and difference of the last two).
    let tradeWindows: [Nanos]
    /// Book-event windows (lanes: the four ofi terms, then one churn count per entry of `churnLevels`).
    let bookWindows: [Nanos]
    let churnLevels: [Int]
    let midLookback: Nanos?
    let gridCapacity: Int
    /// The distinct statistics over grid points that `volatility` and `zscore` features read;
    /// features with the same kind and window share one (``SettledGridStatistics``).
    let gridStatistics: [GridStatistic]
    /// Whether vectors are also read between grid points (on book updates, on request): the live
    /// path. It changes how window sums are kept — cheap reads anywhere for the live path, cheap
    /// upkeep for replays, which read at grid points only — never their values.
    public var readsBetweenGridPoints = false

    enum Compiled: Sendable {
        case mid, spreadAbs, spreadRel, microprice
        case depth(bid: Bool, levels: Int)
        case depthImbalance(levels: Int)
        case slope(bid: Bool, levels: Int)
        case ofi(window: Int)
        case churn(window: Int, lane: Int, seconds: Double)
        case vwap(window: Int), volume(window: Int), signedVolume(window: Int), tradeCount(window: Int)
        case buySellRatio(window: Int), netAggressorPressure(window: Int)
        case ret(window: Nanos, log: Bool)
        /// `statistic`: the index of the feature's entry (its window) in `gridStatistics`.
        case volatility(statistic: Int), zscore(statistic: Int)
        case fundingRate, timeToFunding, basis, openInterest
        case timeOfDay(sin: Bool), dayOfWeek(sin: Bool)
        case positionSize, entryPrice, unrealizedPnl, exposure
    }

    /// Mean and deviation over the grid points of a window: of the log returns (`volatility`)
    /// or of the mids (`zscore`).
    struct GridStatistic: Sendable, Equatable {
        let window: Nanos
        let ofReturns: Bool
    }

    enum TradeLane: Int { case notional = 0, buySize, sellSize }
    static let tradeLaneCount = 3
    /// `ofi` is the exact sum of every signed term of every event (features.md §2): up to four
    /// per event, each kept in a lane of its own.
    static let ofiTermCount = 4

    public init(registry: FeatureRegistry) {
        self.registry = registry
        var tradeWindows: [Nanos] = []
        var bookWindows: [Nanos] = []
        var churnLevels: [Int] = []
        var midLookback: Nanos?
        var gridSeconds: Int64 = 0
        var gridStatistics: [GridStatistic] = []
        func statistic(_ window: Nanos, ofReturns: Bool) -> Int {
            let statistic = GridStatistic(window: window, ofReturns: ofReturns)
            if let index = gridStatistics.firstIndex(of: statistic) { return index }
            gridStatistics.append(statistic)
            return gridStatistics.count - 1
        }
        func slot(_ list: inout [Nanos], _ window: Nanos) -> Int {
            if let index = list.firstIndex(of: window) { return index }
            list.append(window)
            return list.count - 1
        }
        for feature in registry.features {
            switch feature.kind {
            case .ofi, .bookChurn: _ = slot(&bookWindows, feature.window!)
            case .vwap, .volume, .signedVolume, .tradeCount, .buySellRatio, .netAggressorPressure: _ = slot(&tradeWindows, feature.window!)
            case .return, .logReturn: midLookback = max(midLookback ?? 0, feature.window!)
            case .volatility, .zscore:
                gridSeconds = max(gridSeconds, (feature.window! + Time.nanosPerSecond - 1) / Time.nanosPerSecond)
            default: break
            }
            if feature.kind == .bookChurn, !churnLevels.contains(feature.levels!) { churnLevels.append(feature.levels!) }
        }
        var compiled: [Compiled] = []
        for feature in registry.features {
            let window = feature.window ?? 0
            let levels = feature.levels ?? 0
            let c: Compiled
            switch feature.kind {
            case .midPrice: c = .mid
            case .spreadAbs: c = .spreadAbs
            case .spreadRel: c = .spreadRel
            case .microprice: c = .microprice
            case .depthBid: c = .depth(bid: true, levels: levels)
            case .depthAsk: c = .depth(bid: false, levels: levels)
            case .depthImbalance: c = .depthImbalance(levels: levels)
            case .bookSlopeBid: c = .slope(bid: true, levels: levels)
            case .bookSlopeAsk: c = .slope(bid: false, levels: levels)
            case .ofi: c = .ofi(window: slot(&bookWindows, window))
            case .bookChurn:
                c = .churn(
                    window: slot(&bookWindows, window), lane: Self.ofiTermCount + churnLevels.firstIndex(of: levels)!,
                    seconds: Double(window) / Double(Time.nanosPerSecond))
            case .vwap: c = .vwap(window: slot(&tradeWindows, window))
            case .volume: c = .volume(window: slot(&tradeWindows, window))
            case .signedVolume: c = .signedVolume(window: slot(&tradeWindows, window))
            case .tradeCount: c = .tradeCount(window: slot(&tradeWindows, window))
            case .buySellRatio: c = .buySellRatio(window: slot(&tradeWindows, window))
            case .netAggressorPressure: c = .netAggressorPressure(window: slot(&tradeWindows, window))
            case .return: c = .ret(window: window, log: false)
            case .logReturn: c = .ret(window: window, log: true)
            case .volatility: c = .volatility(statistic: statistic(window, ofReturns: true))
            case .zscore: c = .zscore(statistic: statistic(window, ofReturns: false))
            case .fundingRate: c = .fundingRate
            case .timeToFunding: c = .timeToFunding
            case .basis: c = .basis
            case .openInterest: c = .openInterest
            case .timeOfDaySin: c = .timeOfDay(sin: true)
            case .timeOfDayCos: c = .timeOfDay(sin: false)
            case .dayOfWeekSin: c = .dayOfWeek(sin: true)
            case .dayOfWeekCos: c = .dayOfWeek(sin: false)
            case .positionSize: c = .positionSize
            case .entryPrice: c = .entryPrice
            case .unrealizedPnl: c = .unrealizedPnl
            case .exposure: c = .exposure
            }
            compiled.append(c)
        }
        self.features = compiled
        self.tradeWindows = tradeWindows
        self.bookWindows = bookWindows
        self.churnLevels = churnLevels
        self.midLookback = midLookback
        // G - 1 s of the oldest grid point is read too, hence + 2.
        self.gridCapacity = gridSeconds > 0 ? Int(gridSeconds) + 2 : 0
        self.gridStatistics = gridStatistics
    }

    /// Feature names in registry order.
    public var names: [String] { registry.names }
    /// Number of values in a vector.
    public var count: Int { features.count }
}
