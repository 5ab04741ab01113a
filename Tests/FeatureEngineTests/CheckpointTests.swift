import FeatureEngine
import Foundation
import MarketData
import OrderBook
import Testing

/// features.md §6: restoring a checkpoint taken at any C <= T - W and applying the events in
/// (C, T] gives the vector at T bit for bit as a replay from the first event does.
@Suite struct CheckpointTests {
    /// A random stream with the hard parts: gaps, a crossed book, a quiet period longer than
    /// the quiet limit, snapshots, positions, tickers.
    func hostileStream(seed: UInt64) -> [MarketEvent] {
        var events = randomStream(seed: seed, events: 40_000)
        var rng = SplitMix64(seed: seed &+ 7)
        // A silence of 2 h (beyond the 1 h quiet limit) a third of the way in.
        let cut = events.count / 3
        for index in cut..<events.count { events[index].recvTs += 2 * 3_600 * Time.nanosPerSecond }
        // A crossed book somewhere in the middle (restored by the next snapshot).
        let crossAt = events.count / 2 + Int(rng.next() % 1000)
        if case .book(var update) = events[crossAt].body, !update.isSnapshot {
            update.bids = [PriceLevel(price: 1_000_000, size: 1)]
            events[crossAt].body = .book(update)
        }
        return events
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func aRestoredCheckpointReplaysBitForBit(seed: UInt64) throws {
        let registry = FeatureRegistry.bundledDefault
        let events = hostileStream(seed: seed)
        var rng = SplitMix64(seed: seed)
        var full = FeatureEngine(registry: registry)
        var vectors: [Nanos: FeatureVector] = [:]
        var checkpoints: [(EngineCheckpoint, Int)] = []  // and the index of the first event after it
        for (index, event) in events.enumerated() {
            // Now and then a checkpoint at a random instant between the last event and this one.
            if index > 0, rng.next() % 2_000 == 0 {
                let last = events[index - 1].recvTs
                let instant = last + Nanos(rng.next() % UInt64(max(1, event.recvTs - last)))
                if let checkpoint = full.checkpoint(of: event.symbol, at: instant) { checkpoints.append((checkpoint, index)) }
            }
            full.apply(event) { vectors[$0.ts] = $0 }
        }
        #expect(checkpoints.count >= 5)
        var compared = 0
        for (checkpoint, next) in checkpoints {
            var restored = FeatureEngine(registry: registry)
            restored.restore(checkpoint)
            // Up to 10,000 events on: past the lookback W, through the silence or the crossed book
            // for some checkpoints (comparing to the very end for each would only repeat itself).
            for event in events[next..<min(events.count, next + 10_000)] {
                restored.apply(event) { vector in
                    guard vector.ts >= checkpoint.at + registry.lookback else { return }
                    #expect(vectors[vector.ts].map { $0.isBitwiseEqual(to: vector) } == true, "C \(checkpoint.at), T \(vector.ts)")
                    compared += 1
                }
            }
        }
        #expect(compared > 10_000)
    }

    @Test func checkpointsRoundTripThroughJSONAndCarryEveryField() throws {
        let events = randomStream(seed: 4, events: 3_000)
        var engine = FeatureEngine(registry: .bundledDefault)
        for event in events { engine.apply(event) }
        let checkpoint = try #require(engine.checkpoint(of: "BTCUSDT", at: events.last!.recvTs + 5))
        #expect(!checkpoint.bids.isEmpty && !checkpoint.asks.isEmpty)
        #expect(checkpoint.lastSeq == events.last!.seq)
        #expect(engine.checkpoint(of: "BTCUSDT", at: events.last!.recvTs - 1) == nil, "an event after the instant is already applied")
        let decoded = try JSONDecoder().decode(EngineCheckpoint.self, from: JSONEncoder().encode(checkpoint))
        #expect(decoded == checkpoint)
        #expect(
            zip(decoded.bids, checkpoint.bids).allSatisfy {
                $0.price.bitPattern == $1.price.bitPattern && $0.size.bitPattern == $1.size.bitPattern
            })
    }

    @Test func theCadenceIsOnePerBoundaryCrossed() {
        var cadence = CheckpointCadence(every: 600 * Time.nanosPerSecond)
        func event(_ seconds: Int64) -> MarketEvent {
            MarketEvent(
                symbol: "X", recvTs: seconds * Time.nanosPerSecond, seq: 1, body: .trade(Trade(price: 1, size: 1, side: .buy, tradeId: "t"))
            )
        }
        #expect(cadence.due(before: event(10), lastApplied: nil) == nil)
        #expect(cadence.due(before: event(599), lastApplied: 10 * Time.nanosPerSecond) == nil)
        #expect(cadence.due(before: event(601), lastApplied: 599 * Time.nanosPerSecond) == 600 * Time.nanosPerSecond)
        #expect(cadence.due(before: event(602), lastApplied: 601 * Time.nanosPerSecond) == nil)
        // A long silence: one checkpoint, at the last boundary before the next event.
        #expect(cadence.due(before: event(7_300), lastApplied: 602 * Time.nanosPerSecond) == 7_200 * Time.nanosPerSecond)
    }
}
