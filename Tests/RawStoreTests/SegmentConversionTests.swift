import Foundation
import MarketData
import ServiceTestSupport
import TestSupport
import Testing

@testable import RawStore

/// Four symbols, every event type, over midnight (two date partitions), with book snapshots
/// of up to 40 levels: many (type, symbol, day) groups whose records interleave in the log.
func manyGroupsStream(count: Int = 1_200) -> [MarketEvent] {
    var stamper = Stamper()
    let symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"]
    let midnight: Nanos = 1_764_028_800_000_000_000
    return (0..<count).map { i in
        let symbol = symbols[i % symbols.count]
        var template = sampleEvents[(i / symbols.count) % sampleEvents.count]
        if case .book(var book) = template.body, book.isSnapshot {
            book.bids = (0..<(i % 40)).map { PriceLevel(price: 100 - Double($0), size: Double(i)) }
            template.body = .book(book)
        }
        let unstamped = UnstampedEvent(
            symbol: symbol, exchTsMs: template.exchTsMs, gatewayTs: template.gatewayTs, traceId: template.traceId, body: template.body)
        return stamper.stamp(unstamped, at: midnight - Nanos(count / 2) * 1_000_000 + Nanos(i) * 1_000_000)
    }
}

/// The rows of a (type, symbol, day) file as the whole-segment conversion wrote them: its
/// events' columns, in log order.
func expectedColumns(_ events: [MarketEvent], type: EventType, symbol: String, date: String) -> [ColumnData] {
    EventTables.columns(type, events.filter { $0.type == type && $0.symbol == symbol && Time.formatDate($0.recvTs) == date })
}

/// Concatenates row groups' columns (as read) into one table.
func concatenated(_ groups: [[ColumnData]]) -> [ColumnData] {
    guard var table = groups.first else { return [] }
    for group in groups.dropFirst() {
        for index in table.indices {
            switch (table[index], group[index]) {
            case (.int64(let a, let av), .int64(let b, let bv)): table[index] = .int64(a + b, valid: av.map { $0 + bv! })
            case (.double(let a, let av), .double(let b, let bv)): table[index] = .double(a + b, valid: av.map { $0 + bv! })
            case (.bool(let a, let av), .bool(let b, let bv)): table[index] = .bool(a + b, valid: av.map { $0 + bv! })
            case (.string(let a, let av), .string(let b, let bv)): table[index] = .string(a + b, valid: av.map { $0 + bv! })
            default: Issue.record("row groups of different column types")
            }
        }
    }
    return table
}

@Suite struct SegmentConversionTests {
    /// A conversion buffer far smaller than the segment: the segment is read in many passes,
    /// groups are split across them, and each file is written in many batches and row
    /// groups — yet every file holds its group's rows in log order, and replay gives back
    /// exactly the events appended.
    @Test func aSegmentConvertedInSmallPassesHoldsEveryGroupsRowsInLogOrder() throws {
        let root = scratchDirectory()
        var options = RawStore.Options()
        options.conversionBufferBytes = 1_500
        let format = ParquetFormat(rowGroupRows: 50)
        let store = try RawStore(root: root, format: format, options: options)
        let events = manyGroupsStream()
        store.append(events)
        try store.sync()
        try store.flush()

        let dates = Set(events.map { Time.formatDate($0.recvTs) })
        #expect(dates.count == 2)
        var files = 0
        for symbol in Set(events.map(\.symbol)) {
            for type in EventType.allCases {
                for date in try store.layout.dates(type: type, symbol: symbol) {
                    let parts = try store.layout.parts(type: type, symbol: symbol, date: date, fileExtension: format.fileExtension)
                    #expect(parts.count == 1)
                    let groups = try format.readRowGroups(path: parts[0], schema: EventTables.schema(type), recvTsFrom: .min, to: .max)
                    #expect(concatenated(groups) == expectedColumns(events, type: type, symbol: symbol, date: date))
                    // Full row groups of the format's size, the last one holding the rest.
                    #expect(groups.dropLast().allSatisfy { $0[0].count == 50 })
                    files += 1
                }
            }
            #expect(try drain(try store.replay(symbol: symbol, from: .min, to: .max)) == events.filter { $0.symbol == symbol })
        }
        #expect(files == 4 * EventType.allCases.count * 2)
    }

