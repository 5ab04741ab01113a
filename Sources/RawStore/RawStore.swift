import Foundation
public import MarketData
import Synchronization

#if canImport(CMalloc)
import CMalloc
#endif

/// Durable storage of every accepted raw event, and its ordered replay.
///
/// Ingest path: ``append(_:)`` then ``sync()`` — once `sync` returns, the events survive
/// `kill -9` and power loss (write-ahead log, group commit). Segments of the log are
/// converted to Parquet partitions when they fill up or on ``flush()``; conversion is
/// idempotent (file names derive from the segment), so a crash during it is repaired by
/// converting again on the next open. Converted segments are kept briefly so that a restart
/// can rebuild the duplicate filter and the per-symbol sequence counters.
public final class RawStore: Sendable {
    public struct Options: Sendable {
        /// Roll the log to Parquet when its open segment reaches this size.
        public var segmentBytes = 64 << 20
        /// Converted segments kept for restart bookkeeping (duplicate filter).
        public var keptConvertedSegments = 2
        /// Encoded log bytes a segment's conversion to Parquet holds at once: a larger segment
        /// is read in several sequential passes, so this (plus about one row group being
        /// written) bounds the conversion's memory, not the segment's size.
        public var conversionBufferBytes = 8 << 20
        /// The shard this store writes for (nil: a lone instance): its own log and dead letters,
        /// numbered above every file already in the partitions (``PartitionLayout/nextFreeFileNumber(fileExtension:)``).
        public var writer: String?
        public init() {}
    }

    public let layout: PartitionLayout
    public let format: any ColumnFileFormat
    public let options: Options
    /// nil for a store opened with ``init(readingRoot:format:)``.
    private let wal: WriteAheadLog?
    private let conversion = Mutex<Checkpoint>(Checkpoint())

    struct Checkpoint: Sendable {
        var sequences: [String: SequencePoint] = [:]
    }

    /// The last stamp given to a symbol.
    public struct SequencePoint: Sendable, Equatable, Codable {
        public var recvTs: Int64
        public var seq: Int64
    }

    /// Opens the store at `root`, recovering anything logged but not yet in Parquet.
    public init(root: String, format: any ColumnFileFormat, options: Options = Options()) throws {
        layout = PartitionLayout(root: root, writer: options.writer)
        self.format = format
        self.options = options
        try FileSystem.createDirectory(layout.rawDirectory)
        try FileSystem.createDirectory("\(layout.walDirectory)/converted")
        wal = try WriteAheadLog(
            directory: layout.walDirectory,
            firstRecordAtLeast: options.writer == nil ? 0 : try layout.nextFreeFileNumber(fileExtension: format.fileExtension))
        if let data = FileManager.default.contents(atPath: checkpointPath),
            let saved = try? JSONDecoder().decode([String: SequencePoint].self, from: data)
        {
            conversion.withLock { $0.sequences = saved }
        }
        // Every segment but the new open one is sealed: convert what a crash left behind.
        for segment in try WriteAheadLog.segments(in: layout.walDirectory) where segment != wal?.openSegment {
            try convert(segment)
        }
    }

    /// Opens the store's Parquet partitions for reading only (replay, coverage): the write-ahead
    /// log is neither opened nor converted, so another process (`serve`) may own the same data
    /// directory meanwhile. Dataset workers open the shared data directory this way. Appending to
    /// such a store stores nothing and syncing it throws.
    public init(readingRoot root: String, format: any ColumnFileFormat) {
        layout = PartitionLayout(root: root)
        self.format = format
        options = Options()
        wal = nil
    }

    private var checkpointPath: String { "\(layout.walDirectory)/sequences.json" }

    /// Buffers events for the log (in stamping order); returns the record number to wait for.
    @discardableResult
    public func append(_ events: [MarketEvent]) -> UInt64 { wal?.append(events) ?? 0 }

