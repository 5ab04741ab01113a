import Foundation
import MarketData
import OrderBook
import Quality
import Testing

/// A little market of one symbol, fed through a real L2 book so the tracker sees the same
/// outcomes the engine produces.
struct Feed {
    var tracker = QualityTracker()
    var book = L2Book()
    var seq: Int64 = 0
    let base: Nanos = 1_764_028_800 * Time.nanosPerSecond  // 2025-11-25T00:00:00Z, a minute boundary

    func at(_ seconds: Double) -> Nanos { base + Nanos(seconds * 1e9) }

    mutating func book(
        _ seconds: Double, u: Int64, snapshot: Bool = false, bid: Double = 100, ask: Double = 101,
        exchangeLagMs: Int64 = 20
    ) {
        seq += 1
        let update = BookUpdate(
            isSnapshot: snapshot, updateId: u, bids: [PriceLevel(price: bid, size: 1)], asks: [PriceLevel(price: ask, size: 1)])
        let event = MarketEvent(
            symbol: "BTCUSDT", recvTs: at(seconds), seq: seq, exchTsMs: at(seconds) / Time.nanosPerMilli - exchangeLagMs,
            gatewayTs: at(seconds) - 2 * Time.nanosPerMilli, body: .book(update))
        tracker.observe(event, book: book.apply(update))
    }

    mutating func trade(_ seconds: Double, price: Double, size: Double = 1, exchangeMs: Int64? = nil) {
        seq += 1
        let event = MarketEvent(
            symbol: "BTCUSDT", recvTs: at(seconds), seq: seq,
            exchTsMs: exchangeMs ?? (at(seconds) / Time.nanosPerMilli - 20),
            body: .trade(Trade(price: price, size: size, side: .buy, tradeId: "t\(seq)")))
        tracker.observe(event)
    }

    func report(from: Double, to: Double) -> QualityReport {
        QualityReport(symbol: "BTCUSDT", from: at(from), to: at(to), buckets: tracker.openBuckets(symbol: "BTCUSDT"))
    }
}

@Suite struct QualityTrackerTests {
    @Test func coverageAndMissingPeriodsAreCountedBySecond() {
        var feed = Feed()
        feed.book(0, u: 1, snapshot: true)
        // A book message every second for 30 s, then 20 s of silence, then 10 s more.
        for s in 1..<30 { feed.book(Double(s) + 0.5, u: Int64(s) + 1) }
        for s in 50..<60 { feed.book(Double(s), u: Int64(s) - 19) }
        let report = feed.report(from: 0, to: 60)
        #expect(report.bookCoverage == 40.0 / 60.0)
        #expect(report.missingRate == 1 - 40.0 / 60.0)
        #expect(report.missingPeriodCount == 1)
        #expect(report.missingPeriods == [QualityReport.Period(from: feed.at(30), to: feed.at(50))])
        #expect(report.events == [.orderbook: 40])
        #expect(report.sequenceGaps == 0 && report.desyncEvents == 0)
        // Over two minutes, the second one empty, the silence runs on to the end.
        let longer = feed.report(from: 0, to: 120)
        #expect(longer.missingRate == 1 - 40.0 / 120.0)
        #expect(longer.missingPeriods.map { ($0.to - $0.from) / Time.nanosPerSecond } == [20, 60])
        #expect(longer.minutesWithData == 1)
    }

    @Test func gapsDesyncsAndResyncsAreCountedOncePerEpisode() {
        var feed = Feed()
        feed.book(0, u: 1, snapshot: true)
        feed.book(1, u: 2)
        feed.book(2, u: 5)  // gap: desync
        feed.book(3, u: 6)  // ignored while out of sync: not another desync
        feed.book(4, u: 100, snapshot: true)  // resync
        feed.book(5, u: 101, bid: 102, ask: 101)  // crossed: desync, anomaly
        feed.book(6, u: 1, snapshot: true)
        let report = feed.report(from: 0, to: 60)
        #expect(report.sequenceGaps == 1)
        #expect(report.desyncs == ["sequence_gap": 1, "crossed_book": 1])
        #expect(report.resyncs == 2)
        #expect(report.anomalies == ["crossed_book": 1])
    }