    /// The reader's contract: groups in file-name order, each group's records in log order,
    /// batches of whole events near `batchRows` rows, whatever the buffer — even one smaller
    /// than a single record (then one record a pass).
    @Test(arguments: [1, 700, 1 << 20])
    func batchesFollowTheLogWhateverTheBuffer(bufferBytes: Int) throws {
        let directory = scratchDirectory()
        let log = try WriteAheadLog(directory: directory)
        let events = manyGroupsStream(count: 300)
        log.append(events)
        try log.sync()
        var reader = try SegmentConversion(path: log.openSegment.path, bufferBytes: bufferBytes, batchRows: 10)
        #expect(reader.groups.map(\.records).reduce(0, +) == events.count)
        let keys = reader.order.map { "\(reader.groups[$0].type.rawValue)|\(reader.groups[$0].symbol)|\(reader.groups[$0].date)" }
        #expect(keys == keys.sorted())
        for index in reader.order {
            let group = reader.groups[index]
            var batches: [[ColumnData]] = []
            while let batch = try reader.nextBatch(index) { batches.append(batch) }
            #expect(concatenated(batches) == expectedColumns(events, type: group.type, symbol: group.symbol, date: group.date))
            // A batch ends at the first event that reaches 10 rows: at most 9 + one event's rows.
            #expect(batches.allSatisfy { $0[0].count < 10 + 40 })
        }
        #expect(
            reader.sequences["BTCUSDT"]
                == events.last { $0.symbol == "BTCUSDT" }.map { RawStore.SequencePoint(recvTs: $0.recvTs, seq: $0.seq) })
    }

    /// A record larger than the reader's 1 MiB window (a 70,000-level snapshot) is read whole,
    /// by the log's reader and by the conversion.
    @Test func aRecordLargerThanTheReadWindowRoundTrips() throws {
        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat())
        var stamper = Stamper()
        let levels = (0..<70_000).map { PriceLevel(price: Double($0), size: 1) }
        let events = [
            stamper.stamp(
                UnstampedEvent(symbol: "BTCUSDT", body: .book(BookUpdate(isSnapshot: true, updateId: 1, bids: levels, asks: []))), at: 10),
            stamper.stamp(UnstampedEvent(symbol: "BTCUSDT", body: .funding(FundingUpdate(fundingRate: 0.1))), at: 11),
        ]
        store.append(events)
        try store.sync()
        #expect(try store.recentEvents() == events)
        try store.flush()
        #expect(try drain(try store.replay(symbol: "BTCUSDT", from: .min, to: .max)) == events)
    }

    /// A crash during a conversion leaves the segment in the log, some of its files written and
    /// a writer's temporary file: opening the store converts the segment again, and every event
    /// is there once.
    @Test func aConversionInterruptedByACrashIsRedoneOnOpen() throws {
        let root = scratchDirectory()
        var options = RawStore.Options()
        options.conversionBufferBytes = 2_000
        let events = manyGroupsStream(count: 400)
        let layout: PartitionLayout
        do {
            let store = try RawStore(root: root, format: ParquetFormat(rowGroupRows: 30), options: options)
            layout = store.layout
            store.append(events)
            try store.flush()
        }
        // Back to the state of a crash mid-conversion: the segment not yet moved aside, one
        // group's file not yet renamed into place (its temporary file half written).
        let converted = try WriteAheadLog.segments(in: "\(layout.walDirectory)/converted")
        let segment = try #require(converted.last)
        let name = (segment.path as NSString).lastPathComponent
        try FileManager.default.moveItem(atPath: segment.path, toPath: "\(layout.walDirectory)/\(name)")
        let date = Time.formatDate(events[0].recvTs)
        let part = try #require(try layout.parts(type: .orderbook, symbol: "ETHUSDT", date: date, fileExtension: "parquet").first)
        try FileManager.default.removeItem(atPath: part)
        try Data("PAR1 torn".utf8).write(to: URL(fileURLWithPath: part + ".tmp-1234"))

        let reopened = try RawStore(root: root, format: ParquetFormat(rowGroupRows: 30), options: options)
        for symbol in Set(events.map(\.symbol)) {
            #expect(try drain(try reopened.replay(symbol: symbol, from: .min, to: .max)) == events.filter { $0.symbol == symbol })
        }
        #expect(try WriteAheadLog.segments(in: layout.walDirectory).allSatisfy { $0.path != "\(layout.walDirectory)/\(name)" })
    }
}
