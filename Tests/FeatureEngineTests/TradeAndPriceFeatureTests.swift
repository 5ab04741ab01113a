import Foundation
import MarketData
import Testing

@testable import FeatureEngine

@Suite struct TradeFeatureTests {
    let reg: FeatureRegistry
    init() throws {
        reg = try registry(
            "{name: vwap, kind: vwap, window: 3s}", "{name: vol, kind: volume, window: 3s}",
            "{name: svol, kind: signed_volume, window: 3s}", "{name: n, kind: trade_count, window: 3s}",
            "{name: bsr, kind: buy_sell_ratio, window: 3s}", "{name: nap, kind: net_aggressor_pressure, window: 3s}",
            "{name: vol_500ms, kind: volume, window: 500ms}")
    }

    @Test func windowEdgesAnEventAtTMinusWIsOutAtTIsIn() {
        var script = Script()
        script.trade(s(1), 100, 1, .buy)
        script.trade(s(2), 110, 2, .sell)
        script.trade(s(4), 120, 4, .buy)
        let v = Evaluated(reg, script)
        // T = 4 s: window (1 s, 4 s] holds the trades at 2 s and 4 s; the one at exactly 1 s is out.
        #expect(v("vol", at: s(4)) == 6)
        #expect(v("n", at: s(4)) == 2)
        #expect(v("vwap", at: s(4)) == (110.0 * 2 + 120.0 * 4) / 6)
        #expect(v("svol", at: s(4)) == 2)
        #expect(v("bsr", at: s(4)) == 2)
        #expect(v("nap", at: s(4)) == (4.0 - 2.0) / 6.0)
        // One ns earlier the 1 s trade is still in... but the 4 s trade is not yet.
        #expect(v("vol", at: s(4) - 1) == 3)
        // T = 5 s: (2 s, 5 s] holds only the 4 s trade.
        #expect(v("vol", at: s(5)) == 4)
        #expect(v("bsr", at: s(5)) == nil)  // no sell volume
        #expect(v("nap", at: s(5)) == 1)
        // Sub-second window.
        #expect(v("vol_500ms", at: s(4.5)) == 0)  // (4 s, 4.5 s]
        #expect(v("vol_500ms", at: s(4.4)) == 4)
    }

    @Test func emptyWindowsGiveZerosAndNulls() {
        var script = Script()
        script.trade(s(1), 100, 1, .sell)
        let v = Evaluated(reg, script)
        #expect(v("vol", at: s(10)) == 0)
        #expect(v("svol", at: s(10)) == 0)
        #expect(v("n", at: s(10)) == 0)
        #expect(v("vwap", at: s(10)) == nil)
        #expect(v("nap", at: s(10)) == nil)
        #expect(v("bsr", at: s(10)) == nil)
        #expect(v("bsr", at: s(1)) == 0)  // buy 0 / sell 1
    }

    @Test func windowSumsStayExactOverLongStreams() {
        // Many adds and evictions, then a window holding one sell of 0.1: exactly 0.1, not 0.1 +- drift,
        // and after everything expired exactly 0.
        var script = Script()
        var t = s(1)
        for i in 0..<20_000 {
            script.trade(t, 100 + Double(i % 7), 0.1 * Double(i % 13 + 1), i % 3 == 0 ? .sell : .buy)
            t += 10_000_000
        }
        script.trade(t + s(10), 100, 0.1, .sell)
        let v = Evaluated(reg, script)
        #expect(v("vol", at: t + s(10)) == 0.1)
        #expect(v("svol", at: t + s(10)) == -0.1)
        #expect(v("bsr", at: t + s(10)) == 0)
        #expect(v("vol", at: t + s(20)) == 0)
    }
}

@Suite struct PriceDynamicsTests {
    let reg: FeatureRegistry
    init() throws {
        reg = try registry(
            "{name: r1, kind: return, window: 1s}", "{name: lr2, kind: log_return, window: 2s}",
            "{name: vol3, kind: volatility, window: 3s}", "{name: z3, kind: zscore, window: 3s}")
    }

    /// Mid 100 at 0.5 s, 101 at 1.5 s, 103 at 2.5 s, 102 at 3.2 s.
    func script() -> Script {
        var script = Script()
        script.snapshot(s(0.5), bids: [(99, 1)], asks: [(101, 1)])
        script.delta(s(1.5), bids: [(100, 1), (99, 0)], asks: [(102, 1), (101, 0)])
        script.delta(s(2.5), bids: [(102, 1), (100, 0)], asks: [(104, 1), (102, 0)])
        script.delta(s(3.2), bids: [(101, 1), (102, 0)], asks: [(103, 1), (104, 0)])
        return script
    }

