import MarketData
import Testing

@testable import FeatureEngine

/// `SlidingSums` against the definition itself: at any `T` after the last item, a window's sum is
/// `math.fsum` of the items with `T - w < ts <= T` (Shewchuk's partials, computed from scratch),
/// and its count is theirs — for whole-second and fractional windows, grid and off-grid reads,
/// bursts at one instant and silences longer than any window.
@Suite struct SlidingSumsTests {
    struct Item {
        let time: Nanos
        let lanes: [Double]
    }

    static func expected(_ items: [Item], after cutoff: Nanos, upTo time: Nanos, signed: [(lane: Int, sign: Int64)]) -> Double {
        var terms: [Double] = []
        for item in items where item.time > cutoff && item.time <= time {
            for (lane, sign) in signed where item.lanes[lane] != 0 { terms.append(sign > 0 ? item.lanes[lane] : -item.lanes[lane]) }
        }
        return terms.withUnsafeBufferPointer { ExactSum.fsumPartials($0) }
    }

    @Test(arguments: [SlidingSums.Bookkeeping.secondMarks, .windowCursors])
    func everyReadIsTheExactSumOfTheItemsInTheWindow(bookkeeping: SlidingSums.Bookkeeping) {
        let lengths: [Nanos] = [1_000_000_000, 3_000_000_000, 1_500_000_000, 60_000_000_000, 250_000_000]
        var sums = SlidingSums(laneCount: 3, lengths: lengths, bookkeeping: bookkeeping)
        var generator = SplitMix64(seed: 2026)
        func uniform() -> Double { Double(generator.next() >> 11) / Double(1 << 53) }
        var items: [Item] = []
        var time: Nanos = 1_700_000_000_123_456_789
        var readCount = 0
        for step in 0..<6_000 {
            // Mostly busy seconds; now and then a burst at one instant or a silence past every window.
            switch generator.next() % 100 {
            case 0: time += 90_000_000_000 + Nanos(generator.next() % 5_000_000_000)
            case 1..<10: break
            default: time += Nanos(generator.next() % 40_000_000)
            }
            let lanes: [Double] = [
                (96_000 + (uniform() * 100).rounded() / 10) * uniform(),
                generator.next() % 3 == 0 ? 0 : uniform() * 2,
                generator.next() % 2 == 0 ? 0 : Double(sign: .plus, exponent: Int(generator.next() % 60) - 30, significand: 1 + uniform()),
            ]
            lanes.withUnsafeBufferPointer { sums.append(time: time, lanes: $0) }
            items.append(Item(time: time, lanes: lanes))
            guard step % 7 == 0 else { continue }
            // Read at the item's time, at a later instant, and at the next whole second.
            let later = time + Nanos(generator.next() % 2_000_000_000)
            let grid = (time / 1_000_000_000 + 1) * 1_000_000_000
            for at in [time, later, grid] {
                var reader = sums.reader(at: at)
                for window in lengths.indices {
                    let cutoff = at - lengths[window]
                    let inWindow = items.filter { $0.time > cutoff && $0.time <= at }.count
                    #expect(reader.count(window) == inWindow)
                    let reads: [([(lane: Int, sign: Int64)], Double)] = [
                        ([(0, 1)], reader.sum(window, lane: 0)),
                        ([(1, 1), (2, -1)], reader.sum(window, lane: 1, -1, 2)),
                        ([(1, 1), (2, 1)], reader.sum(window, lane: 1, 1, 2)),
                        ([(0, 1), (1, 1), (2, 1)], reader.sum(window, lanes: 0..<3)),
                        ([(2, 1)], reader.sum(window, lanes: 2..<3)),
                    ]
                    for (signed, got) in reads {
                        let want = Self.expected(items, after: cutoff, upTo: at, signed: signed)
                        #expect(got.bitPattern == want.bitPattern, "step \(step), window \(window), at \(at), lanes \(signed)")
                        readCount += 1
                    }
                }
            }
            // Only what the longest window can still reach matters to the model.
            items.removeAll { $0.time <= time - 70_000_000_000 }
        }
        #expect(readCount > 50_000)
    }

