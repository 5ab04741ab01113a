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
    public func write(_ batch: [ParquetColumnData]) throws(ParquetError) {
        guard !closed else { throw .invalidArgument("writer is closed") }
        guard batch.count == schema.columns.count else {
            throw .invalidArgument("batch has \(batch.count) columns, schema \(schema.columns.count)")
        }
        let rows = batch.first?.count ?? 0
        for (column, data) in zip(schema.columns, batch) {
            guard data.count == rows else { throw .invalidArgument("column '\(column.name)' has \(data.count) values, expected \(rows)") }
            if let validity = data.validity {
                guard column.isOptional else { throw .invalidArgument("column '\(column.name)' is required but has nulls") }
                guard validity.count == rows else { throw .invalidArgument("column '\(column.name)' validity length mismatch") }
            }
        }
        for (index, data) in batch.enumerated() { try Self.append(data, to: &pending[index], column: schema.columns[index]) }
        pendingRows += rows
        while pendingRows >= options.rowGroupRows { try flushRowGroup(rows: options.rowGroupRows) }
    }

    private static func append(_ data: ParquetColumnData, to target: inout ParquetColumnData, column: ParquetColumn) throws(ParquetError) {
        switch (target.values, data.values) {
        case (.boolean(var a), .boolean(let b)): a += b; target.values = .boolean(a)
        case (.int32(var a), .int32(let b)): a += b; target.values = .int32(a)
        case (.int64(var a), .int64(let b)): a += b; target.values = .int64(a)
        case (.float(var a), .float(let b)): a += b; target.values = .float(a)
        case (.double(var a), .double(let b)): a += b; target.values = .double(a)
        case (.bytes(var a), .bytes(let b)): a += b; target.values = .bytes(a)
        case (.bytes(var a), .string(let b)): a += b.map { Array($0.utf8) }; target.values = .bytes(a)
        default: throw .invalidArgument("column '\(column.name)': values do not match its \(column.physicalType) type")
        }
        if column.isOptional { target.validity! += data.validity ?? Array(repeating: true, count: data.count) }
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

    private func flushRowGroup(rows: Int) throws(ParquetError) {
        guard rows > 0 else { return }
        var chunks: [FileMetadata.ChunkToWrite] = []
        for (index, column) in schema.columns.enumerated() {
            let (head, rest) = Self.split(pending[index], at: rows)
            pending[index] = rest
            chunks.append(try writeChunk(column, head))
        }
        pendingRows -= rows
        groups.append(FileMetadata.RowGroupToWrite(chunks: chunks, numRows: Int64(rows)))
    }

    static func split(_ data: ParquetColumnData, at rows: Int) -> (ParquetColumnData, ParquetColumnData) {
        func cut<T>(_ v: [T]) -> ([T], [T]) { (Array(v[..<rows]), Array(v[rows...])) }
        let validity = data.validity.map(cut)
        let head: ParquetColumnData.Values
        let tail: ParquetColumnData.Values
        switch data.values {
        case .boolean(let v): let (a, b) = cut(v); head = .boolean(a); tail = .boolean(b)
        case .int32(let v): let (a, b) = cut(v); head = .int32(a); tail = .int32(b)
        case .int64(let v): let (a, b) = cut(v); head = .int64(a); tail = .int64(b)
        case .float(let v): let (a, b) = cut(v); head = .float(a); tail = .float(b)
        case .double(let v): let (a, b) = cut(v); head = .double(a); tail = .double(b)
        case .string(let v): let (a, b) = cut(v); head = .string(a); tail = .string(b)
        case .bytes(let v): let (a, b) = cut(v); head = .bytes(a); tail = .bytes(b)
        }
        return (ParquetColumnData(head, validity: validity?.0), ParquetColumnData(tail, validity: validity?.1))
    }

    /// Encodes one column chunk: optional dictionary page, then data pages.
    private func writeChunk(_ column: ParquetColumn, _ data: ParquetColumnData) throws(ParquetError) -> FileMetadata.ChunkToWrite {
        let rows = data.count
        let validity = data.validity
        let present = ValueSet(data, validity: validity)
        var encodings: Set<ParquetEncoding> = [.rle]
        var dictionaryOffset: Int64?
        var uncompressedTotal: Int64 = 0
        var compressedTotal: Int64 = 0
        let chunkStart = offset

        // Dictionary (with fallback to plain when it would be too large).
        var indices: [UInt32]?
        var dictionaryWidth = 0
        if column.encoding == .rleDictionary || column.encoding == .plainDictionary, present.count > 0,
            let (dictionary, ids) = present.dictionary(limit: options.dictionaryPageSizeLimit)
        {
            indices = ids
            dictionaryWidth = max(1, Int.bitWidth - (dictionary.count - 1).leadingZeroBitCount)
            let body = dictionary.plain()
            dictionaryOffset = offset
            let (header, size) = try writePage(.dictionary, body: body, numValues: dictionary.count, encoding: .plain)
            uncompressedTotal += Int64(header + body.count)
            compressedTotal += Int64(header + size)
            encodings.insert(.plain)
        }
        let dataOffset = offset
        let valueEncoding: ParquetEncoding =
            indices != nil ? .rleDictionary : column.encoding == .deltaBinaryPacked ? .deltaBinaryPacked : .plain
        encodings.insert(valueEncoding)

        // Data pages of `pageRows` rows each (at least one page, even with 0 rows).
        var rowStart = 0
        var valueStart = 0  // index into the present values
        repeat {
            let rowEnd = min(rowStart + options.pageRows, rows)
            var body = ByteSink()
            var presentCount = rowEnd - rowStart
            if column.isOptional, let validity {
                var levels: [UInt32] = []
                levels.reserveCapacity(rowEnd - rowStart)
                presentCount = 0
                for row in rowStart..<rowEnd {
                    levels.append(validity[row] ? 1 : 0)
                    if validity[row] { presentCount += 1 }
                }
                var encoded = ByteSink()
                RLEHybrid.encode(levels, width: 1, into: &encoded)
                body.u32(UInt32(encoded.bytes.count))
                body.bytes += encoded.bytes
            } else if column.isOptional {
                var encoded = ByteSink()
                RLEHybrid.encode(Array(repeating: 1, count: rowEnd - rowStart), width: 1, into: &encoded)
                body.u32(UInt32(encoded.bytes.count))
                body.bytes += encoded.bytes
            }
            let range = valueStart..<(valueStart + presentCount)
            switch valueEncoding {
            case .rleDictionary:
                body.bytes.append(UInt8(dictionaryWidth))
                RLEHybrid.encode(Array(indices![range]), width: dictionaryWidth, into: &body)
            case .deltaBinaryPacked:
                DeltaBinaryPacked.encode(present.integers(range), into: &body)
            default:
                present.plain(range, into: &body)
            }
            let (header, size) = try writePage(.data, body: body.bytes, numValues: rowEnd - rowStart, encoding: valueEncoding)
            uncompressedTotal += Int64(header + body.bytes.count)
            compressedTotal += Int64(header + size)
            valueStart += presentCount
            rowStart = rowEnd
        } while rowStart < rows

        let (min, max) = present.minMax()
        _ = chunkStart
        return FileMetadata.ChunkToWrite(
            column: column, encodings: encodings.sorted { $0.rawValue < $1.rawValue }, codec: options.compression,
            numValues: Int64(rows), uncompressedSize: uncompressedTotal, compressedSize: compressedTotal,
            dataPageOffset: dataOffset, dictionaryPageOffset: dictionaryOffset,
            statistics: (min, max, Int64(data.nullCount)))
    }

    /// Compresses and writes one page; returns the header size and the compressed body size.
    private func writePage(
        _ type: PageHeader.PageType, body: [UInt8], numValues: Int, encoding: ParquetEncoding
    ) throws(ParquetError) -> (Int, Int) {
        let compressed = try Codec.compress(body, options.compression, level: options.zstdLevel)
        var header = PageHeader(type: type, uncompressedSize: body.count, compressedSize: compressed.count)
        header.numValues = numValues
        header.encoding = encoding
        let headerBytes = header.encoded()
        try writeBytes(headerBytes)
        try writeBytes(compressed)
        return (headerBytes.count, compressed.count)
    }

    /// Writes the remaining rows and the footer, fsyncs, and renames the file into place.
    @discardableResult
    public func close() throws(ParquetError) -> ParquetWriteSummary {
        guard !closed else { throw .invalidArgument("writer already closed") }
        do throws(ParquetError) {
            if pendingRows > 0 || groups.isEmpty { try flushRowGroup(rows: pendingRows) }
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
