import Foundation
import MarketData
import RawStore
import ServiceTestSupport
import TestSupport
import Testing

/// Shards sharing one data directory: each keeps its own log, and a symbol that moves from one
/// shard to another gets files that sort after (and never take the names of) the old owner's.
@Suite struct SharedDirectoryTests {
    func store(_ root: String, writer: String) throws -> RawStore {
        var options = RawStore.Options()
        options.writer = writer
        return try RawStore(root: root, format: ParquetFormat(), options: options)
    }

    @Test func twoWritersKeepTheirOwnLogsAndTheirOwnSymbols() throws {
        let root = scratchDirectory()
        let events = storedStream(count: 300)
        let a = try store(root, writer: "a")
        let b = try store(root, writer: "b")
        _ = a.append(events.filter { $0.symbol == "BTCUSDT" })
        _ = b.append(events.filter { $0.symbol == "ETHUSDT" })
        try a.flush()
        try b.flush()
        #expect(FileManager.default.fileExists(atPath: "\(root)/wal-a"))
        #expect(FileManager.default.fileExists(atPath: "\(root)/wal-b"))
        #expect(!FileManager.default.fileExists(atPath: "\(root)/wal"))
        #expect(try storedEvents(root).count == events.count)
    }

    @Test func aSymbolsNewOwnerWritesAfterTheOldOnesFiles() throws {
        let root = scratchDirectory()
        let events = storedStream(count: 400).filter { $0.symbol == "BTCUSDT" }
        let (first, second) = (Array(events.prefix(120)), Array(events.dropFirst(120)))
        do {
            let a = try store(root, writer: "a")
            _ = a.append(first)
            try a.flush()
        }
        // Shard b has a log of its own from before (numbered from 0 too): without the floor its
        // next file could be named like a's.
        do {
            let b = try store(root, writer: "b")
            // a's file is named after its log's first record, 0: b numbers from above it.
            #expect(try b.layout.nextFreeFileNumber(fileExtension: "parquet") == 1)
            _ = b.append(second)
            try b.flush()
        }
        let layout = PartitionLayout(root: root)
        let date = Time.formatDate(events[0].recvTs)
        let files = try layout.partFiles(type: events[0].body.type, symbol: "BTCUSDT", date: date, fileExtension: "parquet")
        #expect(files.map(\.first) == [0, 1], "a's file, then b's")
        // Read back in write order: the old owner's events, then the new owner's, none lost.
        #expect(try storedEvents(root) == events)
    }
}
