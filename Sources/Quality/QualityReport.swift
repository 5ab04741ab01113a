public import MarketData

/// A data-quality report of one symbol over [from, to), built by merging minute buckets.
/// Second-level coverage is exact; counters belong to the minutes they were observed in, so
/// a range that cuts a minute counts that minute's events, gaps and anomalies whole.
public struct QualityReport: Sendable, Equatable {
    public struct Period: Sendable, Equatable {
        public var from: Nanos
        public var to: Nanos
        public init(from: Nanos, to: Nanos) {
            self.from = from
            self.to = to
        }
    }

    public var symbol: String
    public var from: Nanos
    public var to: Nanos
    /// Events by type.
    public var events: [EventType: Int]
    /// Fraction of the range's seconds without any order-book message (the book is the
    /// heartbeat stream: the exchange pushes it several times a second).
    public var missingRate: Double
    /// Fraction of seconds with at least one order-book message, trade, and event of any type.
    public var bookCoverage: Double
    public var tradeCoverage: Double
    public var anyCoverage: Double
    /// Runs of at least `minimumGap` seconds without any event, oldest first (at most `maxListed`).
    public var missingPeriods: [Period]
    public var missingPeriodCount: Int
    /// Every minute's counters merged (its `minute` is the range's first).
    public var totals: QualityBucket
    /// Minutes with at least one event.
    public var minutesWithData: Int

    public var sequenceGaps: Int { totals.sequenceGaps }
    public var desyncs: [String: Int] { totals.desyncs }
    public var resyncs: Int { totals.resyncs }
    public var anomalies: [String: Int] { totals.anomalies }
    public var exchangeLatency: LatencyHistogram { totals.exchangeLatency }
    public var gatewayLatency: LatencyHistogram { totals.gatewayLatency }
    public var desyncEvents: Int { desyncs.values.reduce(0, +) }
    public var anomalyCount: Int { anomalies.values.reduce(0, +) }

    /// Merges `buckets` (any order; several per minute allowed) over [from, to).
    public init(symbol: String, from: Nanos, to: Nanos, buckets: some Sequence<QualityBucket>, minimumGap: Int = 5, maxListed: Int = 100) {
        precondition(to > from, "empty range")
        self.symbol = symbol
        self.from = from
        self.to = to
        let firstMinute = QualityTracker.minute(of: from)
        let lastMinute = QualityTracker.minute(of: to - 1)
        var merged: [Int64: QualityBucket] = [:]
        for bucket in buckets where bucket.minute >= firstMinute && bucket.minute <= lastMinute {
            merged[bucket.minute, default: QualityBucket(minute: bucket.minute)].merge(bucket)
        }
        var total = QualityBucket(minute: firstMinute)
        for bucket in merged.values { total.merge(bucket) }
        events = Dictionary(
            uniqueKeysWithValues: EventType.allCases.enumerated().compactMap { index, type in
                total.events[index] > 0 ? (type, total.events[index]) : nil
            })
        totals = total
        minutesWithData = merged.count

        // Second by second over the range: coverage and the runs without any event.
        let firstSecond = Time.floorDiv(from + Time.nanosPerSecond - 1, Time.nanosPerSecond)  // first whole second at or after from
        let endSecond = Time.floorDiv(to + Time.nanosPerSecond - 1, Time.nanosPerSecond)
        let seconds = max(endSecond - firstSecond, 1)
        var book = 0, trade = 0, any = 0
        var periods: [Period] = []
        var periodCount = 0
        var runStart: Int64?
        func closeRun(at second: Int64) {
            if let start = runStart, second - start >= Int64(minimumGap) {
                periodCount += 1
                if periods.count < maxListed { periods.append(Period(from: start * Time.nanosPerSecond, to: second * Time.nanosPerSecond)) }
            }
            runStart = nil
        }
        var second = firstSecond
        while second < endSecond {
            let minute = Time.floorDiv(second, 60)
            let bucket = merged[minute]
            let bit: UInt64 = 1 << UInt64(second - minute * 60)
            // A minute without a bucket had no events: skip to its end in one step.
            guard let bucket else {
                if runStart == nil { runStart = second }
                second = min((minute + 1) * 60, endSecond)
                continue
            }
            if bucket.bookSeconds & bit != 0 { book += 1 }
            if bucket.tradeSeconds & bit != 0 { trade += 1 }
            if bucket.anySeconds & bit != 0 {
                any += 1
                closeRun(at: second)
            } else if runStart == nil {
                runStart = second
            }
            second += 1
        }
        closeRun(at: endSecond)
        bookCoverage = Double(book) / Double(seconds)
        tradeCoverage = Double(trade) / Double(seconds)
        anyCoverage = Double(any) / Double(seconds)
        missingRate = 1 - bookCoverage
        missingPeriods = periods
        missingPeriodCount = periodCount
    }
}