    @Test func anomaliesAndLatencySkew() {
        var feed = Feed()
        feed.trade(0, price: 100)
        feed.trade(1, price: 101)  // +1 %: normal
        feed.trade(2, price: 120)  // +19 %: jump
        feed.trade(3, price: -1)  // invalid, not a reference for the next jump
        feed.trade(4, price: 121, exchangeMs: feed.at(4) / Time.nanosPerMilli - 9_000)  // late
        feed.trade(5, price: 121, exchangeMs: feed.at(5) / Time.nanosPerMilli + 3_000)  // exchange clock ahead, and backwards
        let report = feed.report(from: 0, to: 60)
        #expect(report.anomalies == ["price_jump": 1, "invalid_value": 1, "late": 1, "clock_ahead": 1, "exchange_time_backwards": 1])
        let latency = report.exchangeLatency
        #expect(latency.count == 6 && latency.negative == 1)
        #expect(latency.minMs == -3_000 && latency.maxMs == 9_000)
        // Four of six at 20 ms: the median's bin holds 20 ms, within the histogram's 19 %.
        let median = try! #require(latency.quantile(0.5))
        #expect(median >= 20 && median <= 20 * 1.19)
        #expect(latency.quantile(0.99) == 9_000)
    }

    @Test func bucketsMergeAcrossARestartAndTakeOnlyEndedMinutes() {
        var feed = Feed()
        for s in 0..<90 { feed.book(Double(s), u: Int64(s) + 1, snapshot: s == 0) }
        let taken = feed.tracker.takeBuckets(endedBy: feed.at(90))
        #expect(taken["BTCUSDT"]?.map(\.minute) == [QualityTracker.minute(of: feed.at(0))])
        #expect(feed.tracker.openBuckets(symbol: "BTCUSDT").count == 1)
        // The same minute counted by two processes merges to the sum and the union.
        var first = taken["BTCUSDT"]![0]
        var second = QualityBucket(minute: first.minute)
        second.events[0] = 5
        second.bookSeconds = 1 << 59
        second.anomalies["late"] = 2
        first.merge(second)
        #expect(first.events[0] == 65 && first.bookSeconds == (1 << 60) - 1 && first.anomalies == ["late": 2])
    }

    @Test func aRangeThatIsNotMinuteAlignedCountsCoverageExactly() {
        var feed = Feed()
        for s in 0..<120 { feed.book(Double(s), u: Int64(s) + 1, snapshot: s == 0) }
        let report = feed.report(from: 30.5, to: 90)
        // Seconds 31..89 are whole seconds of the range: all covered.
        #expect(report.bookCoverage == 1)
        #expect(report.missingPeriodCount == 0)
    }

    @Test func histogramsSurviveJSON() throws {
        var feed = Feed()
        for s in 0..<10 { feed.trade(Double(s), price: 100) }
        let bucket = feed.tracker.openBuckets(symbol: "BTCUSDT")[0]
        let empty = QualityBucket(minute: 7)
        for original in [bucket, empty] {
            let data = try JSONEncoder().encode(original)
            #expect(try JSONDecoder().decode(QualityBucket.self, from: data) == original)
        }
    }
}

@Suite struct StoredFormTests {
    @Test func theFirstStoredHistogramFormStillReads() throws {
        let old = #"{"b":{"9":3,"12":1},"n":5,"neg":1,"s":40.5,"lo":-2,"hi":7.5}"#
        let histogram = try JSONDecoder().decode(LatencyHistogram.self, from: Data(old.utf8))
        #expect(histogram.count == 5 && histogram.negative == 1 && histogram.bins[9] == 3 && histogram.bins[12] == 1)
        let again = try JSONDecoder().decode(LatencyHistogram.self, from: JSONEncoder().encode(histogram))
        #expect(again == histogram)
    }
}

/// Events that bypass the decoder's range checks (hand-built, or read from an old store) must
/// not trap the tracker either: a latency that does not fit is left out, nothing else changes.
@Suite struct QualityTrackerExtremesTests {
    @Test func extremeExchangeAndGatewayTimesDoNotTrap() {
        var tracker = QualityTracker()
        let now: Nanos = 1_767_225_600_000_000_000
        for (exchange, gateway) in [(Int64.max, Nanos.min), (Int64.min, Nanos.max), (99_999_999_999_999, 0), (-1, -1)] {
            let trade = Trade(price: 100, size: 1, side: .buy, tradeId: "x")
            tracker.observe(
                MarketEvent(symbol: "BTCUSDT", recvTs: now, seq: 1, exchTsMs: exchange, gatewayTs: gateway, body: .trade(trade)))
        }
        let bucket = tracker.openBuckets(symbol: "BTCUSDT")[0]
        #expect(bucket.totalEvents == 4)
        #expect(bucket.exchangeLatency.count == 1)  // only -1 ms fits in ns; the others overflow and are left out
        #expect(bucket.gatewayLatency.count == 3)  // now - Int64.min does not fit
    }
}
