import Foundation
import MarketData
import ServiceTestSupport
import TestSupport
import Testing

@testable import RawStore

/// A few seconds of two symbols, every event type, stamped in order.

func drain(_ replay: consuming StoreReplay) throws -> [MarketEvent] {
    var replay = replay
    var out: [MarketEvent] = []
    while let event = try replay.next() { out.append(event) }
    return out
}

@Suite struct RawStoreTests {
    @Test func flushedEventsReplayMergedInRecvTsSeqOrder() throws {
        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat())
        let events = storedStream()
        store.append(Array(events.prefix(150)))
        try store.sync()
        try store.flush()
        store.append(Array(events.dropFirst(150)))
        try store.sync()
        try store.flush()
        for symbol in ["BTCUSDT", "ETHUSDT"] {
            let expected = events.filter { $0.symbol == symbol }
            let replayed = try drain(try store.replay(symbol: symbol, from: .min, to: .max))
            #expect(replayed == expected)
        }
        // A sub-range: [from, to) on recv_ts.
        let from = events[100].recvTs
        let to = events[200].recvTs
        let window = try drain(try store.replay(symbol: "BTCUSDT", from: from, to: to))
        #expect(window == events.filter { $0.symbol == "BTCUSDT" && $0.recvTs >= from && $0.recvTs < to })
        #expect(
            try store.coverage(symbol: "BTCUSDT") == [
                events.first { $0.symbol == "BTCUSDT" }!.recvTs...events.last { $0.symbol == "BTCUSDT" }!.recvTs
            ])
        #expect(try store.layout.symbols() == ["BTCUSDT", "ETHUSDT"])
    }

    /// The live committer syncs without rolling (its acks must not wait for a conversion) and
    /// rolls a full segment itself; a plain sync rolls it before returning.
    @Test func aSyncRollsAFullSegmentOnlyWhenAskedTo() throws {
        var options = RawStore.Options()
        options.segmentBytes = 1_000
        let store = try RawStore(root: scratchDirectory(), format: ParquetFormat(), options: options)
        let events = storedStream()
        store.append(Array(events.prefix(100)))
        try store.sync(rollingWhenFull: false)
        #expect(store.isOpenSegmentFull)
        #expect(try store.layout.symbols().isEmpty)  // nothing converted yet
        try store.sync()
        #expect(!store.isOpenSegmentFull)
        let converted = try drain(try store.replay(symbol: "BTCUSDT", from: .min, to: .max))
        #expect(converted == events.prefix(100).filter { $0.symbol == "BTCUSDT" })
    }

    @Test func eventsLoggedButNotConvertedAreRecoveredOnOpen() throws {
        let root = scratchDirectory()
        let events = storedStream(count: 120)
        do {
            let store = try RawStore(root: root, format: ParquetFormat())
            store.append(events)
            try store.sync()  // durable in the log only: no flush, as after a crash
        }
        let reopened = try RawStore(root: root, format: ParquetFormat())
        let replayed = try drain(try reopened.replay(symbol: "BTCUSDT", from: .min, to: .max))
        #expect(replayed == events.filter { $0.symbol == "BTCUSDT" })
        // Sequence counters continue where they stopped.
        let points = try reopened.sequencePoints()
        #expect(points["BTCUSDT"]?.seq == events.last { $0.symbol == "BTCUSDT" }!.seq)
        #expect(try reopened.recentEvents().count == events.count)
    }

    @Test func retentionArchivesOrDeletesOldPartitionsButNeverToday() throws {
        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat())
        let day = Time.nanosPerDay
        let now = Time.parseISO8601("2026-11-25T12:00:00Z")!
        var stamper = Stamper()
        for offset in [100, 91, 89, 0] {
            let event = UnstampedEvent(symbol: "BTCUSDT", body: .funding(FundingUpdate(fundingRate: 0.0001)))
            store.append([stamper.stamp(event, at: now - Int64(offset) * day)])
        }
        try store.sync()
        try store.flush()
        let retention = try Retention(layout: store.layout, days: 90)
        let expired = try retention.expired(now: now)
        #expect(expired.map(\.date) == ["2026-08-17", "2026-08-26"])
        let archive = scratchDirectory()
        try retention.apply(.archive(root: archive), to: [expired[0]])
        try retention.apply(.delete, to: [expired[1]])
        #expect(try store.layout.dates(type: .funding, symbol: "BTCUSDT") == ["2026-08-28", "2026-11-25"])
        #expect(FileManager.default.fileExists(atPath: archive + "/raw/type=funding/symbol=BTCUSDT/date=2026-08-17"))
        #expect(throws: StoreError.self) { _ = try Retention(layout: store.layout, days: 0) }
        // Even a one-day period keeps today.
        #expect(try Retention(layout: store.layout, days: 1).expired(now: now).map(\.date) == ["2026-08-28"])
    }
}

