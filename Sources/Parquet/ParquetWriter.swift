#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The writer's own methods are named close/write; these reach the system calls.
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }

/// Writer settings.
public struct ParquetWriterOptions: Sendable {
    /// The codec for every page of the file (SNAPPY, ZSTD, BROTLI or none).
    public var compression: ParquetCompression = .zstd
    /// Rows per row group: the unit of memory while writing and of skipping while reading.
    public var rowGroupRows = 1_000_000
    /// Rows per data page.
    public var pageRows = 64 * 1024
    /// A column chunk whose dictionary would exceed this many bytes is written PLAIN instead.
    public var dictionaryPageSizeLimit = 1 << 20
    /// The Zstandard level when `compression` is `.zstd` (1: fast, larger files; up to 22: slow, smaller).
    public var zstdLevel: Int32 = 1
    /// The footer's `created_by`, in the spec's `<application> version <version>` form.
    public var createdBy = "feature-service parquet version 0.1.0"
    /// Encodes and compresses a row group's column chunks on several threads (the file's bytes
    /// are the same either way: chunks are written in column order).
    public var encodesColumnsInParallel = true
    /// The defaults: ZSTD level 1, row groups of a million rows, pages of 64 Ki rows, 1 MiB dictionaries.
    public init() {}
}

/// What a closed file holds.
public struct ParquetWriteSummary: Sendable {
    /// Rows written.
    public var rows: Int64
    /// Row groups written.
    public var rowGroups: Int
    /// The file's size in bytes, footer and magic included.
    public var bytes: Int64
}

/// Streams rows into a Parquet file. Rows are buffered up to one row group, then encoded and
/// written; the file is complete only once ``close()`` returns: it is written under a
/// temporary name, fsynced and renamed, so a crash never leaves a partial file at `path`.
public final class ParquetWriter {
    /// Where the finished file appears (once ``close()`` returns).
    public let path: String
    /// The columns every batch must provide, in order.
    public let schema: ParquetSchema
    /// The settings the file is written with.
    public let options: ParquetWriterOptions
    private let keyValue: [(String, String)]
    private let temporaryPath: String
    private var fd: Int32
    private var offset: Int64 = 0
    private var pending: [ParquetColumnData]
    private var pendingRows = 0
    private var groups: [FileMetadata.RowGroupToWrite] = []
    private var closed = false