    /// The durability point: everything appended before is on disk when this returns. With
    /// `rollingWhenFull` (the default) a sync that leaves the open segment full also converts it
    /// to Parquet before returning; a caller that must not wait for a conversion (the live path's
    /// committer, which acks after each sync) passes false and rolls when ``isOpenSegmentFull``.
    @discardableResult
    public func sync(rollingWhenFull: Bool = true) throws -> UInt64 {
        guard let wal else { throw StoreError.invalidArgument("this store was opened for reading only") }
        let durable = try wal.sync()
        if rollingWhenFull && isOpenSegmentFull { try flush() }
        return durable
    }

    /// Whether the open log segment has reached ``Options/segmentBytes`` (a roll is due).
    public var isOpenSegmentFull: Bool { (wal?.openSegmentBytes ?? 0) >= options.segmentBytes }

    /// Seals the open log segment and converts it to Parquet now.
    public func flush() throws {
        guard let sealed = try wal?.rotate() else { return }
        try convert(sealed)
        releaseFreedMemory()
    }

    /// A conversion decodes a whole segment and frees it again; glibc keeps such freed heap
    /// for reuse, so without this the resident size steps up after a large roll and stays there.
    private func releaseFreedMemory() {
        #if canImport(CMalloc)
        malloc_trim(0)
        #endif
    }

    /// Writes already stamped events straight to Parquet partitions, bypassing the log: for
    /// backfills and benchmarks, where the source can be re-read after a crash. `part`
    /// names the files (use numbers above any log segment, e.g. a timestamp).
    public func bulkLoad(_ events: [MarketEvent], part: UInt64) throws {
        var groups: [String: (type: EventType, symbol: String, date: String, events: [MarketEvent])] = [:]
        for event in events {
            let date = Time.formatDate(event.recvTs)
            groups["\(event.type.rawValue)|\(event.symbol)|\(date)", default: (event.type, event.symbol, date, [])].events.append(event)
        }
        for group in groups.values {
            try FileSystem.createDirectory(layout.partitionDirectory(type: group.type, symbol: group.symbol, date: group.date))
            let path = layout.partFile(
                type: group.type, symbol: group.symbol, date: group.date, segment: part, fileExtension: format.fileExtension)
            try format.write(
                path: path, schema: EventTables.schema(group.type), columns: EventTables.columns(group.type, group.events), metadata: [:])
        }
    }

    /// Per-symbol last stamps, for restoring the stamper after a restart.
    public func sequencePoints() throws -> [String: SequencePoint] {
        var points = conversion.withLock { $0.sequences }
        for segment in try WriteAheadLog.segments(in: layout.walDirectory) {
            for event in try WriteAheadLog.readSegment(segment.path).events {
                points[event.symbol] = SequencePoint(recvTs: event.recvTs, seq: event.seq)
            }
        }
        return points
    }

    /// Recently stored events (kept log segments), for rebuilding the duplicate filter.
    public func recentEvents() throws -> [MarketEvent] {
        let converted = try WriteAheadLog.segments(in: "\(layout.walDirectory)/converted")
        let open = try WriteAheadLog.segments(in: layout.walDirectory)
        return try (converted + open).flatMap { try WriteAheadLog.readSegment($0.path).events }
    }