    @Test(arguments: [SlidingSums.Bookkeeping.secondMarks, .windowCursors])
    func anInfiniteItemLeavesTheWindowsItWasIn(bookkeeping: SlidingSums.Bookkeeping) {
        var sums = SlidingSums(laneCount: 1, lengths: [1_000_000_000, 5_000_000_000], bookkeeping: bookkeeping)
        let second: Nanos = 1_000_000_000
        [Double.infinity].withUnsafeBufferPointer { sums.append(time: 10 * second, lanes: $0) }
        [2.0].withUnsafeBufferPointer { sums.append(time: 12 * second, lanes: $0) }
        func sum(_ window: Int, at time: Nanos) -> Double {
            var reader = sums.reader(at: time)
            return reader.sum(window, lane: 0)
        }
        #expect(sum(1, at: 12 * second) == .infinity)
        #expect(sum(0, at: 12 * second) == 2)
        #expect(sum(1, at: 15 * second) == 2)
        [-Double.infinity].withUnsafeBufferPointer { sums.append(time: 16 * second, lanes: $0) }
        #expect(sum(1, at: 16 * second) == -.infinity)
        #expect(sum(0, at: 17 * second) == 0)
    }
}

/// The live engine keeps its window sums one way, replays the other (`readsBetweenGridPoints`):
/// the same events give the same bits at every grid point and between them.
@Suite struct WindowBookkeepingTests {
    @Test func liveAndReplayEnginesAgreeBitForBit() {
        var script = Script()
        var generator = SplitMix64(seed: 41)
        func uniform() -> Double { Double(generator.next() >> 11) / Double(1 << 53) }
        var time = s(1_700_000_000)
        script.snapshot(
            time, bids: (1...20).map { (100 - Double($0) * 0.5, 1 + Double($0)) }, asks: (1...20).map { (100 + Double($0) * 0.5, 2) })
        for _ in 0..<20_000 {
            time += generator.next() % 50 == 0 ? s(70) : Nanos(generator.next() % 30_000_000)
            if generator.next() % 3 == 0 {
                script.trade(time, 100 + (uniform() * 10).rounded() / 10, uniform() * 3, generator.next() % 2 == 0 ? .buy : .sell)
            } else {
                let price = 100 + ((uniform() - 0.5) * 20).rounded() / 2
                let size = generator.next() % 4 == 0 ? 0 : uniform() * 5
                if price < 100 { script.delta(time, bids: [(price, size)]) } else { script.delta(time, asks: [(price + 0.5, size)]) }
            }
        }
        let registry = FeatureRegistry.bundledDefault
        var live = FeatureEngine(registry: registry, readsBetweenGridPoints: true)
        var replay = FeatureEngine(registry: registry)
        var liveGrid: [FeatureVector] = []
        var replayGrid: [FeatureVector] = []
        var compared = 0
        // The live engine's volatility and z-score between grid points come from statistics it
        // settles once a second (`settleGridStatistics`); the replay engine computes them per read.
        let gridFed = ["volatility_1m", "volatility_5m", "zscore_1m"].map { registry.names.firstIndex(of: $0)! }
        var gridFedValues = 0
        for (index, event) in script.events.enumerated() {
            live.apply(event) { liveGrid.append($0) }
            replay.apply(event) { replayGrid.append($0) }
            // At the event (what a book update publishes), and later within a second (requests).
            for at in [event.recvTs, event.recvTs + Nanos(generator.next() % 900_000_000)] where index % 3 == 0 {
                let a = live.vector(for: event.symbol, at: at)!.values.map { $0?.bitPattern }
                let b = replay.vector(for: event.symbol, at: at)!.values.map { $0?.bitPattern }
                #expect(a == b, "at \(at)")
                gridFedValues += gridFed.filter { a[$0] != nil }.count
                compared += 1
            }
        }
        #expect(gridFedValues > compared)
        #expect(liveGrid.count == replayGrid.count && liveGrid.count > 1_000)
        for (a, b) in zip(liveGrid, replayGrid) {
            #expect(a.ts == b.ts && a.values.map { $0?.bitPattern } == b.values.map { $0?.bitPattern }, "grid point \(a.ts)")
        }
        #expect(compared > 3_000)
    }
}