    /// Starts a file for `path` (written under a temporary name until ``close()``), with
    /// `keyValueMetadata` for the footer. Throws on an empty schema, duplicate column names,
    /// DELTA_BINARY_PACKED on a non-integer column, or when the temporary file cannot be created.
    public init(
        path: String, schema: ParquetSchema, options: ParquetWriterOptions = ParquetWriterOptions(),
        keyValueMetadata: [String: String] = [:]
    ) throws(ParquetError) {
        guard !schema.columns.isEmpty else { throw .invalidArgument("a schema needs at least one column") }
        guard Set(schema.columns.map(\.name)).count == schema.columns.count else { throw .invalidArgument("duplicate column names") }
        for column in schema.columns
        where column.encoding == .deltaBinaryPacked && column.physicalType != .int64 && column.physicalType != .int32 {
            throw .invalidArgument("DELTA_BINARY_PACKED needs an INT32 or INT64 column ('\(column.name)')")
        }
        self.path = path
        self.schema = schema
        self.options = options
        self.keyValue = keyValueMetadata.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        temporaryPath = "\(path).tmp-\(UInt32.random(in: 0...UInt32.max))"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io("cannot create \(temporaryPath): errno \(errno)") }
        pending = schema.columns.map { ParquetWriter.empty($0.physicalType, $0.isOptional) }
        try writeBytes(Array("PAR1".utf8))
    }

    deinit {
        if !closed { abort() }
    }

    /// Removes the temporary file; the writer cannot be used afterwards.
    public func abort() {
        guard !closed else { return }
        closed = true
        _ = systemClose(fd)
        unlink(temporaryPath)
    }

    static func empty(_ type: ParquetPhysicalType, _ optional: Bool) -> ParquetColumnData {
        let values: ParquetColumnData.Values
        switch type {
        case .boolean: values = .boolean([])
        case .int32: values = .int32([])
        case .int64: values = .int64([])
        case .float: values = .float([])
        case .double: values = .double([])
        default: values = .bytes([])
        }
        return ParquetColumnData(values, validity: optional ? [] : nil)
    }

    /// Appends rows: one ``ParquetColumnData`` per schema column, all of the same length.
    /// Whole row groups are encoded straight from `batch`; only a partial group's rows are copied.
    public func write(_ batch: [ParquetColumnData]) throws(ParquetError) {
        guard !closed else { throw .invalidArgument("writer is closed") }
        guard batch.count == schema.columns.count else {
            throw .invalidArgument("batch has \(batch.count) columns, schema \(schema.columns.count)")
        }
        let rows = batch.first?.count ?? 0
        for (column, data) in zip(schema.columns, batch) {
            guard data.count == rows else { throw .invalidArgument("column '\(column.name)' has \(data.count) values, expected \(rows)") }
            guard Self.matches(data.values, column.physicalType) else {
                throw .invalidArgument("column '\(column.name)': values do not match its \(column.physicalType) type")
            }
            if let validity = data.validity {
                guard column.isOptional else { throw .invalidArgument("column '\(column.name)' is required but has nulls") }
                guard validity.count == rows else { throw .invalidArgument("column '\(column.name)' validity length mismatch") }
            }
        }
        let groupRows = max(1, options.rowGroupRows)
        var start = 0
        if pendingRows > 0 {
            let take = min(rows, groupRows - pendingRows)
            appendPending(batch, start..<take)
            start = take
            if pendingRows == groupRows { try flushPending() }
        }
        while rows - start >= groupRows {
            try writeRowGroup(batch, start..<(start + groupRows))
            start += groupRows
        }
        if start < rows { appendPending(batch, start..<rows) }
    }

    static func matches(_ values: ParquetColumnData.Values, _ type: ParquetPhysicalType) -> Bool {
        switch (values, type) {
        case (.boolean, .boolean), (.int32, .int32), (.int64, .int64), (.float, .float), (.double, .double): true
        case (.string, .byteArray), (.bytes, .byteArray): true
        default: false
        }
    }

    /// Copies `rows` of `batch` behind the pending rows (types were checked by ``write(_:)``).
    private func appendPending(_ batch: [ParquetColumnData], _ rows: Range<Int>) {
        for (index, data) in batch.enumerated() {
            var target = pending[index]
            pending[index] = ParquetWriter.empty(.boolean, false)  // keeps `target` uniquely referenced
            switch (target.values, data.values) {
            case (.boolean(var a), .boolean(let b)): a += b[rows]; target.values = .boolean(a)
            case (.int32(var a), .int32(let b)): a += b[rows]; target.values = .int32(a)
            case (.int64(var a), .int64(let b)): a += b[rows]; target.values = .int64(a)
            case (.float(var a), .float(let b)): a += b[rows]; target.values = .float(a)
            case (.double(var a), .double(let b)): a += b[rows]; target.values = .double(a)
            case (.string(var a), .string(let b)): a += b[rows]; target.values = .string(a)
            case (.bytes(var a), .bytes(let b)): a += b[rows]; target.values = .bytes(a)
            case (.bytes(let a), .string(let b)) where a.isEmpty: target.values = .string(Array(b[rows]))
            case (.bytes(var a), .string(let b)): a += b[rows].map { Array($0.utf8) }; target.values = .bytes(a)
            case (.string(let a), .bytes(let b)): target.values = .bytes(a.map { Array($0.utf8) } + b[rows])
            default: break
            }
            if schema.columns[index].isOptional {
                target.validity! += data.validity?[rows] ?? ArraySlice(repeatElement(true, count: rows.count))
            }
            pending[index] = target
        }
        pendingRows += rows.count
    }

    private func flushPending() throws(ParquetError) {
        let rows = pendingRows
        let data = pending
        pending = schema.columns.map { ParquetWriter.empty($0.physicalType, $0.isOptional) }
        pendingRows = 0
        try writeRowGroup(data, 0..<rows)
    }

    private func writeBytes(_ bytes: [UInt8]) throws(ParquetError) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("write \(temporaryPath): errno \(errno)")
            }
            written += n
        }
        offset += Int64(bytes.count)
    }

    /// Encodes `rows` of every column (in parallel when allowed and worth it), then writes
    /// the chunks in column order: the bytes do not depend on thread scheduling.
    private func writeRowGroup(_ data: [ParquetColumnData], _ rows: Range<Int>) throws(ParquetError) {
        let columns = schema.columns
        let options = options
        let parallel = options.encodesColumnsInParallel && rows.count * columns.count >= Self.parallelMinimum
        let results = mapIndices(columns.count, parallel: parallel) { index in
            Result { () throws(ParquetError) in
                try ChunkEncoder(column: columns[index], options: options).encode(data[index], rows: rows)
            }
        }
        var chunks: [FileMetadata.ChunkToWrite] = []
        chunks.reserveCapacity(columns.count)
        for (column, result) in zip(columns, results) {
            let encoded = try result.get()
            let start = offset
            try writeBytes(encoded.bytes)
            chunks.append(
                FileMetadata.ChunkToWrite(
                    column: column, encodings: encoded.encodings, codec: options.compression,
                    numValues: Int64(rows.count), uncompressedSize: encoded.uncompressedSize, compressedSize: encoded.compressedSize,
                    dataPageOffset: start + Int64(encoded.dictionaryPageBytes), dictionaryPageOffset: encoded.hasDictionary ? start : nil,
                    statistics: encoded.statistics))
        }
        groups.append(FileMetadata.RowGroupToWrite(chunks: chunks, numRows: Int64(rows.count)))
    }

    /// Below this many values a row group is encoded on the calling thread (dispatching costs more).
    static let parallelMinimum = 64 * 1024

    /// Writes the remaining rows and the footer, fsyncs, and renames the file into place.
    @discardableResult
    public func close() throws(ParquetError) -> ParquetWriteSummary {
        guard !closed else { throw .invalidArgument("writer already closed") }
        do throws(ParquetError) {
            if pendingRows > 0 || groups.isEmpty { try flushPending() }
            let footer = FileMetadata.encode(schema: schema, rowGroups: groups, keyValue: keyValue, createdBy: options.createdBy)
            try writeBytes(footer)
            var length = ByteSink()
            length.u32(UInt32(footer.count))
            try writeBytes(length.bytes + Array("PAR1".utf8))
            guard fsync(fd) == 0 else { throw ParquetError.io("fsync \(temporaryPath): errno \(errno)") }
            closed = true
            _ = systemClose(fd)
            guard rename(temporaryPath, path) == 0 else { throw ParquetError.io("rename to \(path): errno \(errno)") }
        } catch {
            abort()
            throw error
        }
        return ParquetWriteSummary(rows: groups.reduce(0) { $0 + $1.numRows }, rowGroups: groups.count, bytes: offset)
    }
}