    private func convert(_ segment: WriteAheadLog.Segment) throws {
        // Memory: the segment is read in passes (SegmentConversion) and each file is written a
        // batch at a time, so the peak is the conversion buffer plus about one row group.
        var reader = try SegmentConversion(path: segment.path, bufferBytes: options.conversionBufferBytes)
        var directories: Set<String> = []
        for index in reader.order {
            let group = reader.groups[index]
            let directory = layout.partitionDirectory(type: group.type, symbol: group.symbol, date: group.date)
            try FileSystem.createDirectory(directory)
            let path = layout.partFile(
                type: group.type, symbol: group.symbol, date: group.date, segment: segment.firstRecord,
                fileExtension: format.fileExtension)
            try format.write(
                path: path, schema: EventTables.schema(group.type),
                metadata: [
                    "feature_service.segment": String(segment.firstRecord), "feature_service.type": group.type.rawValue,
                    "feature_service.symbol": group.symbol,
                ]
            ) { try reader.nextBatch(index) }
            directories.insert(directory)
        }
        let sequences = reader.sequences
        for directory in directories { try FileSystem.syncDirectory(directory) }
        try conversion.withLock { state in
            state.sequences.merge(sequences) { _, new in new }
            let data = try JSONEncoder().encode(state.sequences)
            let temporary = checkpointPath + ".tmp"
            try data.write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, checkpointPath) == 0 else { throw StoreError.io("rename \(temporary)", errno) }
        }
        // The Parquet files are durable: the segment moves aside (kept briefly, see Options).
        let convertedDirectory = "\(layout.walDirectory)/converted"
        let target = "\(convertedDirectory)/\((segment.path as NSString).lastPathComponent)"
        guard rename(segment.path, target) == 0 else { throw StoreError.io("rename \(segment.path)", errno) }
        try FileSystem.syncDirectory(layout.walDirectory)
        let kept = try WriteAheadLog.segments(in: convertedDirectory)
        for old in kept.dropLast(options.keptConvertedSegments) { try FileSystem.remove(old.path) }
    }

    /// Every stored event of `symbol` with `from <= recvTs < to`, all types merged in
    /// `(recvTs, seq)` order, streamed row group by row group (bounded memory).
    public func replay(
        symbol: String, from: Int64, to: Int64, types: Set<EventType> = Set(EventType.allCases), fields: ReplayFields = .all
    ) throws -> StoreReplay {
        guard from < to else { throw StoreError.invalidArgument("empty time range: from must be before to") }
        var sources: [TypeCursor] = []
        // Open-ended ranges (.min / .max) cover every date partition.
        let firstDate = from <= 0 ? "" : Time.formatDate(from)
        let lastDate = to >= Int64.max / 2 ? "~" : Time.formatDate(to - 1)
        for type in EventType.allCases where types.contains(type) {
            var files: [String] = []
            for date in try layout.dates(type: type, symbol: symbol) where date >= firstDate && date <= lastDate {
                files += try layout.parts(type: type, symbol: symbol, date: date, fileExtension: format.fileExtension)
            }
            if !files.isEmpty {
                sources.append(TypeCursor(type: type, symbol: symbol, files: files, format: format, from: from, to: to, fields: fields))
            }
        }
        return StoreReplay(cursors: sources)
    }

    /// The periods that hold data for `symbol` (file-level bounds, merged when less than
    /// `mergeGap` apart), so that a request for an empty period can name the full ones.
    public func coverage(symbol: String, mergeGap: Int64 = 60 * Time.nanosPerSecond) throws -> [ClosedRange<Int64>] {
        var ranges: [ClosedRange<Int64>] = []
        for type in EventType.allCases {
            for date in try layout.dates(type: type, symbol: symbol) {
                for file in try layout.parts(type: type, symbol: symbol, date: date, fileExtension: format.fileExtension) {
                    if let bounds = try format.recvTsBounds(path: file) { ranges.append(bounds) }
                }
            }
        }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<Int64>] = []
        for range in ranges {
            if let last = merged.last, range.lowerBound <= last.upperBound + mergeGap {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }
}

/// Reads one type's files of a symbol in order, one row group at a time, a message at a time.
final class TypeCursor {
    let type: EventType
    let symbol: String
    let from: Int64
    let to: Int64
    let specs: [ColumnSpec]
    private var source: any RowGroupSource
    /// The current row group (an empty one before the first and after the last).
    private var group: RowCursor

    init(type: EventType, symbol: String, files: [String], format: any ColumnFileFormat, from: Int64, to: Int64, fields: ReplayFields) {
        self.type = type
        self.symbol = symbol
        self.from = from
        self.to = to
        specs = fields.schema(type)
        source = FileRowGroups(format: format, files: files, schema: specs, from: from, to: to)
        group = RowCursor(emptyOf: type, symbol: symbol)
    }

    /// From now on, row groups are read and decoded on a thread of their own, `depth` ahead.
    func readAhead(depth: Int) {
        guard !(source is PrefetchedRowGroups) else { return }
        source = PrefetchedRowGroups(source, depth: depth)
    }

