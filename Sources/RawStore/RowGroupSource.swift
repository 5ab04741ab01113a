import Foundation

/// Where a replay's type cursor gets its row groups: the type's files in order, one row group
/// at a time.
protocol RowGroupSource: AnyObject {
    /// The next row group's columns, nil after the last; throws what reading a file threw.
    func next() throws -> [ColumnData]?
}

/// Reads the files on the caller's thread, opening each when the one before is exhausted.
final class FileRowGroups: RowGroupSource {
    private let format: any ColumnFileFormat
    private var files: ArraySlice<String>
    private let schema: [ColumnSpec]
    private let from: Int64
    private let to: Int64
    private var current: (any RowGroupIterator)?

    init(format: any ColumnFileFormat, files: [String], schema: [ColumnSpec], from: Int64, to: Int64) {
        self.format = format
        self.files = files[...]
        self.schema = schema
        self.from = from
        self.to = to
    }

    func next() throws -> [ColumnData]? {
        while true {
            if let current, let group = try current.next() { return group }
            guard let file = files.popFirst() else {
                current = nil
                return nil
            }
            current = try format.rowGroups(path: file, schema: schema, recvTsFrom: from, to: to)
        }
    }
}

/// Reads and decodes another source's row groups on a thread of its own, at most `depth`
/// ahead of the caller: the Parquet decoding (decompression, column decoding) then runs on a
/// second core while the caller turns rows into events and applies them. One hand-over per row
/// group (tens of thousands of rows), so the two threads share almost nothing.
///
/// The thread stops at the end, at the first error (handed to the caller where it occurred),
/// or when this object is released.
final class PrefetchedRowGroups: RowGroupSource {
    private final class Channel: @unchecked Sendable {
        let condition = NSCondition()
        var groups: [[ColumnData]] = []
        var finished = false
        var failure: (any Error)?
        var cancelled = false
    }

    /// The source, handed over to the reading thread (never touched by the caller again).
    private final class Handover: @unchecked Sendable {
        let source: any RowGroupSource
        init(_ source: any RowGroupSource) { self.source = source }
    }

    private let channel = Channel()

    init(_ source: any RowGroupSource, depth: Int) {
        let channel = self.channel
        let handover = Handover(source)
        let depth = max(1, depth)
        let thread = Thread {
            while true {
                var group: [ColumnData]?
                var failure: (any Error)?
                do { group = try handover.source.next() } catch { failure = error }
                channel.condition.lock()
                while channel.groups.count >= depth && !channel.cancelled { channel.condition.wait() }
                if channel.cancelled {
                    channel.condition.unlock()
                    return
                }
                if let group { channel.groups.append(group) }
                let done = group == nil
                if done {
                    channel.failure = failure
                    channel.finished = true
                }
                channel.condition.broadcast()
                channel.condition.unlock()
                if done { return }
            }
        }
        thread.name = "store-replay-read"
        thread.start()
    }

    deinit {
        channel.condition.lock()
        channel.cancelled = true
        channel.condition.broadcast()
        channel.condition.unlock()
    }

    func next() throws -> [ColumnData]? {
        channel.condition.lock()
        defer { channel.condition.unlock() }
        while channel.groups.isEmpty && !channel.finished { channel.condition.wait() }
        if channel.groups.isEmpty {
            if let failure = channel.failure {
                channel.failure = nil
                throw failure
            }
            return nil
        }
        let group = channel.groups.removeFirst()
        channel.condition.broadcast()
        return group
    }
}
