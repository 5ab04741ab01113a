// libFuzzer target: the feature registry loader (YAML or JSON text through Yams, then
// validation); a registry that loads is put to work in a feature engine on a few fixed events,
// so extreme windows, levels and lookbacks are exercised too.
import FeatureEngine
import MarketData

let start: Nanos = 1_764_064_800_000_000_000

let events: [MarketEvent] = [
    MarketEvent(
        symbol: "BTCUSDT", recvTs: start, seq: 1, exchTsMs: start / 1_000_000 - 3,
        body: .book(
            BookUpdate(
                isSnapshot: true, updateId: 1, bids: [PriceLevel(price: 100, size: 1), PriceLevel(price: 99.5, size: 2)],
                asks: [PriceLevel(price: 100.5, size: 1.5), PriceLevel(price: 101, size: 3)]))),
    MarketEvent(
        symbol: "BTCUSDT", recvTs: start + 400_000_000, seq: 2, exchTsMs: start / 1_000_000 + 398,
        body: .trade(Trade(price: 100.5, size: 0.25, side: .buy, tradeId: "t1", tradeTimeMs: start / 1_000_000 + 398))),
    MarketEvent(
        symbol: "BTCUSDT", recvTs: start + 1_700_000_000, seq: 3,
        body: .book(
            BookUpdate(
                isSnapshot: false, updateId: 2, bids: [PriceLevel(price: 100, size: 0)], asks: [PriceLevel(price: 100.25, size: 4)]))),
    MarketEvent(
        symbol: "BTCUSDT", recvTs: start + 2_100_000_000, seq: 4,
        body: .trade(Trade(price: 99.75, size: 1, side: .sell, tradeId: "t2"))),
    MarketEvent(
        symbol: "BTCUSDT", recvTs: start + 3_500_000_000, seq: 5,
        body: .ticker(TickerUpdate(lastPrice: 100, markPrice: 100.1, fundingRate: 0.0001))),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRegistry(_ pointer: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: pointer, count: count), as: UTF8.self)
    guard let registry = try? FeatureRegistry.parse(text) else {
        _ = FeatureRegistry.validate(text)
        return 0
    }
    var engine = FeatureEngine(registry: registry)
    for event in events { engine.apply(event) }
    _ = engine.vector(for: "BTCUSDT", at: start + 5_000_000_000)
    return 0
}
