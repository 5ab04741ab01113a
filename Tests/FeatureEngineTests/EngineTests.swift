import FeatureEngine
import MarketData
import Testing

/// A random but plausible stream: book deltas around a drifting mid, trades, tickers, a gap now and then.
func randomStream(seed: UInt64, events: Int, symbol: String = "BTCUSDT", start: Nanos = 1_733_011_200_000_000_000) -> [MarketEvent] {
    var rng = SplitMix64(seed: seed)
    var script = Script()
    script.symbol = symbol
    var t = start + Nanos.random(in: 0..<1_000_000_000, using: &rng)
    var mid = 100.0
    script.snapshot(
        t, bids: (1...20).map { (mid - 0.5 - Double($0) * 0.5, Double($0)) }, asks: (1...20).map { (mid + Double($0) * 0.5, Double($0)) })
    for _ in 0..<events {
        t += Nanos.random(in: 0..<40_000_000, using: &rng)  // several events may share an instant? no: at least 0 ns apart
        let roll = Int.random(in: 0..<100, using: &rng)
        if roll < 60 {
            let side = Bool.random(using: &rng)
            let offset = Double(Int.random(in: 1...20, using: &rng)) * 0.5
            let price = side ? mid - offset : mid + 0.5 + offset - 0.5
            let size = Int.random(in: 0..<4, using: &rng) == 0 ? 0 : Double(Int.random(in: 1...50, using: &rng)) / 10
            if Int.random(in: 0..<2000, using: &rng) == 0 {
                script.delta(t, bids: [(price, size)], skip: 1)  // a gap
            } else if side {
                script.delta(t, bids: [(price, size)])
            } else {
                script.delta(t, asks: [(price, size)])
            }
        } else if roll < 95 {
            script.trade(
                t, mid + Double(Int.random(in: -2...2, using: &rng)) * 0.5, Double(Int.random(in: 1...100, using: &rng)) / 100,
                Bool.random(using: &rng) ? .buy : .sell)
        } else if roll < 98 {
            script.add(
                t,
                .ticker(
                    TickerUpdate(
                        markPrice: mid + 0.1, indexPrice: mid, openInterest: 1000, fundingRate: 0.0001,
                        nextFundingTimeMs: t / 1_000_000 + 3_600_000)))
        } else if roll < 99 {
            mid += Double(Int.random(in: -2...2, using: &rng)) * 0.5
            script.snapshot(
                t, bids: (1...20).map { (mid - 0.5 - Double($0) * 0.5, Double($0)) },
                asks: (1...20).map { (mid + Double($0) * 0.5, Double($0)) })
        } else {
            script.add(t, .position(PositionUpdate(size: Double(Int.random(in: -3...3, using: &rng)), entryPrice: mid, source: .exchange)))
        }
    }
    return script.events
}

@Suite struct EngineTests {
    @Test func gridPointsAreClosedByTheFirstLaterEvent() {
        var engine = FeatureEngine(registry: FeatureRegistry.bundledDefault)
        var emitted: [Nanos] = []
        var script = Script()
        script.trade(s(10.5), 100, 1, .buy)
        script.trade(s(11), 100, 1, .buy)  // exactly on G = 11: G = 11 is closed only by a later event
        script.trade(s(14.2), 100, 1, .buy)
        for event in script.events { engine.apply(event) { emitted.append($0.ts) } }
        #expect(emitted == [s(11), s(12), s(13), s(14)])
    }

    @Test func theVectorAtGIncludesAnEventAtExactlyG() {
        let registry = try! registry("{name: n, kind: trade_count, window: 1m}")
        var engine = FeatureEngine(registry: registry)
        var vectors: [FeatureVector] = []
        var script = Script()
        script.trade(s(10.5), 100, 1, .buy)
        script.trade(s(11), 100, 1, .buy)
        script.trade(s(12.5), 100, 1, .buy)
        for event in script.events { engine.apply(event) { vectors.append($0) } }
        #expect(vectors.map(\.ts) == [s(11), s(12)])
        #expect(vectors.map { $0.values[0] } == [2, 2])
    }

    @Test func everyNSecondsEmitsMultiplesOfN() {
        var engine = FeatureEngine(registry: FeatureRegistry.bundledDefault, gridStep: 5 * Time.nanosPerSecond)
        var emitted: [Nanos] = []
        var script = Script()
        script.trade(s(3), 100, 1, .buy)
        script.trade(s(21), 100, 1, .buy)
        for event in script.events { engine.apply(event) { emitted.append($0.ts) } }
        #expect(emitted == [s(5), s(10), s(15), s(20)])
    }

    @Test func readingBetweenEventsNeverChangesTheGridVectors() {
        // The online path reads vectors whenever it likes; the offline path only at grid points.
        // Both must publish the same bits.
        let events = randomStream(seed: 7, events: 20_000)
        var offline = FeatureEngine(registry: FeatureRegistry.bundledDefault)
        var online = FeatureEngine(registry: FeatureRegistry.bundledDefault)
        var offlineVectors: [FeatureVector] = []
        var onlineVectors: [FeatureVector] = []
        var readings = 0
        for event in events {
            offline.apply(event) { offlineVectors.append($0) }
            online.apply(event) { onlineVectors.append($0) }
            if event.seq % 3 == 0, let v = online.vector(for: event.symbol, at: event.recvTs + 123_456_789 % 1_000_000_000) {
                readings += v.values.count
            }
        }
        #expect(readings > 0)
        #expect(offlineVectors.count == onlineVectors.count)
        #expect(offlineVectors.count > 100)
        #expect(zip(offlineVectors, onlineVectors).allSatisfy { $0.isBitwiseEqual(to: $1) })
    }

    @Test func onlineClockClosingEqualsOfflineEventClosing() {
        let events = randomStream(seed: 11, events: 5_000)
        var offline = FeatureEngine(registry: FeatureRegistry.bundledDefault)
        var online = FeatureEngine(registry: FeatureRegistry.bundledDefault)
        var offlineVectors: [FeatureVector] = []
        var onlineVectors: [FeatureVector] = []
        for event in events {
            offline.apply(event) { offlineVectors.append($0) }
            // Online: the clock passes every grid point before the event arrives.
            online.closeGrid(through: Time.floorDiv(event.recvTs - 1, Time.nanosPerSecond) * Time.nanosPerSecond) {
                onlineVectors.append($0)
            }
            online.apply(event) { onlineVectors.append($0) }
        }
        #expect(offlineVectors.count == onlineVectors.count)
        #expect(zip(offlineVectors, onlineVectors).allSatisfy { $0.isBitwiseEqual(to: $1) })
    }

    @Test func outOfOrderEventsAreRefused() {
        var engine = FeatureEngine(registry: FeatureRegistry.bundledDefault)
        var script = Script()
        script.trade(s(2), 100, 1, .buy)
        script.trade(s(1), 100, 1, .buy)
        #expect(engine.apply(script.events[0]) == .applied(nil))
        #expect(engine.apply(script.events[1]) == .outOfOrder)
    }

    @Test func vectorsNeverHoldNaNOrInfinity() {
        let events = randomStream(seed: 3, events: 10_000)
        var engine = FeatureEngine(registry: FeatureRegistry.bundledDefault)
        var checked = 0
        for event in events {
            engine.apply(event) { vector in
                for value in vector.values { if let value { #expect(value.isFinite); checked += 1 } }
            }
        }
        #expect(checked > 1000)
    }
}