    @Test func returnsReadTheMidAsOfTMinusW() {
        let v = Evaluated(reg, script())
        #expect(v("r1", at: s(1)) == nil)  // mid(0 s) unknown
        #expect(v("r1", at: s(1.5)) == 101.0 / 100.0 - 1)  // mid(0.5 s) = 100: an event exactly at T - w is in the state as of T - w
        #expect(v("r1", at: s(2)) == 101.0 / 100.0 - 1)
        #expect(v("r1", at: s(2.5)) == 103.0 / 101.0 - 1)
        #expect(v("lr2", at: s(3.2)) == log(102.0 / 100.0))  // mid(1.2 s) = 100
        #expect(v("lr2", at: s(3.5)) == log(102.0 / 101.0))  // mid(1.5 s) = 101
        #expect(v("lr2", at: s(2.4)) == nil)  // mid(0.4 s): no book yet
    }

    @Test func volatilityUsesOneSecondGridReturns() {
        let v = Evaluated(reg, script())
        // Grid mids: G=1 -> 100, G=2 -> 101, G=3 -> 103, G=4 -> 102.
        // At T = 3 s: grid points (0, 3] = {1, 2, 3}; returns need mid(G - 1 s): G=1 has mid(0) unknown -> 2 returns.
        let r2 = log(101.0 / 100.0)
        let r3 = log(103.0 / 101.0)
        let mean = (r2 + r3) / 2
        let expected = (((r2 - mean) * (r2 - mean) + (r3 - mean) * (r3 - mean)) / 2).squareRoot()
        #expect(v("vol3", at: s(3)) == expected)
        #expect(v("vol3", at: s(2)) == nil)  // one return only
        // Off-grid T = 3.5 s reads grid points {1, 2, 3} as well.
        #expect(v("vol3", at: s(3.5)) == expected)
    }

    @Test func zscoreUsesGridMidsAndTheCurrentMid() {
        let v = Evaluated(reg, script())
        // T = 4 s: grid points {2, 3, 4} -> mids 101, 103, 102; mid(T) = 102.
        let points = [101.0, 103.0, 102.0]
        let mean = points.reduce(0, +) / 3
        let sd = (points.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3).squareRoot()
        #expect(v("z3", at: s(4)) == (102 - mean) / sd)
        #expect(v("z3", at: s(1)) == nil)  // one point
    }

    @Test func aFlatPriceGivesZeroVolatilityAndNullZscore() {
        var script = Script()
        script.snapshot(s(0.5), bids: [(0.1, 1)], asks: [(0.1 + 1e-9, 1)])
        script.trade(s(5), 1, 1, .buy)
        let v = Evaluated(reg, script)
        #expect(v("vol3", at: s(5)) == 0)
        #expect(v("z3", at: s(5)) == nil)  // sd = 0
    }

    @Test func outOfSyncMidsAreSkippedOnTheGrid() {
        var script = Script()
        script.snapshot(s(0.5), bids: [(99, 1)], asks: [(101, 1)])
        script.delta(s(1.5), bids: [(98, 1)], skip: 2)  // gap: mid null from 1.5 s
        script.snapshot(s(3.5), bids: [(100, 1)], asks: [(102, 1)])
        let v = Evaluated(reg, script)
        #expect(v("r1", at: s(2)) == nil)
        #expect(v("r1", at: s(4)) == nil)  // mid(3 s) null
        #expect(v("r1", at: s(4.5)) == 0)  // mid(3.5 s) = 101 = mid(4.5 s)
        #expect(v("z3", at: s(4)) == nil)  // grid {2, 3, 4}: only G=4 non-null
    }
}

@Suite struct PerpetualTimeAndPositionTests {
    let reg: FeatureRegistry
    init() throws {
        reg = try registry(
            "{name: fr, kind: funding_rate}", "{name: ttf, kind: time_to_funding}", "{name: basis, kind: basis}",
            "{name: oi, kind: open_interest}", "{name: tods, kind: time_of_day_sin}", "{name: todc, kind: time_of_day_cos}",
            "{name: dows, kind: day_of_week_sin}", "{name: dowc, kind: day_of_week_cos}",
            "{name: pos, kind: position_size}", "{name: entry, kind: entry_price}", "{name: upnl, kind: unrealized_pnl}",
            "{name: expo, kind: exposure}")
    }

    @Test func tickerDeltasMergeIntoTheLastKnownValues() {
        var script = Script()
        script.add(
            s(1), .ticker(TickerUpdate(markPrice: 101, indexPrice: 100, openInterest: 5, fundingRate: 0.0001, nextFundingTimeMs: 10_000)))
        script.add(s(2), .ticker(TickerUpdate(markPrice: 102)))  // a delta: only the mark changed
        script.add(s(3), .funding(FundingUpdate(fundingRate: -0.0002)))
        let v = Evaluated(reg, script)
        #expect(v("fr", at: s(1)) == 0.0001)
        #expect(v("basis", at: s(2)) == (102.0 - 100.0) / 100.0)
        #expect(v("oi", at: s(2)) == 5)
        #expect(v("fr", at: s(3)) == -0.0002)
        #expect(v("ttf", at: s(3)) == 7)
        #expect(v("ttf", at: s(12)) == -2)  // stale: negative
    }

