import EngineHistory
import FeatureEngine
import Foundation
import MarketData
import RawStore
import TestSupport
import Testing

/// A randomized market of several symbols with the hard parts: sequence gaps, crossed books,
/// restarts, a silence longer than the quiet limit, positions, tickers.
func randomMarket(seed: UInt64, seconds: Int64, symbols: [String] = ["AAAUSDT", "BBBUSDT"]) -> [MarketEvent] {
    var rng = SplitMix64(seed: seed)
    func roll(_ n: UInt64) -> UInt64 { rng.next() % n }
    var stamper = Stamper()
    var events: [MarketEvent] = []
    let start: Nanos = 1_767_225_600_000_000_000
    var u: [String: Int64] = [:]
    var mid: [String: Double] = [:]
    var t = start
    while t < start + seconds * Time.nanosPerSecond {
        t += Nanos(roll(60_000_000))
        // A 2 h silence of the second symbol in the middle.
        let symbol = symbols[Int(roll(UInt64(symbols.count)))]
        if symbol == symbols.last, t > start + seconds * Time.nanosPerSecond / 3, t < start + seconds * Time.nanosPerSecond / 3 * 2 {
            continue
        }
        let m = mid[symbol, default: 100]
        let body: EventBody
        switch roll(100) {
        case 0..<3:
            u[symbol] = roll(50) == 0 ? 1 : u[symbol, default: 0] + 1
            body = .book(
                BookUpdate(
                    isSnapshot: true, updateId: u[symbol]!,
                    bids: (1...10).map { PriceLevel(price: m - Double($0) * 0.5, size: Double($0)) },
                    asks: (1...10).map { PriceLevel(price: m + Double($0) * 0.5, size: Double($0)) }))
        case 3..<60:
            u[symbol, default: 0] += roll(500) == 0 ? 2 : 1
            let bid = roll(2) == 0
            var price = bid ? m - Double(1 + roll(10)) * 0.5 : m + Double(1 + roll(10)) * 0.5
            if roll(3000) == 0 { price = bid ? m + 10 : m - 10 }  // crosses the book
            let level = PriceLevel(price: price, size: roll(4) == 0 ? 0 : Double(1 + roll(40)) / 10)
            body = .book(BookUpdate(isSnapshot: false, updateId: u[symbol]!, bids: bid ? [level] : [], asks: bid ? [] : [level]))
        case 60..<92:
            body = .trade(
                Trade(
                    price: m + Double(Int(roll(5)) - 2) * 0.5, size: Double(1 + roll(100)) / 100, side: roll(2) == 0 ? .buy : .sell,
                    tradeId: "\(events.count)"))
        case 92..<97:
            body = .ticker(
                TickerUpdate(
                    markPrice: m + 0.1, indexPrice: m, openInterest: Double(roll(1000)), fundingRate: 0.0001,
                    nextFundingTimeMs: t / 1_000_000 + 3_600_000))
        case 97..<99:
            mid[symbol] = m + Double(Int(roll(5)) - 2) * 0.5
            continue
        default:
            body = .position(PositionUpdate(size: Double(Int(roll(7)) - 3), entryPrice: m, source: .exchange))
        }
        events.append(stamper.stamp(UnstampedEvent(symbol: symbol, body: body), at: t))
    }
    return events
}

func storeWith(_ events: [MarketEvent], checkpointsEvery every: Nanos?) throws -> (RawStore, CheckpointStore, Int) {
    let root = scratchDirectory()
    let store = try RawStore(root: root, format: ParquetFormat())
    store.append(events)
    try store.sync()
    try store.flush()
    let checkpoints = CheckpointStore(root: root)
    guard let every else { return (store, checkpoints, 0) }
    var writer = CheckpointWriter(store: checkpoints, every: every)
    for event in events { try writer.apply(event) }
    return (store, checkpoints, writer.written)
}

