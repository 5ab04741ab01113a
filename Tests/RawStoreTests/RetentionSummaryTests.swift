import Foundation
import MarketData
import RawStore
import ServiceTestSupport
import TestSupport
import Testing

/// Book messages with five levels (five rows each in the table); other events unchanged.
func deepened(_ events: [MarketEvent]) -> [MarketEvent] {
    events.map { event in
        guard case .book(var book) = event.body else { return event }
        book.bids = [PriceLevel(price: 1.5, size: 1), PriceLevel(price: 1.4, size: 2), PriceLevel(price: 1.3, size: 3)]
        book.asks = [PriceLevel(price: 1.6, size: 1), PriceLevel(price: 1.7, size: 2)]
        var deeper = event
        deeper.body = .book(book)
        return deeper
    }
}

@Suite struct RetentionSummaryTests {
    /// What `serve` logs when retention deletes (the only trace of what went): partitions,
    /// days, events and rows, counted before deleting.
    @Test func summaryCountsPartitionsDaysAndEventsOfExpiredPartitions() throws {
        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat())
        let now = Time.parseISO8601("2026-11-25T12:00:00Z")!
        let old = deepened(storedStream(start: Time.parseISO8601("2026-08-17T10:00:00Z")!, count: 300))
        let older = deepened(storedStream(start: Time.parseISO8601("2026-08-10T10:00:00Z")!, count: 200))
        let kept = storedStream(start: Time.parseISO8601("2026-11-24T10:00:00Z")!, count: 100)
        // Two flushes of the first batch: its partitions hold two files each, both counted.
        for batch in [Array(old.prefix(150)), Array(old.dropFirst(150)) + older + kept] {
            store.append(batch)
            try store.sync()
            try store.flush()
        }
        let retention = try Retention(layout: store.layout, days: 90)
        let expired = try retention.expired(now: now)
        let summary = retention.summary(of: expired, format: ParquetFormat())
        let partitions = Set((old + older).map { "\($0.type.rawValue)/\($0.symbol)/\(Time.formatDate($0.recvTs))" })
        #expect(summary.partitions == partitions.count)
        #expect(summary.partitions == expired.count)
        #expect(summary.dates == ["2026-08-10", "2026-08-17"])
        #expect(summary.events == Int64(old.count + older.count))
        // The book is one row per level: rows are the footers' counts, more than the events.
        var rows: Int64 = 0
        for partition in expired {
            for file in try store.layout.parts(
                type: partition.type, symbol: partition.symbol, date: partition.date,
                fileExtension: "parquet")
            {
                rows += try ParquetFormat().rowCount(path: file)
            }
        }
        #expect(summary.rows == rows && rows > summary.events)
        #expect(summary.unreadableFiles == 0)
        #expect(summary.description == "\(partitions.count) partitions, 2 days (2026-08-10 to 2026-08-17), 500 events (\(rows) rows)")
        // A corrupt file is reported, not counted, and does not stop the count.
        let trades = try #require(expired.first { $0.type == .trade })
        let victim = try #require(
            try store.layout.parts(
                type: .trade, symbol: trades.symbol, date: trades.date,
                fileExtension: "parquet"
            ).first)
        let lost = try ParquetFormat().rowCount(path: victim)
        try Data("not parquet".utf8).write(to: URL(fileURLWithPath: victim))
        let damaged = retention.summary(of: expired, format: ParquetFormat())
        #expect(damaged.events == summary.events - lost)
        #expect(damaged.unreadableFiles == 1)
        #expect(damaged.description.hasSuffix(", 1 unreadable file not counted"))
        try retention.apply(.delete, to: expired)
        let nothing = retention.summary(of: try retention.expired(now: now), format: ParquetFormat())
        #expect(nothing.description == "0 partitions, 0 days, 0 events")
    }

    /// `import` names the retention period that keeps its oldest day: exactly the one `expired` agrees with.
    @Test func daysNeededIsTheShortestPeriodThatKeepsADay() throws {
        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat())
        let now = Time.parseISO8601("2026-11-25T00:00:01Z")!
        let events = storedStream(start: Time.parseISO8601("2026-08-17T23:59:00Z")!, count: 10)
        store.append(events)
        try store.sync()
        try store.flush()
        let day = Time.floorDiv(events[0].recvTs, Time.nanosPerDay)
        let needed = Retention.daysNeeded(toKeep: day, now: now)
        #expect(needed == 100)
        #expect(try Retention(layout: store.layout, days: needed).expired(now: now).isEmpty)
        #expect(try !Retention(layout: store.layout, days: needed - 1).expired(now: now).isEmpty)
        #expect(Retention.firstKeptDay(now: now, days: needed) == day)
        // Today needs the minimum period (today is never expired anyway).
        #expect(Retention.daysNeeded(toKeep: Time.floorDiv(now, Time.nanosPerDay), now: now) == 1)
    }
}
