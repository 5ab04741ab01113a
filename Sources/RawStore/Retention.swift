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

    /// Partitions dated before `now`'s UTC date minus `days`, oldest first.
    public func expired(now: Nanos) throws(StoreError) -> [Partition] {
        let today = Time.formatDate(now)
        let cutoff = Time.formatDate(now - Int64(days) * Time.nanosPerDay)
        var result: [Partition] = []
        for symbol in try layout.symbols() {
            for type in EventType.allCases {
                for date in try layout.dates(type: type, symbol: symbol) where date < cutoff && date < today {
                    result.append(Partition(type: type, symbol: symbol, date: date,
                                            path: layout.partitionDirectory(type: type, symbol: symbol, date: date)))
                }
            }
        }
        return result.sorted { ($0.date, $0.type.rawValue, $0.symbol) < ($1.date, $1.type.rawValue, $1.symbol) }
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
                try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
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