@Suite struct EngineReplayTests {
    /// Replays from a checkpoint and from the first event agree on every vector, whatever T0.
    @Test(arguments: [UInt64(1), 2])
    func replaysFromCheckpointsEqualFullReplays(seed: UInt64) throws {
        let events = randomMarket(seed: seed, seconds: 2_400)
        let (store, checkpoints, written) = try storeWith(events, checkpointsEvery: 300 * Time.nanosPerSecond)
        #expect(written > 10)
        // The default features with a 10 min quiet limit: the 800 s silence is a quiet period.
        let registry = try FeatureRegistry(
            version: "q", features: FeatureRegistry.bundledDefault.features, quietLimit: 600 * Time.nanosPerSecond)
        var rng = SplitMix64(seed: seed)
        let first = events.first!.recvTs
        for symbol in ["AAAUSDT", "BBBUSDT"] {
            for _ in 0..<3 {
                let from = first + Nanos(rng.next() % UInt64(2_100 * Time.nanosPerSecond))
                let to = from + 600 * Time.nanosPerSecond
                var full: [FeatureVector] = []
                try EngineReplay.vectors(store: store, checkpoints: nil, symbol: symbol, registry: registry, from: from, to: to) {
                    full.append($0)
                }
                var bounded: [FeatureVector] = []
                let stats = try EngineReplay.vectors(
                    store: store, checkpoints: checkpoints, symbol: symbol, registry: registry,
                    from: from, to: to
                ) { bounded.append($0) }
                #expect(full.count == bounded.count, "\(symbol) from \(from)")
                #expect(zip(full, bounded).allSatisfy { $0.isBitwiseEqual(to: $1) }, "\(symbol) from \(from)")
                if from - first > registry.lookback + 300 * Time.nanosPerSecond * 2 {
                    #expect(stats.startedFrom != nil, "a checkpoint before \(from) - W is used")
                    #expect(stats.startedFrom.map { $0 <= from - registry.lookback } ?? false)
                }
            }
        }
    }

    @Test func corruptOrForeignCheckpointsAreSkippedNeverTrusted() throws {
        let events = randomMarket(seed: 9, seconds: 2_000, symbols: ["AAAUSDT"])
        let (store, checkpoints, _) = try storeWith(events, checkpointsEvery: 300 * Time.nanosPerSecond)
        let registry = FeatureRegistry.bundledDefault
        let from = events.last!.recvTs - 300 * Time.nanosPerSecond
        var full: [FeatureVector] = []
        try EngineReplay.vectors(store: store, checkpoints: nil, symbol: "AAAUSDT", registry: registry, from: from, to: .max) {
            full.append($0)
        }
        let usable = try checkpoints.instants(symbol: "AAAUSDT").filter { $0 <= from - registry.lookback }
        try #require(usable.count >= 3)
        // The latest: one byte flipped in the payload. The one before: another format version.
        let latest = checkpoints.path(symbol: "AAAUSDT", at: usable[usable.count - 1])
        var bytes = [UInt8](FileManager.default.contents(atPath: latest)!)
        bytes[bytes.count - 20] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: latest))
        let previous = checkpoints.path(symbol: "AAAUSDT", at: usable[usable.count - 2])
        let text = String(decoding: FileManager.default.contents(atPath: previous)!, as: UTF8.self)
        try text.replacingOccurrences(of: "\"version\":1", with: "\"version\":99").write(
            toFile: previous, atomically: true, encoding: .utf8)

        var bounded: [FeatureVector] = []
        let stats = try EngineReplay.vectors(
            store: store, checkpoints: checkpoints, symbol: "AAAUSDT", registry: registry,
            from: from, to: .max
        ) { bounded.append($0) }
        #expect(stats.skippedCheckpoints == 2)
        #expect(stats.startedFrom == usable[usable.count - 3])
        #expect(full.count == bounded.count && zip(full, bounded).allSatisfy { $0.isBitwiseEqual(to: $1) })
        let found = try checkpoints.latest(symbol: "AAAUSDT", atOrBefore: usable.last!)
        #expect(found.skipped.map(\.1) == [.checksumMismatch, .foreignVersion(99)])
    }

    @Test func retentionRemovesCheckpointsWithTheirDay() throws {
        let root = scratchDirectory()
        let checkpoints = CheckpointStore(root: root)
        let day: Nanos = 1_767_225_600_000_000_000
        var engine = FeatureEngine(registry: .stateOnly)
        engine.apply(MarketEvent(symbol: "AAAUSDT", recvTs: day, seq: 1, body: .trade(Trade(price: 1, size: 1, side: .buy, tradeId: "t"))))
        for offset in [0, 1, 2] { try checkpoints.write(engine.checkpoint(of: "AAAUSDT", at: day + Nanos(offset) * Time.nanosPerDay)!) }
        #expect(try checkpoints.removeDays(before: Time.formatDate(day + 2 * Time.nanosPerDay)) == 2)
        #expect(try checkpoints.instants(symbol: "AAAUSDT") == [day + 2 * Time.nanosPerDay])
    }
}
