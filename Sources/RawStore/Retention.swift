import Foundation
public import MarketData

/// The retention policy: raw partitions older than the retention period are archived
/// (moved under an archive root, same relative layout) or deleted. Today's partitions
/// (UTC) are never touched, whatever the period.
public struct Retention: Sendable {
    public enum Action: Sendable, Equatable {
        case delete
        case archive(root: String)
    }

    /// One partition the policy applies to.
    public struct Partition: Sendable, Equatable {
        public var type: EventType
        public var symbol: String
        public var date: String
        public var path: String
    }

    public let layout: PartitionLayout
    public let days: Int

    public init(layout: PartitionLayout, days: Int) throws(StoreError) {
        guard days >= 1 else { throw StoreError.invalidArgument("retention must be at least 1 day, got \(days)") }
        self.layout = layout
        self.days = days
    }

    /// The first UTC day (days since 1970-01-01) a retention period of `days` keeps at `now`:
    /// partitions of earlier days expire.
    public static func firstKeptDay(now: Nanos, days: Int) -> Int64 {
        Time.floorDiv(now, Time.nanosPerDay) - Int64(days)
    }

    /// The shortest retention period that keeps UTC day `day` at `now` (it grows by one each day).
    public static func daysNeeded(toKeep day: Int64, now: Nanos) -> Int {
        Int(max(1, Time.floorDiv(now, Time.nanosPerDay) - day))
    }

    /// Partitions dated before `now`'s UTC date minus `days`, oldest first.
    public func expired(now: Nanos) throws(StoreError) -> [Partition] {
        let today = Time.formatDate(now)
        let cutoff = Time.formatDate(Self.firstKeptDay(now: now, days: days) * Time.nanosPerDay)
        var result: [Partition] = []
        for symbol in try layout.symbols() {
            for type in EventType.allCases {
                for date in try layout.dates(type: type, symbol: symbol) where date < cutoff && date < today {
                    result.append(
                        Partition(
                            type: type, symbol: symbol, date: date,
                            path: layout.partitionDirectory(type: type, symbol: symbol, date: date)))
                }
            }
        }
        return result.sorted { ($0.date, $0.type.rawValue, $0.symbol) < ($1.date, $1.type.rawValue, $1.symbol) }
    }

    /// What applying the policy to some partitions removes, for the log and the command line.
    public struct Summary: Sendable, Equatable, CustomStringConvertible {
        public var partitions = 0
        /// The partitions' distinct dates (`YYYY-MM-DD`), sorted.
        public var dates: [String] = []
        /// Market events (a book message counts once, however many levels it has).
        public var events: Int64 = 0
        /// Table rows, from the file footers (the book is stored one row per level).
        public var rows: Int64 = 0
        /// Data files that could not be read: their rows and events are not counted.
        public var unreadableFiles = 0

        public init() {}

        /// E.g. `3 partitions, 2 days (2026-01-01 to 2026-01-02), 1200 events (5100 rows)`.
        public var description: String {
            var out = "\(partitions) partition\(partitions == 1 ? "" : "s"), \(dates.count) day\(dates.count == 1 ? "" : "s")"
            if let first = dates.first, let last = dates.last { out += first == last ? " (\(first))" : " (\(first) to \(last))" }
            out += ", \(events) event\(events == 1 ? "" : "s")"
            if rows != events { out += " (\(rows) rows)" }
            if unreadableFiles > 0 { out += ", \(unreadableFiles) unreadable file\(unreadableFiles == 1 ? "" : "s") not counted" }
            return out
        }
    }

    /// Counts what `partitions` hold (call it before ``apply(_:to:)``). Rows come from the
    /// footers; only book files are read (two columns) to count their messages. Files a
    /// finished compaction superseded are not counted twice.
    public func summary(of partitions: [Partition], format: any ColumnFileFormat) -> Summary {
        var summary = Summary()
        summary.partitions = partitions.count
        summary.dates = Set(partitions.map(\.date)).sorted()
        for partition in partitions {
            guard
                let files = try? layout.parts(
                    type: partition.type, symbol: partition.symbol, date: partition.date,
                    fileExtension: format.fileExtension)
            else {
                summary.unreadableFiles += 1
                continue
            }
            for file in files {
                // A corrupt file must not stop the policy: it is reported, not counted.
                guard let rows = try? format.rowCount(path: file),
                    let events = partition.type == .orderbook ? (try? Self.bookMessages(in: file, format: format)) : rows
                else {
                    summary.unreadableFiles += 1
                    continue
                }
                summary.rows += rows
                summary.events += events
            }
        }
        return summary
    }

    /// Book messages in a file: runs of rows sharing `(recv_ts, seq)` (one row per level).
    static func bookMessages(in path: String, format: any ColumnFileFormat) throws -> Int64 {
        let schema = EventTables.schema(.orderbook).filter { $0.name == "recv_ts" || $0.name == "seq" }
        var messages: Int64 = 0
        var last: (Int64, Int64)?
        // A message may straddle row groups: `last` carries over.
        for group in try format.readRowGroups(path: path, schema: schema, recvTsFrom: .min, to: .max) {
            guard case .int64(let recv, _) = group[0], case .int64(let seq, _) = group[1] else {
                throw StoreError.corrupt("\(path): recv_ts or seq is not int64")
            }
            for row in recv.indices where last.map({ $0 != (recv[row], seq[row]) }) ?? true {
                messages += 1
                last = (recv[row], seq[row])
            }
        }
        return messages
    }

    /// Applies `action` to `partitions`; returns the paths acted on.
    @discardableResult
    public func apply(_ action: Action, to partitions: [Partition]) throws -> [String] {
        var done: [String] = []
        for partition in partitions {
            switch action {
            case .delete:
                try FileManager.default.removeItem(atPath: partition.path)
            case .archive(let root):
                let relative = String(partition.path.dropFirst(layout.root.count))
                let target = root + relative
                try FileManager.default.createDirectory(
                    atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                if FileManager.default.fileExists(atPath: target) {
                    // Archived before (partially?): merge file by file.
                    for file in try FileManager.default.contentsOfDirectory(atPath: partition.path) {
                        let destination = "\(target)/\(file)"
                        if FileManager.default.fileExists(atPath: destination) { try FileManager.default.removeItem(atPath: destination) }
                        try FileManager.default.moveItem(atPath: "\(partition.path)/\(file)", toPath: destination)
                    }
                    try FileManager.default.removeItem(atPath: partition.path)
                } else {
                    try FileManager.default.moveItem(atPath: partition.path, toPath: target)
                }
            }
            done.append(partition.path)
        }
        return done
    }
}
