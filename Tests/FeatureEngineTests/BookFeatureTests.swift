import FeatureEngine
import MarketData
import Testing

@Suite struct BookFeatureTests {
    let reg: FeatureRegistry
    init() throws {
        reg = try registry(
            "{name: mid, kind: mid_price}", "{name: spread, kind: spread_abs}", "{name: rel, kind: spread_rel}",
            "{name: micro, kind: microprice}", "{name: db2, kind: depth_bid, levels: 2}", "{name: da2, kind: depth_ask, levels: 2}",
            "{name: imb2, kind: depth_imbalance, levels: 2}", "{name: sb2, kind: book_slope_bid, levels: 2}",
            "{name: sa5, kind: book_slope_ask, levels: 5}")
    }

    @Test func valuesOfASyncedBook() {
        var script = Script()
        script.snapshot(s(1), bids: [(100, 2), (99, 4), (98, 8)], asks: [(102, 1), (103, 3)])
        let v = Evaluated(reg, script)
        #expect(v("mid", at: s(1)) == 101)
        #expect(v("spread", at: s(1)) == 2)
        #expect(v("rel", at: s(1)) == 2.0 / 101.0)
        #expect(v("micro", at: s(1)) == (100.0 * 1 + 102.0 * 2) / 3)
        #expect(v("db2", at: s(1)) == 6)
        #expect(v("da2", at: s(1)) == 4)
        #expect(v("imb2", at: s(1)) == (6.0 - 4.0) / 10.0)
        #expect(v("sb2", at: s(1)) == 6.0 / 2.0)  // p_2 = 99, |99 - 101| = 2
        #expect(v("sa5", at: s(1)) == 4.0 / 2.0)  // fewer than 5 levels: the last one, 103
    }

