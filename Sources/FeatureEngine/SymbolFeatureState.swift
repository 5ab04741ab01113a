import Foundation  // sin, cos, log, sqrt (libm)
public import MarketData
public import OrderBook

/// Everything the engine knows about one symbol, and the feature values it implies.
///
/// Pure: `apply` changes state from an event alone, `vector(at:)` reads without changing
/// anything. Events must come in `(recvTs, seq)` order; then the vector as of any
/// `T >= lastRecvTs` depends only on the events, never on when or how often it is read.
public struct SymbolFeatureState: Sendable {
    public let plan: FeaturePlan
    public private(set) var book: L2Book
    public private(set) var lastRecvTs: Nanos = .min
    public private(set) var eventCount: Int = 0

    private var trades: SlidingSums
    private var bookFlow: SlidingSums?
    private var mids: MidHistory?
    private var grid: GridMids?
    /// One per entry of the plan's `gridStatistics`, kept only when reads come between grid points.
    private var settled: [SettledGridStatistics] = []

    /// Perpetual state, merged from ticker and funding messages.
    struct Perpetual: Sendable {
        var fundingRate: Double?
        var nextFundingTimeMs: Int64?
        var markPrice: Double?
        var indexPrice: Double?
        var openInterest: Double?
    }
    private(set) var perpetual = Perpetual()
    public private(set) var lastSeq: Int64 = 0

    // Position state.
    private(set) var positionSize: Double = 0
    private(set) var lastEntryPrice: Double?

    // Scratch for churn thresholds (before the update), one per churn level count per side.
    private var thresholdsBefore: [Double?] = []
    private var bookLanes: [Double] = []

    public init(plan: FeaturePlan) {
        self.plan = plan
        let trackingDepth = plan.churnLevels.max() ?? 0
        book = L2Book(changeTrackingDepth: trackingDepth)
        let bookkeeping: SlidingSums.Bookkeeping = plan.readsBetweenGridPoints ? .windowCursors : .secondMarks
        trades = SlidingSums(laneCount: FeaturePlan.tradeLaneCount, lengths: plan.tradeWindows, bookkeeping: bookkeeping)
        if !plan.bookWindows.isEmpty {
            bookFlow = SlidingSums(
                laneCount: FeaturePlan.ofiTermCount + plan.churnLevels.count, lengths: plan.bookWindows, bookkeeping: bookkeeping)
            bookLanes = [Double](repeating: 0, count: FeaturePlan.ofiTermCount + plan.churnLevels.count)
            thresholdsBefore = [Double?](repeating: nil, count: 2 * plan.churnLevels.count)
        }
        if let lookback = plan.midLookback { mids = MidHistory(lookback: lookback) }
        if plan.gridCapacity > 0 { grid = GridMids(capacity: plan.gridCapacity) }
        if plan.readsBetweenGridPoints { settled = Array(repeating: SettledGridStatistics(), count: plan.gridStatistics.count) }
    }

    /// The state restored from a checkpoint: the book, perpetual and position values as of C,
    /// empty windows (the events after C fill them), the mid known from the last event on.
    public init(plan: FeaturePlan, restoring checkpoint: EngineCheckpoint) {
        self.init(plan: plan)
        book = L2Book(
            bids: checkpoint.bids, asks: checkpoint.asks, state: checkpoint.bookState, lastUpdateId: checkpoint.lastUpdateId,
            changeTrackingDepth: book.changeTrackingDepth)
        perpetual = Perpetual(
            fundingRate: checkpoint.fundingRate, nextFundingTimeMs: checkpoint.nextFundingTimeMs,
            markPrice: checkpoint.markPrice, indexPrice: checkpoint.indexPrice, openInterest: checkpoint.openInterest)
        positionSize = checkpoint.positionSize
        lastEntryPrice = checkpoint.entryPrice
        lastRecvTs = checkpoint.lastEventRecvTs
        lastSeq = checkpoint.lastSeq
        eventCount = 1
        // As after applying the last event: the mid from then on, grid points before it settled.
        let mid = currentMid ?? .nan
        mids?.record(time: lastRecvTs, mid: mid)
        grid?.restore(lastRecorded: Time.floorDiv(lastRecvTs - 1, Time.nanosPerSecond))
    }

