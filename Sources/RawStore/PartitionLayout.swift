public import MarketData

/// Where raw events live: Hive-style partitions that pyarrow, Polars, DuckDB and Spark read
/// as one dataset (interfaces.md §3):
/// `{root}/raw/type={type}/symbol={symbol}/date={YYYY-MM-DD}/part-{first record}.{ext}`,
/// the date being the UTC date of `recv_ts`.
///
/// Several shards can share one root (a shared filesystem): each has its own log and dead
/// letters (`wal-{shard}`, `dead-letter-{shard}`) and writes only its own symbols' partitions.
public struct PartitionLayout: Sendable {
    public let root: String
    /// The shard whose log and dead letters this layout names (nil: a lone instance).
    public let writer: String?

    public init(root: String, writer: String? = nil) {
        self.root = root
        self.writer = writer
    }

    public var rawDirectory: String { "\(root)/raw" }
    public var walDirectory: String { writer.map { "\(root)/wal-\($0)" } ?? "\(root)/wal" }
    public var deadLetterDirectory: String { writer.map { "\(root)/dead-letter-\($0)" } ?? "\(root)/dead-letter" }

    public func partitionDirectory(type: EventType, symbol: String, date: String) -> String {
        "\(rawDirectory)/type=\(type.rawValue)/symbol=\(symbol)/date=\(date)"
    }

    /// The file holding one WAL segment's events of one partition: the name is derived from
    /// the segment, so converting a segment twice (after a crash) rewrites the same file.
    public func partFile(type: EventType, symbol: String, date: String, segment: UInt64, fileExtension: String) -> String {
        let digits = String(segment)
        let padded = String(repeating: "0", count: max(0, 20 - digits.count)) + digits
        return "\(partitionDirectory(type: type, symbol: symbol, date: date))/part-\(padded).\(fileExtension)"
    }

    /// Symbols with stored data of any type.
    public func symbols() throws(StoreError) -> [String] {
        var result: Set<String> = []
        for type in EventType.allCases {
            for entry in try FileSystem.list("\(rawDirectory)/type=\(type.rawValue)") where entry.hasPrefix("symbol=") {
                result.insert(String(entry.dropFirst("symbol=".count)))
            }
        }
        return result.sorted()
    }

    /// Dates (`YYYY-MM-DD`) with a partition of `type` for `symbol`, sorted.
    public func dates(type: EventType, symbol: String) throws(StoreError) -> [String] {
        try FileSystem.list("\(rawDirectory)/type=\(type.rawValue)/symbol=\(symbol)")
            .filter { $0.hasPrefix("date=") }.map { String($0.dropFirst(5)) }.sorted()
    }

    /// A data file of a partition: `part-<n>` (one log segment or bulk load) or
    /// `compact-<first>-<last>` (the merge of every file numbered first...last).
    public struct PartFile: Sendable, Equatable {
        public var path: String
        public var first: UInt64
        public var last: UInt64
        public var isCompacted: Bool
    }

    /// The files of one partition to read, in write order. Files covered by a compacted file
    /// (left behind if compaction was interrupted before deleting them) are skipped, so a
    /// crash during compaction never shows an event twice.
    public func partFiles(type: EventType, symbol: String, date: String, fileExtension: String) throws(StoreError) -> [PartFile] {
        let dir = partitionDirectory(type: type, symbol: symbol, date: date)
        var files: [PartFile] = []
        for name in try FileSystem.list(dir) where name.hasSuffix(".\(fileExtension)") {
            let stem = name.dropLast(fileExtension.count + 1)
            if stem.hasPrefix("part-"), let n = UInt64(stem.dropFirst(5)) {
                files.append(PartFile(path: "\(dir)/\(name)", first: n, last: n, isCompacted: false))
            } else if stem.hasPrefix("compact-") {
                let bounds = stem.dropFirst(8).split(separator: "-")
                if bounds.count == 2, let a = UInt64(bounds[0]), let b = UInt64(bounds[1]) {
                    files.append(PartFile(path: "\(dir)/\(name)", first: a, last: b, isCompacted: true))
                }
            }
        }
        let compacted = files.filter(\.isCompacted)
        let visible = files.filter { file in
            !compacted.contains { other in
                other.path != file.path && other.first <= file.first && file.last <= other.last
                    && (other.last - other.first > file.last - file.first || !file.isCompacted)
            }
        }
        return visible.sorted { ($0.first, $0.last) < ($1.first, $1.last) }
    }

    /// One above the highest file number in the latest partition of every (type, symbol): a shard
    /// numbers its log from there, so the files it writes for a symbol that another shard owned
    /// before sort after that shard's and never take their names.
    public func nextFreeFileNumber(fileExtension: String) throws(StoreError) -> UInt64 {
        var highest: UInt64?
        for type in EventType.allCases {
            for entry in try FileSystem.list("\(rawDirectory)/type=\(type.rawValue)") where entry.hasPrefix("symbol=") {
                let symbol = String(entry.dropFirst("symbol=".count))
                guard let date = try dates(type: type, symbol: symbol).last else { continue }
                for file in try partFiles(type: type, symbol: symbol, date: date, fileExtension: fileExtension) {
                    highest = max(highest ?? 0, file.last)
                }
            }
        }
        return highest.map { $0 &+ 1 } ?? 0
    }

    /// Paths of the files to read, in write order.
    public func parts(type: EventType, symbol: String, date: String, fileExtension: String) throws(StoreError) -> [String] {
        try partFiles(type: type, symbol: symbol, date: date, fileExtension: fileExtension).map(\.path)
    }

    /// The file name of a compacted range.
    public func compactFile(type: EventType, symbol: String, date: String, first: UInt64, last: UInt64, fileExtension: String) -> String {
        func pad(_ n: UInt64) -> String { let d = String(n); return String(repeating: "0", count: max(0, 20 - d.count)) + d }
        return "\(partitionDirectory(type: type, symbol: symbol, date: date))/compact-\(pad(first))-\(pad(last)).\(fileExtension)"
    }
}
