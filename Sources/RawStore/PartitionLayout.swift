public import MarketData

/// Where raw events live: Hive-style partitions that pyarrow, Polars, DuckDB and Spark read
/// as one dataset (interfaces.md §3):
/// `{root}/raw/type={type}/symbol={symbol}/date={YYYY-MM-DD}/part-{first record}.{ext}`,
/// the date being the UTC date of `recv_ts`.
public struct PartitionLayout: Sendable {
    public let root: String
    public init(root: String) { self.root = root }

    public var rawDirectory: String { "\(root)/raw" }
    public var walDirectory: String { "\(root)/wal" }
    public var deadLetterDirectory: String { "\(root)/dead-letter" }

    public func partitionDirectory(type: EventType, symbol: String, date: String) -> String {
        "\(rawDirectory)/type=\(type.rawValue)/symbol=\(symbol)/date=\(date)"
    }

    /// The file holding one WAL segment's events of one partition: the name is derived from
    /// the segment, so converting a segment twice (after a crash) rewrites the same file.
    public func partFile(type: EventType, symbol: String, date: String, segment: UInt64, fileExtension: String) -> String {
        let digits = String(segment)
        return "\(partitionDirectory(type: type, symbol: symbol, date: date))/part-\(String(repeating: "0", count: max(0, 20 - digits.count)))\(digits).\(fileExtension)"
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

    /// Part files of one partition in write order.
    public func parts(type: EventType, symbol: String, date: String, fileExtension: String) throws(StoreError) -> [String] {
        let dir = partitionDirectory(type: type, symbol: symbol, date: date)
        return try FileSystem.list(dir).filter { $0.hasPrefix("part-") && $0.hasSuffix(".\(fileExtension)") }.sorted().map { "\(dir)/\($0)" }
    }
}