    /// The mid price now: nil while the book is out of sync or a side is empty. (Inlined: a call
    /// from a mutating method would copy the whole state first — 736 bytes, twice per event.)
    @inline(__always) public var currentMid: Double? {
        guard book.isSynced, let bid = book.bids.bestPrice, let ask = book.asks.bestPrice else { return nil }
        return (bid + ask) / 2
    }

    /// Applies one event. Returns the book outcome for book events (nil otherwise), or
    /// throws nothing: an event older than the last one is a caller bug and is refused.
    @discardableResult
    public mutating func apply(_ event: MarketEvent) -> BookApplyOutcome? {
        precondition(event.recvTs >= lastRecvTs, "events must be applied in recv_ts order")
        let midBefore = currentMid ?? .nan
        let recordedBefore = grid?.lastRecorded
        grid?.advance(before: event.recvTs, currentMid: midBefore, isFirstEvent: eventCount == 0)
        if !settled.isEmpty, grid?.lastRecorded != recordedBefore { settleGridStatistics(at: event.recvTs) }
        lastRecvTs = event.recvTs
        lastSeq = event.seq
        eventCount += 1
        switch event.body {
        case .book(let update):
            return applyBook(update, at: event.recvTs)
        case .trade(let trade):
            let size = trade.size
            let buy = trade.side == .buy
            withUnsafeTemporaryAllocation(of: Double.self, capacity: FeaturePlan.tradeLaneCount) { lanes in
                lanes[FeaturePlan.TradeLane.notional.rawValue] = trade.price * size
                lanes[FeaturePlan.TradeLane.buySize.rawValue] = buy ? size : 0
                lanes[FeaturePlan.TradeLane.sellSize.rawValue] = buy ? 0 : size
                trades.append(time: event.recvTs, lanes: UnsafeBufferPointer(lanes))
            }
        case .ticker(let ticker):
            if let value = ticker.fundingRate { perpetual.fundingRate = value }
            if let value = ticker.nextFundingTimeMs { perpetual.nextFundingTimeMs = value }
            if let value = ticker.markPrice { perpetual.markPrice = value }
            if let value = ticker.indexPrice { perpetual.indexPrice = value }
            if let value = ticker.openInterest { perpetual.openInterest = value }
        case .funding(let funding):
            if let value = funding.fundingRate { perpetual.fundingRate = value }
            if let value = funding.nextFundingTimeMs { perpetual.nextFundingTimeMs = value }
        case .position(let position):
            positionSize = position.size
            // A source that reports entry prices (the exchange, the REST fallback) and says the
            // position is flat has no entry price any more; the position manager's event
            // carries none at all, so the last known one stays (interfaces.md §1).
            if let entry = position.entryPrice, position.size != 0 {
                lastEntryPrice = entry
            } else if position.size == 0 && position.source != .positionManager {
                lastEntryPrice = nil
            }
        case .kline, .execution:
            break
        }
        return nil
    }

