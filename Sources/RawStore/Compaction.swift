import Foundation
import MarketData

extension RawStore {
    /// What a compaction run did.
    public struct CompactionReport: Sendable {
        public var partitions = 0
        public var filesMerged = 0
        public var filesRemoved = 0
    }

    /// Merges the small files of every partition dated before `before` (`YYYY-MM-DD`, never
    /// today's, which still receives data) into one file per partition. The merged file is
    /// written whole (temporary name, fsync, rename) before the inputs are deleted, and
    /// readers ignore inputs a merged file covers: a crash at any point loses and duplicates
    /// nothing. Rows are copied row group by row group, so memory stays bounded.
    @discardableResult
    /// `isCancelled` is asked before each partition: a long first compaction (a backfilled month)
    /// stops at a partition boundary on shutdown; each partition is crash-safe on its own.
    /// `symbols` limits it to those symbols' partitions (a shard compacts only what it writes).
    public func compact(
        before: String, symbols owned: Set<String>? = nil, minimumFiles: Int = 2, isCancelled: () -> Bool = { false }
    ) throws -> CompactionReport {
        var report = CompactionReport()
        for symbol in try layout.symbols() where owned?.contains(symbol) ?? true {
            for type in EventType.allCases {
                for date in try layout.dates(type: type, symbol: symbol) where date < before {
                    if isCancelled() { return report }
                    let files = try layout.partFiles(type: type, symbol: symbol, date: date, fileExtension: format.fileExtension)
                    let directory = layout.partitionDirectory(type: type, symbol: symbol, date: date)
                    // Leftovers of an interrupted run: files already covered by a merged file.
                    let visible = Set(files.map(\.path))
                    for name in try FileSystem.list(directory)
                    where name.hasSuffix(".\(format.fileExtension)") && !visible.contains("\(directory)/\(name)") {
                        try FileSystem.remove("\(directory)/\(name)")
                        report.filesRemoved += 1
                    }
                    guard files.count >= minimumFiles, let first = files.first?.first, let last = files.map(\.last).max() else { continue }
                    let target = layout.compactFile(
                        type: type, symbol: symbol, date: date, first: first, last: last, fileExtension: format.fileExtension)
                    let schema = EventTables.schema(type)
                    // One input file's row groups in memory at a time.
                    var remaining = files[...]
                    var buffered: [[ColumnData]] = []
                    try format.write(path: target, schema: schema, metadata: ["feature_service.compacted": "\(first)-\(last)"]) {
                        while buffered.isEmpty {
                            guard let file = remaining.popFirst() else { return nil }
                            buffered = try format.readRowGroups(path: file.path, schema: schema, recvTsFrom: .min, to: .max)
                        }
                        return buffered.removeFirst()
                    }
                    try FileSystem.syncDirectory(directory)
                    for file in files { try FileSystem.remove(file.path) }
                    try FileSystem.syncDirectory(directory)
                    report.partitions += 1
                    report.filesMerged += files.count
                }
            }
        }
        return report
    }
}