@Suite struct RowGroupBoundaryTests {
    @Test func aBookMessageStraddlingRowGroupsIsReassembled() throws {
        let root = scratchDirectory()
        // 7-row row groups; snapshots of 10 and 12 levels straddle them.
        let store = try RawStore(root: root, format: ParquetFormat(rowGroupRows: 7))
        var stamper = Stamper()
        var events: [MarketEvent] = []
        for i in 0..<6 {
            let levels = (0..<(5 + i)).map { PriceLevel(price: 100 - Double($0), size: Double(i + 1)) }
            let update = BookUpdate(isSnapshot: true, updateId: Int64(i + 1), bids: levels, asks: [PriceLevel(price: 101, size: 1)])
            events.append(stamper.stamp(UnstampedEvent(symbol: "BTCUSDT", body: .book(update)), at: 1_000_000_000 + Int64(i)))
        }
        store.append(events)
        try store.sync()
        try store.flush()
        #expect(try drain(try store.replay(symbol: "BTCUSDT", from: .min, to: .max)) == events)
        #expect(try drain(try store.replay(symbol: "BTCUSDT", from: events[2].recvTs, to: events[4].recvTs)) == Array(events[2..<4]))
    }
}

/// Reading into one reused event (what the engine's replays do) gives the events a fresh read
/// gives, whether the caller lets go of each event (its level arrays are then refilled) or
/// keeps it (a kept event never changes afterwards).
@Suite struct ReusedEventReplayTests {
    @Test func readingIntoOneEventGivesTheSameEvents() throws {
        let root = scratchDirectory()
        // Small row groups: book messages straddle them.
        let store = try RawStore(root: root, format: ParquetFormat(rowGroupRows: 5))
        let events = storedStream(count: 600)
        store.append(events)
        try store.sync()
        try store.flush()
        let expected = events.filter { $0.symbol == "BTCUSDT" }
        var replay = try store.replay(symbol: "BTCUSDT", from: .min, to: .max)
        var event = StoreReplay.emptyEvent()
        var index = 0
        while try replay.next(into: &event) {
            #expect(event == expected[index], "event \(index)")
            index += 1
        }
        #expect(index == expected.count)
        var kept: [MarketEvent] = []
        replay = try store.replay(symbol: "BTCUSDT", from: .min, to: .max)
        while try replay.next(into: &event) { kept.append(event) }
        #expect(kept == expected)
    }

    /// `.engineInputs` reads the same events without the fields no engine reads.
    @Test func engineInputsLeaveOutIdentifiersAndOtherClocks() throws {
        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat())
        let events = storedStream(count: 300)
        store.append(events)
        try store.sync()
        try store.flush()
        let expected = events.filter { $0.symbol == "ETHUSDT" }.map { event in
            var event = event
            event.traceId = nil
            event.exchTsMs = nil
            event.gatewayTs = nil
            switch event.body {
            case .book(var book):
                book.crossSeq = nil
                event.body = .book(book)
            case .trade(var trade):
                trade.tradeId = ""
                trade.tradeTimeMs = nil
                trade.tickDirection = nil
                event.body = .trade(trade)
            default: break
            }
            return event
        }
        #expect(expected.contains { $0.type == .trade } && expected.contains { $0.type == .orderbook })
        #expect(try drain(try store.replay(symbol: "ETHUSDT", from: .min, to: .max, fields: .engineInputs)) == expected)
    }
}