    private mutating func applyBook(_ update: BookUpdate, at time: Nanos) -> BookApplyOutcome {
        let syncedBefore = book.isSynced
        let topBefore = book.top
        if bookFlow != nil && syncedBefore {
            for (index, levels) in plan.churnLevels.enumerated() {
                thresholdsBefore[2 * index] = book.bids.rankThresholdKey(levels: levels)
                thresholdsBefore[2 * index + 1] = book.asks.rankThresholdKey(levels: levels)
            }
        }
        let outcome = book.apply(update)
        if bookFlow != nil {
            // A book event contributes only when the book was in sync before and after it.
            var anyNonZero = false
            for lane in bookLanes.indices { bookLanes[lane] = 0 }
            if syncedBefore && book.isSynced {
                if let before = topBefore, let after = book.top {
                    let terms = ofiTerms(before: before, after: after)
                    bookLanes[0] = terms.0
                    bookLanes[1] = terms.1
                    bookLanes[2] = terms.2
                    bookLanes[3] = terms.3
                    anyNonZero = anyNonZero || terms != (0, 0, 0, 0)
                }
                for (index, levels) in plan.churnLevels.enumerated() {
                    let bidAfter = book.bids.rankThresholdKey(levels: levels)
                    let askAfter = book.asks.rankThresholdKey(levels: levels)
                    var count = 0
                    for change in book.changes {
                        let side = change.isBid ? book.bids : book.asks
                        let before = change.isBid ? thresholdsBefore[2 * index] : thresholdsBefore[2 * index + 1]
                        let after = change.isBid ? bidAfter : askAfter
                        if side.isAmongBest(price: change.price, presentSize: change.before, threshold: before)
                            || side.isAmongBest(price: change.price, presentSize: change.after, threshold: after)
                        {
                            count += 1
                        }
                    }
                    bookLanes[FeaturePlan.ofiTermCount + index] = Double(count)
                    anyNonZero = anyNonZero || count != 0
                }
            }
            // All-zero items change no sum; skipping them keeps quiet books cheap.
            if anyNonZero {
                bookLanes.withUnsafeBufferPointer { bookFlow!.append(time: time, lanes: $0) }
            }
        }
        let midAfter = currentMid ?? .nan
        mids?.record(time: time, mid: midAfter)
        return outcome
    }

    /// The signed terms of one event's Cont–Kukanov–Stoikov order-flow imbalance (features.md
    /// §3); absent terms are 0. They are summed exactly with every other event's terms.
    private func ofiTerms(
        before: (bid: Double, bidSize: Double, ask: Double, askSize: Double),
        after: (bid: Double, bidSize: Double, ask: Double, askSize: Double)
    ) -> (Double, Double, Double, Double) {
        (
            after.bid >= before.bid ? after.bidSize : 0, after.bid <= before.bid ? -before.bidSize : 0,
            after.ask <= before.ask ? -after.askSize : 0, after.ask >= before.ask ? before.askSize : 0
        )
    }