    @Test func perpetualValuesAreNullUntilSeen() {
        var script = Script()
        script.add(s(1), .ticker(TickerUpdate(markPrice: 101)))
        let v = Evaluated(reg, script)
        for name in ["fr", "ttf", "basis", "oi"] { #expect(v(name, at: s(1)) == nil, "\(name)") }
    }

    @Test func timeFeaturesComeFromTAlone() {
        var script = Script()
        script.add(s(1), .funding(FundingUpdate(fundingRate: 0)))
        let v = Evaluated(reg, script)
        // 1970-01-05 was a Monday; 06:00 UTC is a quarter day and 1/28 of a week past Monday 00:00.
        let t = s(4 * 86_400 + 6 * 3600)
        var later = Script()
        later.add(t, .funding(FundingUpdate(fundingRate: 0)))
        let w = Evaluated(reg, later)
        #expect(w("tods", at: t) == sin(2 * Double.pi * 6 / 24))
        #expect(w("todc", at: t) == cos(2 * Double.pi * 6 / 24))
        #expect(w("dows", at: t) == sin(2 * Double.pi * 0.25 / 7))
        #expect(w("dowc", at: t) == cos(2 * Double.pi * 0.25 / 7))
        #expect(v("tods", at: s(1)) == sin(2 * Double.pi * (1.0 / 3600) / 24))
    }

    @Test func positionFeatures() {
        var script = Script()
        script.snapshot(s(1), bids: [(99, 1)], asks: [(101, 1)])
        var v = Evaluated(reg, script)
        #expect(v("pos", at: s(1)) == 0)  // no position source: size 0
        #expect(v("entry", at: s(1)) == nil)
        #expect(v("upnl", at: s(1)) == 0)
        #expect(v("expo", at: s(1)) == 0)
        script.add(s(2), .position(PositionUpdate(size: -2, entryPrice: 95, source: .exchange)))
        script.add(s(3), .position(PositionUpdate(size: -3, source: .positionManager)))  // no entry price: keep 95
        v = Evaluated(reg, script)
        #expect(v("pos", at: s(2)) == -2)
        #expect(v("upnl", at: s(2)) == -2 * (100.0 - 95.0))
        #expect(v("expo", at: s(3)) == 300)
        #expect(v("entry", at: s(3)) == 95)
        script.add(s(3.5), .position(PositionUpdate(size: 0, source: .exchange)))  // flat: the entry price is forgotten
        script.add(s(3.7), .position(PositionUpdate(size: -3, source: .positionManager)))
        #expect(Evaluated(reg, script)("entry", at: s(3.7)) == nil)
        script.delta(s(4), bids: [(50, 1)], skip: 1)  // out of sync: mid null
        v = Evaluated(reg, script)
        #expect(v("upnl", at: s(4)) == nil)
        #expect(v("expo", at: s(4)) == nil)
        #expect(v("pos", at: s(4)) == -3)
    }
}

@Suite struct StatisticsTests {
    @Test func zscoreOfMidsAnUlpApartIsTheirExactValue() throws {
        let reg = try registry("{name: z3, kind: zscore, window: 3s}")
        var script = Script()
        // Mids 0.39999999999999997, 0.4, 0.4 at grid points 1, 2, 3.
        script.snapshot(s(0.5), bids: [(0.1, 1)], asks: [(0.7, 1)])
        script.snapshot(s(1.5), bids: [(0.3, 1)], asks: [(0.5, 1)])
        script.trade(s(3.5), 1, 1, .buy)
        let v = Evaluated(reg, script)
        let (first, second): (Double, Double) = ((0.1 + 0.7) / 2, (0.3 + 0.5) / 2)
        #expect(first != second)
        #expect(v("z3", at: s(2)) == 1)  // two distinct values: exactly +1 for the larger
        let z = try #require(v("z3", at: s(3)))
        #expect(abs(z - 0.5.squareRoot()) < 1e-12)  // +1/sqrt(2), not noise
    }

    @Test func meanAndDeviationAreAccurateForLargePrices() {
        let values = (0..<60).map { 96_050.1 + Double($0 % 7) * 0.1 }
        let (pivot, shiftedMean, sd) = Statistics.pivotedMeanAndDeviation(values)
        let mean = pivot + shiftedMean
        // Exact: offsets 0.1 * (k % 7) for k in 0..<60.
        let offsets = (0..<60).map { Double($0 % 7) }
        let exactMean = offsets.reduce(0, +) / 60
        let exactSd = (offsets.map { ($0 - exactMean) * ($0 - exactMean) }.reduce(0, +) / 60).squareRoot() * 0.1
        #expect(abs(sd - exactSd) < 1e-12)
        #expect(abs(mean - (96_050.1 + exactMean * 0.1)) < 1e-10)
    }
}