    @Test func beforeItsFirstSnapshotTheBookIsOutOfSync() {
        // features.md §1: before its first snapshot a book's state is unknown: every value
        // read from it is null — depth too (0 would claim a book we saw empty).
        var script = Script()
        script.trade(s(1), 100, 1, .buy)
        let v = Evaluated(reg, script)
        for name in ["mid", "spread", "rel", "micro", "imb2", "sb2", "sa5", "db2", "da2"] { #expect(v(name, at: s(1)) == nil, "\(name)") }
        // A delta before any snapshot keeps it so; the first snapshot brings the values.
        script.delta(s(2), bids: [(99, 1)])
        #expect(Evaluated(reg, script)("db2", at: s(2)) == nil)
        script.snapshot(s(3), bids: [(99, 1)], asks: [(101, 2)])
        #expect(Evaluated(reg, script)("db2", at: s(3)) == 1)
    }

    @Test func anEmptySideNullsPricesButDepthIsZero() {
        var script = Script()
        script.snapshot(s(1), bids: [(100, 2)], asks: [])
        let v = Evaluated(reg, script)
        #expect(v("mid", at: s(1)) == nil)
        #expect(v("spread", at: s(1)) == nil)
        #expect(v("micro", at: s(1)) == nil)
        #expect(v("db2", at: s(1)) == 2)
        #expect(v("da2", at: s(1)) == 0)
        #expect(v("imb2", at: s(1)) == 1)
        #expect(v("sb2", at: s(1)) == nil)
    }

    @Test func bothSidesEmptyNullsTheImbalance() {
        var script = Script()
        script.snapshot(s(1), bids: [], asks: [])
        let v = Evaluated(reg, script)
        #expect(v("db2", at: s(1)) == 0)
        #expect(v("imb2", at: s(1)) == nil)
    }

    @Test func everyBookValueIsNullWhileOutOfSyncUntilASnapshot() {
        var script = Script()
        script.snapshot(s(1), bids: [(100, 2)], asks: [(102, 1)])
        script.delta(s(2), bids: [(101, 1)], skip: 1)  // gap
        script.delta(s(3), bids: [(100.5, 1)])
        var v = Evaluated(reg, script)
        for name in ["mid", "spread", "rel", "micro", "db2", "da2", "imb2", "sb2", "sa5"] { #expect(v(name, at: s(3)) == nil, "\(name)") }
        script.snapshot(s(4), bids: [(100, 3)], asks: [(102, 1)])
        v = Evaluated(reg, script)
        #expect(v("mid", at: s(4)) == 101)
        #expect(v("db2", at: s(4)) == 3)
    }

    @Test func aLockedBookIsOutOfSync() {
        var script = Script()
        script.snapshot(s(1), bids: [(100, 2)], asks: [(102, 1)])
        script.delta(s(2), asks: [(100, 1)])
        let v = Evaluated(reg, script)
        #expect(v("mid", at: s(2)) == nil)
        #expect(v("db2", at: s(2)) == nil)
    }
}

@Suite struct BookFlowTests {
    @Test func ofiFollowsContKukanovStoikovPerEvent() throws {
        let reg = try registry("{name: ofi, kind: ofi, window: 3s}")
        var script = Script()
        script.snapshot(s(1), bids: [(100, 2)], asks: [(102, 1)])  // out of sync before: contributes 0
        script.delta(s(2), bids: [(100, 5)])  // bid same price, size 2 -> 5: e = 5 - 2 = 3; ask same: -1 + 1 = 0
        script.delta(s(3), bids: [(101, 1)])  // bid up: e = +1 (new size); ask unchanged: 0
        script.delta(s(4), asks: [(101.5, 4)])  // ask down: -4; bid unchanged (101,1): +1 - 1 = 0
        let v = Evaluated(reg, script)
        #expect(v("ofi", at: s(2)) == 3)
        #expect(v("ofi", at: s(3)) == 4)
        #expect(v("ofi", at: s(4)) == 0.0)  // 3 + 1 - 4
        // Window edge: at T = 5 s the event at exactly T - w = 2 s is out.
        #expect(v("ofi", at: s(5)) == -3.0)  // 1 - 4
        #expect(v("ofi", at: s(5) - 1) == 0.0)  // 3 + 1 - 4
        // Empty window: exactly 0.
        #expect(v("ofi", at: s(100)) == 0)
    }

    @Test func ofiIsZeroForEventsWithAnEmptySideOrOutOfSync() throws {
        let reg = try registry("{name: ofi, kind: ofi, window: 10s}")
        var script = Script()
        script.snapshot(s(1), bids: [(100, 2)], asks: [])
        script.delta(s(2), bids: [(100, 5)])  // ask side empty before and after: 0
        script.delta(s(3), asks: [(102, 1)])  // ask empty before: 0
        script.delta(s(4), bids: [(100, 6)], skip: 3)  // gap: 0
        script.snapshot(s(5), bids: [(100, 1)], asks: [(102, 1)])  // applied while out of sync: 0
        script.delta(s(6), bids: [(100, 3)])  // +3 - 1 = 2
        let v = Evaluated(reg, script)
        #expect(v("ofi", at: s(6)) == 2)
    }

    @Test func bookChurnCountsTopLevelChangesPerSecond() throws {
        let reg = try registry("{name: churn, kind: book_churn, window: 2s, levels: 2}")
        var script = Script()
        script.snapshot(s(1), bids: [(100, 1), (99, 1), (98, 1)], asks: [(101, 1), (102, 1)])
        script.delta(s(2), bids: [(99, 2), (98, 5)])  // 99 is top-2 (counts), 98 is rank 3 before and after (not)
        script.delta(s(3), bids: [(100, 0)])  // 100 deleted (top-2 before: counts); 98 becomes top 2 but unchanged
        script.delta(s(3.5), asks: [(100.5, 1), (103, 1)])  // 100.5 enters the top 2; 103 is rank 4: not
        let v = Evaluated(reg, script)
        // The first snapshot restores sync and contributes 0 (features.md §1).
        #expect(v("churn", at: s(2)) == 1.0 / 2)
        #expect(v("churn", at: s(3)) == 2.0 / 2)  // the snapshot at exactly T - w = 1 s is out
        #expect(v("churn", at: s(3.5)) == 3.0 / 2)  // (1.5 s, 3.5 s]: all three events
        #expect(v("churn", at: s(4)) == 2.0 / 2)  // 2 s is exactly T - w: out
    }

    @Test func aSnapshotIsComparedWithTheBookBeforeIt() throws {
        let reg = try registry("{name: churn, kind: book_churn, window: 10s, levels: 2}")
        var script = Script()
        script.snapshot(s(1), bids: [(100, 1), (99, 1)], asks: [(101, 1)])  // the first snapshot: contributes 0
        script.snapshot(s(2), bids: [(100, 1), (99, 3)], asks: [(101, 1), (105, 2)])  // 99 and 105 changed
        let v = Evaluated(reg, script)
        #expect(v("churn", at: s(2)) == 2.0 / 10)
    }
}