    /// The feature vector as of `time` (>= ``lastRecvTs``), values in registry order.
    public func values(at time: Nanos) -> [Double?] {
        var out: [Double?] = []
        out.reserveCapacity(plan.features.count)
        let synced = book.isSynced
        let bid = synced ? book.bids.bestPrice : nil
        let ask = synced ? book.asks.bestPrice : nil
        var mid: Double?
        if let bid, let ask { mid = (bid + ask) / 2 }
        var trades = self.trades.reader(at: time)
        var flow = bookFlow?.reader(at: time)
        let (buy, sell) = (FeaturePlan.TradeLane.buySize.rawValue, FeaturePlan.TradeLane.sellSize.rawValue)
        for feature in plan.features {
            var value: Double?
            switch feature {
            case .mid: value = mid
            case .spreadAbs: if let bid, let ask { value = ask - bid }
            case .spreadRel: if let bid, let ask, let mid { value = (ask - bid) / mid }
            case .microprice:
                if let bid, let ask {
                    let qb = book.bids.size(rank: 0)
                    let qa = book.asks.size(rank: 0)
                    value = (bid * qa + ask * qb) / (qb + qa)
                }
            case .depth(let isBid, let levels):
                if synced { value = (isBid ? book.bids : book.asks).depth(levels: levels) }
            case .depthImbalance(let levels):
                if synced {
                    let b = book.bids.depth(levels: levels)
                    let a = book.asks.depth(levels: levels)
                    if b + a != 0 { value = (b - a) / (b + a) }
                }
            case .slope(let isBid, let levels):
                if let mid {
                    let side = isBid ? book.bids : book.asks
                    let depth = side.depth(levels: levels)
                    let distance = abs(side.price(rank: min(levels, side.count) - 1) - mid)
                    if distance != 0 { value = depth / distance }
                }
            case .ofi(let window):
                value = flow?.sum(window, lanes: 0..<FeaturePlan.ofiTermCount) ?? 0
            case .churn(let window, let lane, let seconds):
                value = (flow?.sum(window, lane: lane) ?? 0) / seconds
            case .vwap(let window):
                if trades.count(window) > 0 {
                    value = trades.sum(window, lane: FeaturePlan.TradeLane.notional.rawValue) / trades.sum(window, lane: buy, 1, sell)
                }
            case .volume(let window):
                value = trades.sum(window, lane: buy, 1, sell)
            case .signedVolume(let window):
                value = trades.sum(window, lane: buy, -1, sell)
            case .tradeCount(let window):
                value = Double(trades.count(window))
            case .buySellRatio(let window):
                let sellVolume = trades.sum(window, lane: sell)
                if sellVolume != 0 { value = trades.sum(window, lane: buy) / sellVolume }
            case .netAggressorPressure(let window):
                if trades.count(window) > 0 {
                    let buyVolume = trades.sum(window, lane: buy)
                    let sellVolume = trades.sum(window, lane: sell)
                    value = (buyVolume - sellVolume) / (buyVolume + sellVolume)
                }
            case .ret(let window, let isLog):
                if let mid, let past = mids?.mid(asOf: time &- window), !past.isNaN {
                    value = isLog ? Foundation.log(mid / past) : mid / past - 1
                }
            case .volatility(let statistic):
                value = gridStatistics(statistic, at: time, currentMid: mid ?? .nan)?.deviation
            case .zscore(let statistic):
                if let mid, let s = gridStatistics(statistic, at: time, currentMid: mid), s.deviation != 0 {
                    value = ((mid - s.pivot) - s.shiftedMean) / s.deviation
                }
            case .fundingRate: value = perpetual.fundingRate
            case .timeToFunding:
                if let next = perpetual.nextFundingTimeMs {
                    value = Double(next &* Time.nanosPerMilli &- time) / Double(Time.nanosPerSecond)
                }
            case .basis:
                if let mark = perpetual.markPrice, let index = perpetual.indexPrice { value = (mark - index) / index }
            case .openInterest: value = perpetual.openInterest
            case .timeOfDay(let isSin):
                let hour = Double(time - Time.floorDiv(time, Time.nanosPerDay) * Time.nanosPerDay) / 3.6e12
                let angle = 2 * Double.pi * hour / 24
                value = isSin ? Foundation.sin(angle) : Foundation.cos(angle)
            case .dayOfWeek(let isSin):
                // The epoch was a Thursday: Monday 00:00 is 3 days before a multiple of a week.
                let week = 7 * Time.nanosPerDay
                let shifted = time &+ 3 * Time.nanosPerDay
                let day = Double(shifted - Time.floorDiv(shifted, week) * week) / Double(Time.nanosPerDay)
                let angle = 2 * Double.pi * day / 7
                value = isSin ? Foundation.sin(angle) : Foundation.cos(angle)
            case .positionSize: value = positionSize
            case .entryPrice: value = positionSize == 0 ? nil : lastEntryPrice
            case .unrealizedPnl:
                if positionSize == 0 { value = 0 } else if let mid, let entry = lastEntryPrice { value = positionSize * (mid - entry) }
            case .exposure:
                if positionSize == 0 { value = 0 } else if let mid { value = abs(positionSize) * mid }
            }
            // The contract never allows NaN or infinity: an undefined value is null.
            if let v = value, !v.isFinite { value = nil }
            out.append(value)
        }
        return out
    }

    /// Grid points G with `time - window < G <= time`, as grid indices (seconds).
    private func gridRange(at time: Nanos, window: Nanos) -> ClosedRange<Int64>? {
        let first = Time.floorDiv(time &- window, Time.nanosPerSecond) + 1
        let last = Time.floorDiv(time, Time.nanosPerSecond)
        return first <= last ? first...last : nil
    }