    /// Moves to the next row group with rows; false when the type is exhausted.
    private func loadNextGroup() throws -> Bool {
        while let columns = try source.next() {
            let next = try RowCursor(type, symbol: symbol, specs: specs, columns: columns)
            if next.atEnd { continue }
            group = next
            return true
        }
        group = RowCursor(emptyOf: type, symbol: symbol)
        return false
    }

    /// `(recvTs, seq)` of the next message in range, or nil when the type is exhausted.
    /// (Keys only, read from the columns: the merge compares them without decoding events.)
    func peekKey() throws -> (Int64, Int64)? {
        while true {
            if !group.atEnd {
                let key = group.key
                if key.0 >= from && key.0 < to { return key }
                group.skipMessage()
                // A skipped book message's rows may go on in the next row group: same key, skipped too.
                continue
            }
            guard try loadNextGroup() else { return nil }
        }
    }

    /// Reads the message `peekKey` described into `event`.
    func take(into event: inout MarketEvent) throws {
        try group.decode(into: &event)
        // A book message's rows can straddle a row-group (or file) boundary.
        while type == .orderbook, group.atEnd, try loadNextGroup(), group.continues(event) {
            try group.appendLevels(into: &event)
        }
    }
}

/// An ordered replay: every type's events merged by `(recvTs, seq)`.
/// Use as `while let event = try replay.next() { ... }`, or, to reuse one event's storage
/// (a book's level arrays) from message to message, `while try replay.next(into: &event) { ... }`.
public struct StoreReplay {
    let cursors: [TypeCursor]
    private let types: [EventType]
    /// Each cursor's next key, `(.max, .max)` once exhausted; only the cursor taken from last
    /// is asked again (the merge of the others is a comparison of plain values).
    private var heads: [(Int64, Int64)]
    /// The cursors whose head must be read again: all before the first event, then the last one taken.
    private var stale: Range<Int>
    /// A book's level arrays, kept while the caller's event holds other types (books and trades
    /// alternate), so that the next book message refills them instead of allocating.
    private var spareBook: BookUpdate?

    init(cursors: [TypeCursor]) {
        self.cursors = cursors
        types = cursors.map(\.type)
        heads = Array(repeating: (.max, .max), count: cursors.count)
        stale = cursors.indices
    }

    /// Reads and decodes each type's row groups on a thread of its own, `depth` row groups
    /// ahead (the Parquet decoding then runs on a second core while the caller turns rows into
    /// events and applies them). For long replays: datasets, rebuilds, warm starts. The
    /// threads end with the replay (at its end, at an error, or when it is released).
    public func readAhead(depth: Int = 2) {
        for cursor in cursors { cursor.readAhead(depth: depth) }
    }

    /// Reads the next event into `event`, reusing its storage when nothing else holds it;
    /// false at the end (`event` is then unchanged). Throws on unreadable or corrupt files.
    public mutating func next(into event: inout MarketEvent) throws -> Bool {
        for index in stale { heads[index] = try cursors[index].peekKey() ?? (.max, .max) }
        stale = 0..<0
        var best = -1
        var bestKey: (Int64, Int64) = (.max, .max)
        for index in heads.indices where heads[index] < bestKey {
            best = index
            bestKey = heads[index]
        }
        guard best >= 0 else { return false }
        stale = best..<(best + 1)
        let isBook = types[best] == .orderbook
        if case .book = event.body {
            if !isBook { spareBook = RowCursor.takeBook(from: &event) }
        } else if isBook, spareBook != nil {
            event.body = .book(spareBook.take()!)
        }
        try cursors[best].take(into: &event)
        return true
    }

    /// An event to read into with ``next(into:)`` (its fields are overwritten by the first read).
    public static func emptyEvent(symbol: String = "") -> MarketEvent {
        MarketEvent(symbol: symbol, recvTs: 0, seq: 0, body: RowCursor.placeholder)
    }

    /// The next event, nil at the end; throws on unreadable or corrupt files.
    public mutating func next() throws -> MarketEvent? {
        var event = Self.emptyEvent()
        return try next(into: &event) ? event : nil
    }
}
