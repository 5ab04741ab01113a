import FeatureEngine
import MarketData
import OrderBook

/// Seconds (possibly fractional, exact to the ns for test values) to ns.
func s(_ seconds: Double) -> Nanos { Nanos((seconds * 1e9).rounded()) }

/// Builds a symbol's event stream in order, the way the tests read best.
struct Script {
    var symbol = "BTCUSDT"
    private(set) var events: [MarketEvent] = []
    private var u: Int64 = 0

    mutating func add(_ time: Nanos, _ body: EventBody) {
        events.append(MarketEvent(symbol: symbol, recvTs: time, seq: Int64(events.count + 1), body: body))
    }
    mutating func snapshot(_ time: Nanos, bids: [(Double, Double)], asks: [(Double, Double)], u: Int64? = nil) {
        self.u = u ?? self.u + 1
        add(
            time,
            .book(
                BookUpdate(
                    isSnapshot: true, updateId: self.u, bids: bids.map { PriceLevel(price: $0.0, size: $0.1) },
                    asks: asks.map { PriceLevel(price: $0.0, size: $0.1) })))
    }
    mutating func delta(_ time: Nanos, bids: [(Double, Double)] = [], asks: [(Double, Double)] = [], skip: Int64 = 0) {
        u += 1 + skip
        add(
            time,
            .book(
                BookUpdate(
                    isSnapshot: false, updateId: u, bids: bids.map { PriceLevel(price: $0.0, size: $0.1) },
                    asks: asks.map { PriceLevel(price: $0.0, size: $0.1) })))
    }
    mutating func trade(_ time: Nanos, _ price: Double, _ size: Double, _ side: Side) {
        add(time, .trade(Trade(price: price, size: size, side: side, tradeId: "\(events.count)")))
    }
}

/// A registry from YAML entries (one per line, flow style), version "test".
func registry(_ entries: String...) throws -> FeatureRegistry {
    try FeatureRegistry.parse("version: test\nfeatures:\n" + entries.map { "  - \($0)" }.joined(separator: "\n"))
}

/// Reads named values "as of T": the state with exactly the script's events `recvTs <= T`.
struct Evaluated {
    let plan: FeaturePlan
    let events: [MarketEvent]
    init(_ registry: FeatureRegistry, _ script: Script) {
        plan = FeaturePlan(registry: registry)
        events = script.events
    }
    func state(asOf time: Nanos) -> SymbolFeatureState {
        var state = SymbolFeatureState(plan: plan)
        for event in events where event.recvTs <= time { state.apply(event) }
        return state
    }
    /// The value of `name` as of `time`.
    func callAsFunction(_ name: String, at time: Nanos) -> Double? {
        state(asOf: time).values(at: time)[plan.names.firstIndex(of: name)!]
    }
}
