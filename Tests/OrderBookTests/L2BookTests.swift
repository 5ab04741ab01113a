import MarketData
import Testing

@testable import OrderBook

private func levels(_ pairs: [(Double, Double)]) -> [PriceLevel] { pairs.map { PriceLevel(price: $0.0, size: $0.1) } }
private func snapshot(_ u: Int64, bids: [(Double, Double)], asks: [(Double, Double)]) -> BookUpdate {
    BookUpdate(isSnapshot: true, updateId: u, bids: levels(bids), asks: levels(asks))
}
private func delta(_ u: Int64, bids: [(Double, Double)] = [], asks: [(Double, Double)] = []) -> BookUpdate {
    BookUpdate(isSnapshot: false, updateId: u, bids: levels(bids), asks: levels(asks))
}

@Suite struct L2BookTests {
    @Test func snapshotThenDeltasKeepSortedLevels() {
        var book = L2Book()
        #expect(book.apply(snapshot(10, bids: [(99, 1), (100, 2), (98, 3)], asks: [(101, 1), (103, 2)])) == .snapshot(restart: false))
        #expect(book.isSynced)
        #expect(book.bids.levelsBestFirst == levels([(100, 2), (99, 1), (98, 3)]))
        #expect(book.apply(delta(11, bids: [(100.5, 4), (99, 0)], asks: [(102, 5), (103, 0)])) == .applied)
        #expect(book.bids.levelsBestFirst == levels([(100.5, 4), (100, 2), (98, 3)]))
        #expect(book.asks.levelsBestFirst == levels([(101, 1), (102, 5)]))
        #expect(book.bids.depth(levels: 2) == 6)
        #expect(book.bids.depth(levels: 10) == 9)
        #expect(book.lastUpdateId == 11)
        // Deleting an absent level changes nothing.
        #expect(book.apply(delta(12, bids: [(50, 0)])) == .applied)
        #expect(book.bids.count == 3)
    }

    @Test func aGapInUpdateIdsPutsTheBookOutOfSyncUntilASnapshot() {
        var book = L2Book()
        book.apply(snapshot(10, bids: [(100, 1)], asks: [(101, 1)]))
        #expect(book.apply(delta(12, bids: [(100, 5)])) == .desynced(.gap(expected: 11, received: 12)))
        #expect(!book.isSynced)
        #expect(book.apply(delta(13, bids: [(100, 7)])) == .ignoredWhileOutOfSync)
        #expect(book.bids.size(at: 100) == 1)  // nothing applied while out of sync
        #expect(book.apply(snapshot(20, bids: [(100, 2)], asks: [(101, 2)])) == .snapshot(restart: false))
        #expect(book.isSynced)
        #expect(book.apply(delta(21, asks: [(101, 3)])) == .applied)
    }

    @Test func aDuplicateDeltaIsAGapToo() {
        var book = L2Book()
        book.apply(snapshot(10, bids: [(100, 1)], asks: [(101, 1)]))
        #expect(book.apply(delta(10)) == .desynced(.gap(expected: 11, received: 10)))
    }

    @Test func deltaBeforeAnySnapshot() {
        var book = L2Book()
        #expect(book.state == .awaitingSnapshot)
        #expect(book.apply(delta(5, bids: [(1, 1)])) == .desynced(.deltaBeforeSnapshot(updateId: 5)))
        #expect(book.bids.isEmpty)
    }

    @Test func restartSnapshotWithUpdateIdOne() {
        var book = L2Book()
        book.apply(snapshot(500, bids: [(100, 1)], asks: [(101, 1)]))
        #expect(book.apply(snapshot(1, bids: [(99, 1)], asks: [(100, 1)])) == .snapshot(restart: true))
        #expect(book.apply(delta(2, bids: [(99, 2)])) == .applied)
        #expect(book.bids.size(at: 99) == 2)
    }

    @Test func crossedAndLockedBooksAreOutOfSync() {
        var book = L2Book()
        book.apply(snapshot(1, bids: [(100, 1)], asks: [(101, 1)]))
        #expect(book.apply(delta(2, bids: [(101, 1)])) == .desynced(.crossed(bestBid: 101, bestAsk: 101)))
        var crossedSnapshot = L2Book()
        #expect(crossedSnapshot.apply(snapshot(1, bids: [(102, 1)], asks: [(101, 1)])) == .desynced(.crossed(bestBid: 102, bestAsk: 101)))
        #expect(!crossedSnapshot.isSynced)
    }

    @Test func tracksLevelChangesOfDeltasAndSnapshots() {
        var book = L2Book(changeTrackingDepth: 2)
        book.apply(snapshot(1, bids: [(100, 1), (99, 1), (98, 1)], asks: [(101, 1)]))
        book.apply(delta(2, bids: [(100, 1), (99, 2), (99, 3), (97, 0)]))
        // Unchanged (100) and absent-to-absent (97) levels are not changes; 99 listed twice is one change 1 -> 3.
        #expect(book.changes == [LevelChange(isBid: true, price: 99, before: 1, after: 3)])
        book.apply(snapshot(3, bids: [(100, 1), (98, 5), (96, 1)], asks: [(101, 2)]))
        // Snapshot: only levels among the best 2 before ({100, 99}) or after ({100, 98}).
        #expect(Set(book.changes.map(\.price)) == [99, 98, 101])
        #expect(book.changes.first { $0.price == 99 } == LevelChange(isBid: true, price: 99, before: 3, after: 0))
    }
}

/// A side changed anywhere — the best end, the worst end (a depth-limited feed trimming its
/// window), the middle — holds exactly the levels a plain sorted model holds, whichever end of
/// its storage each change moved.
@Suite struct BookSideModelTests {
    @Test(arguments: [true, false])
    func randomChangesMatchASortedModel(isBid: Bool) {
        var side = BookSide(isBid: isBid)
        var model: [Double: Double] = [:]
        var random = SplitMix64(seed: isBid ? 7 : 11)
        for step in 0..<20_000 {
            // Prices on a 0.5 grid; sizes 0 (delete) a third of the time.
            let price = 100 + Double(random.next() % 400) / 2
            let size = random.next() % 3 == 0 ? 0 : Double(random.next() % 50 + 1)
            let before = side.set(price: price, size: size)
            #expect(before == (model[price] ?? 0), "step \(step)")
            model[price] = size == 0 ? nil : size
            if step % 500 == 0 || step == 19_999 {
                let expected = model.sorted { isBid ? $0.key > $1.key : $0.key < $1.key }.map { PriceLevel(price: $0.key, size: $0.value) }
                #expect(side.levelsBestFirst == expected, "step \(step)")
                #expect(side.count == model.count)
                #expect(side.bestPrice == expected.first?.price && side.bestSize == expected.first?.size)
                #expect(side.depth(levels: 10) == ExactSum.fsum(expected.prefix(10).map(\.size)))
                if let worst = expected.last { #expect(side.size(at: worst.price) == worst.size) }
            }
        }
        side.removeAll()
        #expect(side.isEmpty && side.levelsBestFirst.isEmpty && side.bestPrice == nil)
    }
}
