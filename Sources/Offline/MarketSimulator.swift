public import MarketData

/// A seeded generator of realistic market events for a few symbols: a book snapshot, then
/// deltas with continuous update ids around a random-walk mid (never crossed), trades near
/// the touch, tickers with funding, and klines. Deterministic for a seed: the same seed gives
/// the same stream, which the benchmarks and the embedded `serve` default rely on.
public struct MarketSimulator: Sendable {
    /// Event mix in percent (the rest are klines).
    public struct Mix: Sendable {
        public var bookDeltas = 60
        public var trades = 35
        public var tickers = 3
        public init() {}
    }

    struct SymbolModel: Sendable {
        var symbol: String
        var tick: Double
        var bestBid: Int  // in ticks; best ask = bestBid + 1
        var bids: [Int: Double] = [:]
        var asks: [Int: Double] = [:]
        var updateId: Int64 = 0
        var tradeId = 0
        var depth: Int
        var started = false
    }

    private var rng: SplitMix64
    private var models: [SymbolModel]
    private let mix: Mix
    /// Mean time between events of one symbol, ns.
    public let meanInterval: Nanos
    private var clock: Nanos
    private var next = 0

    /// - Parameters:
    ///   - symbols: symbols with their starting price and tick size.
    ///   - eventsPerSecond: per symbol.
    public init(
        seed: UInt64, symbols: [(String, price: Double, tick: Double)] = MarketSimulator.defaultSymbols,
        start: Nanos, eventsPerSecond: Double = 70, depth: Int = 50, mix: Mix = Mix()
    ) {
        rng = SplitMix64(seed: seed)
        models = symbols.map { SymbolModel(symbol: $0.0, tick: $0.tick, bestBid: Int($0.price / $0.tick), depth: depth) }
        self.mix = mix
        meanInterval = Nanos(1e9 / (eventsPerSecond * Double(max(symbols.count, 1))))
        clock = start
    }

    public static let defaultSymbols: [(String, price: Double, tick: Double)] = [
        ("BTCUSDT", 96_000, 0.1), ("ETHUSDT", 3_400, 0.01), ("SOLUSDT", 240, 0.001),
    ]

    /// The next event and the instant it happens.
    public mutating func nextEvent() -> (time: Nanos, event: UnstampedEvent) {
        clock += max(1, Nanos(Double(meanInterval) * exponential()))
        let index = Int(rng.next() % UInt64(models.count))
        var model = models[index]
        let event = step(&model)
        models[index] = model
        return (clock, event)
    }

    private mutating func exponential() -> Double {
        let u = Double(rng.next() >> 11) / Double(1 << 53)
        return -log1pApprox(-u)
    }

    /// -log(1 - u) without Foundation: good enough for inter-arrival jitter.
    private func log1pApprox(_ x: Double) -> Double {
        // ln(1 + x) via the identity ln(y) = 2 atanh((y - 1) / (y + 1)), series to 7 terms.
        let y = 1 + x
        guard y > 1e-12 else { return -27.6 }
        var exponent = 0.0
        var m = y
        while m > 2 { m /= 2; exponent += 1 }
        while m < 1 { m *= 2; exponent -= 1 }
        let t = (m - 1) / (m + 1)
        let t2 = t * t
        var term = t
        var sum = 0.0
        for k in stride(from: 1.0, through: 13.0, by: 2.0) {
            sum += term / k
            term *= t2
        }
        return 2 * sum + exponent * 0.6931471805599453
    }

    private mutating func uniform(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }

    private mutating func size() -> Double { Double(1 + uniform(5000)) / 1000 }

