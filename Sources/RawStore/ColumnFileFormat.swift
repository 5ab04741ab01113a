/// The seam between the store and its file format (Parquet in production): write a table
/// whole, read it back by row group with time-range skipping.
public protocol ColumnFileFormat: Sendable {
    /// File name extension, without the dot.
    var fileExtension: String { get }
    /// Writes a complete file atomically (temporary name, fsync, rename): after a crash the
    /// path either holds the whole file or nothing.
    func write(path: String, schema: [ColumnSpec], columns: [ColumnData], metadata: [String: String]) throws
    /// Writes a complete file from batches pulled one at a time (nil ends), atomically like
    /// ``write(path:schema:columns:metadata:)``; memory is bounded by one batch.
    func write(path: String, schema: [ColumnSpec], metadata: [String: String], batches: () throws -> [ColumnData]?) throws
    /// The row groups of `path` whose `recv_ts` range may overlap `[from, to)`, each as
    /// columns in schema order (only row groups the statistics cannot rule out), read one at a
    /// time as the iterator is asked for them (memory: one row group), on the caller's thread.
    func rowGroups(path: String, schema: [ColumnSpec], recvTsFrom from: Int64, to: Int64) throws -> any RowGroupIterator
    /// The smallest and largest `recv_ts` in the file, from metadata (no data read).
    func recvTsBounds(path: String) throws -> ClosedRange<Int64>?
    /// The number of rows in the file, from metadata (no data read).
    func rowCount(path: String) throws -> Int64
}

/// Row groups of one file, read on demand.
public protocol RowGroupIterator: AnyObject {
    /// The next row group's columns, nil after the last.
    func next() throws -> [ColumnData]?
}

extension ColumnFileFormat {
    /// Every row group ``rowGroups(path:schema:recvTsFrom:to:)`` yields, read at once.
    public func readRowGroups(path: String, schema: [ColumnSpec], recvTsFrom from: Int64, to: Int64) throws -> [[ColumnData]] {
        let groups = try rowGroups(path: path, schema: schema, recvTsFrom: from, to: to)
        var out: [[ColumnData]] = []
        while let group = try groups.next() { out.append(group) }
        return out
    }
}