@Suite struct CompactionTests {
    @Test func smallFilesMergeIntoOneAndAnInterruptedRunDuplicatesNothing() throws {
        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat(rowGroupRows: 50))
        let events = storedStream(count: 600)
        for chunk in stride(from: 0, to: events.count, by: 100) {
            store.append(Array(events[chunk..<min(chunk + 100, events.count)]))
            try store.sync()
            try store.flush()  // one small file per type and symbol each time
        }
        let before = try drain(try store.replay(symbol: "BTCUSDT", from: .min, to: .max))
        let date = Time.formatDate(events[0].recvTs)
        let tradeDir = store.layout.partitionDirectory(type: .trade, symbol: "BTCUSDT", date: date)
        let inputs = try FileManager.default.contentsOfDirectory(atPath: tradeDir).sorted()
        #expect(inputs.count == 6)
        // Keep a copy of one input, as if the run had died before deleting it.
        let leftover = "\(tradeDir)/\(inputs[2])"
        let saved = try Data(contentsOf: URL(fileURLWithPath: leftover))
        let report = try store.compact(before: "9999-12-31")
        #expect(report.filesMerged > 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tradeDir).count == 1)
        #expect(try drain(try store.replay(symbol: "BTCUSDT", from: .min, to: .max)) == before)
        try saved.write(to: URL(fileURLWithPath: leftover))
        #expect(try drain(try store.replay(symbol: "BTCUSDT", from: .min, to: .max)) == before)  // covered: ignored
        let cleanup = try store.compact(before: "9999-12-31")
        #expect(cleanup.filesRemoved == 1)
        #expect(try drain(try store.replay(symbol: "BTCUSDT", from: .min, to: .max)) == before)
        // Today's partitions (date >= before) are left alone.
        #expect(try store.compact(before: date).partitions == 0)
    }
}

@Suite struct ReadAheadTests {
    /// Reading row groups ahead on other threads hands over the same events in the same order,
    /// across many row groups and files and a bounded queue, and ends where the plain replay ends.
    @Test(arguments: [1, 2, 4])
    func theSameEventsInTheSameOrder(depth: Int) throws {
        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat(rowGroupRows: 64))
        let events = storedStream(count: 1_000)
        store.append(Array(events.prefix(500)))
        try store.sync()
        try store.flush()
        store.append(Array(events.dropFirst(500)))
        try store.sync()
        try store.flush()
        for symbol in ["BTCUSDT", "ETHUSDT"] {
            let plain = try drain(try store.replay(symbol: symbol, from: .min, to: .max))
            let ahead = try store.replay(symbol: symbol, from: .min, to: .max)
            ahead.readAhead(depth: depth)
            var copy = ahead
            let read = try drain(ahead)
            #expect(read == plain)
            #expect(try copy.next() == nil, "stays at the end")
            #expect(read.count == events.filter { $0.symbol == symbol }.count)
        }
    }

    /// A caller that stops early releases the replay; the reading threads stop with it
    /// (nothing waits on them: this returns).
    @Test func stoppingEarlyReleasesTheReaders() throws {
        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat(rowGroupRows: 16))
        store.append(storedStream(count: 2_000))
        try store.sync()
        try store.flush()
        for _ in 0..<20 {
            var ahead = try store.replay(symbol: "BTCUSDT", from: .min, to: .max)
            ahead.readAhead(depth: 1)
            #expect(try ahead.next() != nil)
        }
    }

    /// A file that cannot be read fails the replay (the reading thread hands the error over).
    @Test func anUnreadableFileFailsTheReplay() throws {
        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat())
        store.append(storedStream(count: 300))
        try store.sync()
        try store.flush()
        let part = try store.layout.dates(type: .trade, symbol: "BTCUSDT").flatMap {
            try store.layout.parts(type: .trade, symbol: "BTCUSDT", date: $0, fileExtension: "parquet")
        }[0]
        try Data("not parquet".utf8).write(to: URL(fileURLWithPath: part))
        var ahead = try store.replay(symbol: "BTCUSDT", from: .min, to: .max)
        ahead.readAhead()
        #expect(throws: (any Error).self) { while try ahead.next() != nil {} }
    }
}