    private mutating func step(_ model: inout SymbolModel) -> UnstampedEvent {
        if !model.started {
            model.started = true
            return snapshot(&model)
        }
        let roll = uniform(100)
        if roll < mix.bookDeltas { return delta(&model) }
        if roll < mix.bookDeltas + mix.trades {
            model.tradeId += 1
            let buy = uniform(2) == 0
            let price = Double(buy ? model.bestBid + 1 : model.bestBid) * model.tick
            return UnstampedEvent(
                symbol: model.symbol,
                body: .trade(
                    Trade(
                        price: price, size: size(), side: buy ? .buy : .sell,
                        tradeId: "\(model.symbol)-\(model.tradeId)")))
        }
        let mid = (Double(model.bestBid) + 0.5) * model.tick
        if roll < mix.bookDeltas + mix.trades + mix.tickers {
            return UnstampedEvent(
                symbol: model.symbol,
                body: .ticker(
                    TickerUpdate(
                        lastPrice: mid, markPrice: mid * 1.0001, indexPrice: mid, openInterest: 10_000 + Double(uniform(1000)),
                        fundingRate: 0.0001, nextFundingTimeMs: (clock / 1_000_000 / 28_800_000 + 1) * 28_800_000)))
        }
        let minute = clock / 60_000_000_000 * 60_000
        return UnstampedEvent(
            symbol: model.symbol,
            body: .kline(
                Kline(
                    interval: "1", startMs: minute, endMs: minute + 59_999, open: mid,
                    high: mid + model.tick, low: mid - model.tick, close: mid,
                    volume: size(), turnover: size() * mid, confirm: false)))
    }

    private func level(_ model: SymbolModel, _ ticks: Int, _ size: Double) -> PriceLevel {
        PriceLevel(price: Double(ticks) * model.tick, size: size)
    }

    private mutating func snapshot(_ model: inout SymbolModel) -> UnstampedEvent {
        model.bids = [:]
        model.asks = [:]
        for k in 0..<model.depth {
            model.bids[model.bestBid - k] = size()
            model.asks[model.bestBid + 1 + k] = size()
        }
        model.updateId += 1
        let bids = model.bids.keys.sorted(by: >).map { level(model, $0, model.bids[$0]!) }
        let asks = model.asks.keys.sorted().map { level(model, $0, model.asks[$0]!) }
        return UnstampedEvent(
            symbol: model.symbol,
            body: .book(
                BookUpdate(
                    isSnapshot: true, updateId: model.updateId, depth: model.depth,
                    bids: bids, asks: asks)))
    }

    private mutating func delta(_ model: inout SymbolModel) -> UnstampedEvent {
        var bids: [PriceLevel] = []
        var asks: [PriceLevel] = []
        let kind = uniform(20)
        if kind == 0 {
            // Mid up one tick: the best ask is taken, a new best bid appears there.
            let old = model.bestBid + 1
            model.asks[old] = nil
            asks.append(level(model, old, 0))
            let newBid = size()
            model.bids[old] = newBid
            bids.append(level(model, old, newBid))
            model.bestBid = old
            let far = model.bestBid + model.depth
            let farSize = size()
            model.asks[far] = farSize
            asks.append(level(model, far, farSize))
        } else if kind == 1 {
            // Mid down one tick.
            let old = model.bestBid
            model.bids[old] = nil
            bids.append(level(model, old, 0))
            let newAsk = size()
            model.asks[old] = newAsk
            asks.append(level(model, old, newAsk))
            model.bestBid = old - 1
            let far = model.bestBid - model.depth + 1
            let farSize = size()
            model.bids[far] = farSize
            bids.append(level(model, far, farSize))
        } else {
            // Size changes near the touch, on one or both sides.
            let count = 1 + uniform(3)
            for _ in 0..<count {
                let k = uniform(10)
                let s = size()
                if uniform(2) == 0 {
                    model.bids[model.bestBid - k] = s
                    bids.append(level(model, model.bestBid - k, s))
                } else {
                    model.asks[model.bestBid + 1 + k] = s
                    asks.append(level(model, model.bestBid + 1 + k, s))
                }
            }
        }
        model.updateId += 1
        return UnstampedEvent(
            symbol: model.symbol,
            body: .book(
                BookUpdate(
                    isSnapshot: false, updateId: model.updateId, depth: model.depth,
                    bids: bids, asks: asks)))
    }
}
