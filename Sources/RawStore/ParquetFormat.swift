public import Parquet

/// Raw tables as Parquet: ZSTD pages, row groups sized for scanning, `recv_ts` as
/// TIMESTAMP(NANOS, UTC) with DELTA_BINARY_PACKED, strings dictionary-encoded.
public struct ParquetFormat: ColumnFileFormat {
    public var options: ParquetWriterOptions

    /// `rowGroupRows`: the unit of memory in writing (a log segment's conversion, compaction)
    /// and in replay, which reads and time-filters row group by row group. 64 Ki rows (one page
    /// a column) keep the writer's buffered row group near 30 MiB for book rows; 256 Ki rows
    /// took about four times that.
    public init(compression: ParquetCompression = .zstd, rowGroupRows: Int = 64 * 1024) {
        var options = ParquetWriterOptions()
        options.compression = compression
        options.rowGroupRows = rowGroupRows
        // The store converts log segments while `serve` ingests: one core for it, the other left
        // to the live path (datasets, offline jobs, encode their files on both).
        options.encodesColumnsInParallel = false
        self.options = options
    }

    public var fileExtension: String { "parquet" }

    static func parquetSchema(_ schema: [ColumnSpec]) -> ParquetSchema {
        ParquetSchema(
            schema.map { spec in
                switch spec.kind {
                case .timestampNanos: ParquetColumn.timestampNanos(spec.name, optional: spec.nullable)
                case .int64:
                    ParquetColumn(
                        name: spec.name, type: .int64, optional: spec.nullable,
                        encoding: spec.name == "seq" || spec.name == "update_id" ? .deltaBinaryPacked : .plain)
                case .double: ParquetColumn(name: spec.name, type: .double, optional: spec.nullable)
                case .bool: ParquetColumn(name: spec.name, type: .boolean, optional: spec.nullable)
                case .string: ParquetColumn.string(spec.name, optional: spec.nullable)
                }
            })
    }

    public func write(path: String, schema: [ColumnSpec], columns: [ColumnData], metadata: [String: String]) throws {
        var pending: [ColumnData]? = columns
        try write(path: path, schema: schema, metadata: metadata) {
            defer { pending = nil }
            return pending
        }
    }

    public func write(path: String, schema: [ColumnSpec], metadata: [String: String], batches: () throws -> [ColumnData]?) throws {
        let writer = try ParquetWriter(path: path, schema: Self.parquetSchema(schema), options: options, keyValueMetadata: metadata)
        do {
            while let columns = try batches() {
                try writer.write(
                    columns.map { column in
                        switch column {
                        case .int64(let v, let valid): ParquetColumnData(.int64(v), validity: valid)
                        case .double(let v, let valid): ParquetColumnData(.double(v), validity: valid)
                        case .bool(let v, let valid): ParquetColumnData(.boolean(v), validity: valid)
                        case .string(let v, let valid): ParquetColumnData(.string(v), validity: valid)
                        }
                    })
            }
            try writer.close()
        } catch {
            writer.abort()
            throw error
        }
    }

    public func rowGroups(path: String, schema: [ColumnSpec], recvTsFrom from: Int64, to: Int64) throws -> any RowGroupIterator {
        let reader = try ParquetReader(path: path)
        // Replays read here: they decode on their caller's thread (one core), and a pipelined
        // replay (PrefetchingReplay) reads row groups on a thread of its own.
        reader.decodesColumnsInParallel = false
        let indices = to > from ? reader.rowGroups(overlapping: "recv_ts", range: from...(to - 1)) : []
        return Groups(reader: reader, schema: schema, indices: indices[...])
    }

    /// A file's selected row groups, decoded one per ``next()``.
    final class Groups: RowGroupIterator {
        let reader: ParquetReader
        let schema: [ColumnSpec]
        let names: [String]
        var indices: ArraySlice<Int>

        init(reader: ParquetReader, schema: [ColumnSpec], indices: ArraySlice<Int>) {
            self.reader = reader
            self.schema = schema
            names = schema.map(\.name)
            self.indices = indices
        }

        func next() throws -> [ColumnData]? {
            guard let index = indices.popFirst() else { return nil }
            return try reader.readRowGroup(index, columns: names).enumerated().map { offset, data in
                try ParquetFormat.columnData(data, spec: schema[offset])
            }
        }
    }

    static func columnData(_ data: ParquetColumnData, spec: ColumnSpec) throws -> ColumnData {
        let valid = spec.nullable ? (data.validity ?? Array(repeating: true, count: data.count)) : nil
        switch (spec.kind, data.values) {
        case (.timestampNanos, .int64(let v)), (.int64, .int64(let v)): return .int64(v, valid: valid)
        case (.double, .double(let v)): return .double(v, valid: valid)
        case (.bool, .boolean(let v)): return .bool(v, valid: valid)
        case (.string, .string(let v)): return .string(v, valid: valid)
        default: throw StoreError.corrupt("column '\(spec.name)' has an unexpected type")
        }
    }

    public func recvTsBounds(path: String) throws -> ClosedRange<Int64>? {
        let reader = try ParquetReader(path: path)
        guard let index = reader.schema.index(of: "recv_ts") else { return nil }
        var low = Int64.max
        var high = Int64.min
        for group in reader.rowGroups where group.numRows > 0 {
            guard let stats = group.columns[index].statistics, let lo = stats.min?.int64, let hi = stats.max?.int64 else { continue }
            low = min(low, lo)
            high = max(high, hi)
        }
        return low <= high ? low...high : nil
    }

    public func rowCount(path: String) throws -> Int64 {
        try ParquetReader(path: path).numRows
    }
}