    /// Mean and deviation (§2) of the log returns (`volatility`) or mids (`zscore`) of the grid
    /// points in `range`; nil with fewer than two of them. The one computation of both kinds.
    private static func statistics(
        ofReturns: Bool, in range: ClosedRange<Int64>, grid: GridMids, currentMid: Double
    ) -> Statistics.Result? {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: range.count) { buffer -> Statistics.Result? in
            let count =
                ofReturns
                ? grid.logReturns(in: range, currentMid: currentMid, into: buffer.baseAddress!)
                : grid.mids(in: range, currentMid: currentMid, into: buffer.baseAddress!)
            guard count >= 2 else { return nil }
            return Statistics.pivotedMeanAndDeviation(UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// The plan's grid statistic `index` over the window ending at `time`: the settled one when
    /// its grid points are the same, else computed.
    private func gridStatistics(_ index: Int, at time: Nanos, currentMid: Double) -> Statistics.Result? {
        let statistic = plan.gridStatistics[index]
        guard let grid, let range = gridRange(at: time, window: statistic.window) else { return nil }
        if index < settled.count, settled[index].range == range { return settled[index].statistics }
        return Self.statistics(ofReturns: statistic.ofReturns, in: range, grid: grid, currentMid: currentMid)
    }

    /// After the grid advanced at `time`: a read at `time` or later within the same second (every
    /// read on a book update) covers settled grid points only, whose values no later event changes,
    /// so each statistic is computed here once for all of them. A read at a grid point or across
    /// one covers a point not settled yet and computes its own.
    private mutating func settleGridStatistics(at time: Nanos) {
        guard let grid else { return }
        for (index, statistic) in plan.gridStatistics.enumerated() {
            if let range = gridRange(at: time, window: statistic.window), range.upperBound <= grid.lastRecorded {
                let statistics = Self.statistics(ofReturns: statistic.ofReturns, in: range, grid: grid, currentMid: .nan)
                settled[index] = SettledGridStatistics(range: range, statistics: statistics)
            } else {
                settled[index] = SettledGridStatistics()
            }
        }
    }
}

/// A grid statistic over settled grid points (see ``SymbolFeatureState``'s `settleGridStatistics`):
/// between two grid points the live engine reads the same one on every book update.
struct SettledGridStatistics: Sendable {
    /// The grid points it covers; nil when none are settled.
    var range: ClosedRange<Int64>?
    /// nil: fewer than two values in `range`.
    var statistics: Statistics.Result?
}

/// Mean and population standard deviation exactly as features.md §2 writes them: about the
/// oldest value `p = x_1` (prices in a window lie within a factor of two of each other, so
/// the differences `d_i = x_i - p` are exact), with exact sums, one operation at a time:
/// `md = sum(d) / n`, `sd = sqrt(sum((d_i - md) * (d_i - md)) / n)`. Equal values give exactly 0.
enum Statistics {
    typealias Result = (pivot: Double, shiftedMean: Double, deviation: Double)

    /// Over `values` (overwritten: they serve as scratch for the terms).
    static func pivotedMeanAndDeviation(
        _ values: UnsafeMutableBufferPointer<Double>
    ) -> (
        pivot: Double, shiftedMean: Double, deviation: Double
    ) {
        guard let pivot = values.first else { return (0, 0, 0) }
        let n = Double(values.count)
        for index in values.indices { values[index] = values[index] - pivot }
        let md = ExactSum.fsum(UnsafeBufferPointer(values)) / n
        for index in values.indices {
            let d = values[index] - md
            values[index] = d * d
        }
        return (pivot, md, (ExactSum.fsum(UnsafeBufferPointer(values)) / n).squareRoot())
    }

    static func pivotedMeanAndDeviation(_ values: [Double]) -> (pivot: Double, shiftedMean: Double, deviation: Double) {
        var scratch = values
        return scratch.withUnsafeMutableBufferPointer { pivotedMeanAndDeviation($0) }
    }

}
