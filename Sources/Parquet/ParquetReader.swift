#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads flat Parquet files: ours and those of other writers (pyarrow, parquet-cpp, parquet-mr)
/// with PLAIN, dictionary (PLAIN_DICTIONARY / RLE_DICTIONARY), RLE booleans and
/// DELTA_BINARY_PACKED encodings, data pages v1 and v2, and uncompressed, SNAPPY, ZSTD or
/// BROTLI pages. Only the footer is read when opening; a row group's column chunks are read
/// on request (column projection), so memory is bounded by what is asked for. Every offset
/// and length is checked first: corrupt input gives a ``ParquetError``, never a crash.
public final class ParquetReader {
    /// The file's columns, from the footer.
    public let schema: ParquetSchema
    /// What the footer says about each row group, in file order (sizes, codecs, statistics).
    public let rowGroups: [ParquetRowGroupInfo]
    /// The footer's `key_value_metadata` (application data such as a writer's schema notes).
    public let keyValueMetadata: [String: String]
    /// The total number of rows, as the footer states it.
    public let numRows: Int64
    /// The footer's `created_by`: the application and library that wrote the file, if given.
    public let createdBy: String?
    /// Decodes the column chunks of a row group on several threads (when there is enough to share).
    public var decodesColumnsInParallel = true
    private let source: Source
    private let dataEnd: Int64

    private enum Source: Sendable {
        case file(Int32, size: Int64)
        case memory([UInt8])
    }

    /// Opens a file, reading its footer.
    public convenience init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ParquetError.io("cannot open \(path): errno \(errno)") }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw ParquetError.io("cannot stat \(path)")
        }
        do { try self.init(source: .file(fd, size: Int64(info.st_size))) } catch {
            close(fd)
            throw error
        }
    }

    /// Reads a file held in memory.
    public convenience init(bytes: [UInt8]) throws {
        try self.init(source: .memory(bytes))
    }

    private init(source: Source) throws {
        self.source = source
        let size: Int64
        switch source {
        case .file(_, let s): size = s
        case .memory(let b): size = Int64(b.count)
        }
        guard size >= 12 else { throw ParquetError.corrupt("file of \(size) bytes is too small to be Parquet") }
        let tail = try Self.read(source, offset: size - 8, length: 8)
        guard Array(tail[4..<8]) == Array("PAR1".utf8) else {
            throw ParquetError.corrupt("missing PAR1 magic at the end (truncated file?)")
        }
        let head = try Self.read(source, offset: 0, length: 4)
        guard head == Array("PAR1".utf8) else { throw ParquetError.corrupt("missing PAR1 magic at the start") }
        let footerLength = Int64(UInt32(tail[0]) | UInt32(tail[1]) << 8 | UInt32(tail[2]) << 16 | UInt32(tail[3]) << 24)
        guard footerLength > 0, footerLength <= size - 12 else {
            throw ParquetError.corrupt("footer length \(footerLength) out of range for a \(size)-byte file")
        }
        let footer = try Self.read(source, offset: size - 8 - footerLength, length: Int(footerLength))
        let decoded = try footer.withUnsafeBytes { (raw) in try FileMetadata.decode(raw) }
        schema = decoded.schema
        rowGroups = decoded.rowGroups
        keyValueMetadata = decoded.keyValue
        numRows = decoded.numRows
        createdBy = decoded.createdBy
        dataEnd = size - 8 - footerLength
    }

    deinit {
        if case .file(let fd, _) = source { close(fd) }
    }

    private static func read(_ source: Source, offset: Int64, length: Int) throws -> [UInt8] {
        switch source {
        case .memory(let bytes):
            guard offset >= 0, length >= 0, offset + Int64(length) <= Int64(bytes.count) else {
                throw ParquetError.corrupt("read past the end")
            }
            return Array(bytes[Int(offset)..<(Int(offset) + length)])
        case .file(let fd, let size):
            guard offset >= 0, length >= 0, offset + Int64(length) <= size else { throw ParquetError.corrupt("read past the end") }
            var out = [UInt8](repeating: 0, count: length)
            var done = 0
            while done < length {
                let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, length - done, off_t(offset) + off_t(done)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw ParquetError.io("read failed at offset \(offset + Int64(done))") }
                done += n
            }
            return out
        }
    }

    /// Indices of the row groups whose statistics for the INT64/INT32 `column` may overlap
    /// `range` (groups without statistics are kept).
    public func rowGroups(overlapping column: String, range: ClosedRange<Int64>) -> [Int] {
        guard let index = schema.index(of: column) else { return Array(rowGroups.indices) }
        return rowGroups.indices.filter { group in
            guard let stats = rowGroups[group].columns[index].statistics, let lo = stats.min?.int64, let hi = stats.max?.int64 else {
                return true
            }
            return hi >= range.lowerBound && lo <= range.upperBound
        }
    }

    /// The columns (all, or the named ones in the given order) of row group `index`.
    public func readRowGroup(_ index: Int, columns names: [String]? = nil) throws -> [ParquetColumnData] {
        guard rowGroups.indices.contains(index) else { throw ParquetError.invalidArgument("row group \(index) of \(rowGroups.count)") }
        let wanted: [Int]
        if let names {
            var indices: [Int] = []
            for name in names {
                guard let i = schema.index(of: name) else { throw ParquetError.invalidArgument("no column '\(name)'") }
                indices.append(i)
            }
            wanted = indices
        } else {
            wanted = Array(schema.columns.indices)
        }
        let group = rowGroups[index]
        let rows = Int(group.numRows)
        let parallel = decodesColumnsInParallel && rows * wanted.count >= ParquetWriter.parallelMinimum
        let (columns, source, dataEnd) = (schema.columns, source, dataEnd)
        let results = mapIndices(wanted.count, parallel: parallel) { i in
            Result { try Self.readChunk(columns[wanted[i]], group.columns[wanted[i]], rows: rows, source: source, dataEnd: dataEnd) }
        }
        return try results.map { try $0.get() }
    }

    /// Every row group concatenated (convenience for small files).
    public func readAll(columns names: [String]? = nil) throws -> [ParquetColumnData] {
        let groups = try rowGroups.indices.map { try readRowGroup($0, columns: names) }
        if groups.count == 1 { return groups[0] }
        if let first = groups.first {
            return first.indices.map { column in Self.concat(groups.map { $0[column] }) }
        }
        let columns = names.map { $0.compactMap { schema.index(of: $0) } } ?? Array(schema.columns.indices)
        return columns.map { i in
            var empty = ParquetWriter.empty(schema.columns[i].physicalType, schema.columns[i].isOptional)
            if schema.columns[i].logicalType == .string { empty.values = .string([]) }
            return empty
        }
    }

    /// One column's parts, copied once into a single column.
    static func concat(_ parts: [ParquetColumnData]) -> ParquetColumnData {
        let total = parts.reduce(0) { $0 + $1.count }
        func join<T>(_ arrays: [[T]]) -> [T] {
            var out: [T] = []
            out.reserveCapacity(total)
            for array in arrays { out += array }
            return out
        }
        let values: ParquetColumnData.Values
        switch parts[0].values {
        case .boolean: values = .boolean(join(parts.map { if case .boolean(let v) = $0.values { v } else { [] } }))
        case .int32: values = .int32(join(parts.map { if case .int32(let v) = $0.values { v } else { [] } }))
        case .int64: values = .int64(join(parts.map { if case .int64(let v) = $0.values { v } else { [] } }))
        case .float: values = .float(join(parts.map { if case .float(let v) = $0.values { v } else { [] } }))
        case .double: values = .double(join(parts.map { if case .double(let v) = $0.values { v } else { [] } }))
        case .string: values = .string(join(parts.map { if case .string(let v) = $0.values { v } else { [] } }))
        case .bytes: values = .bytes(join(parts.map { if case .bytes(let v) = $0.values { v } else { [] } }))
        }
        let validity: [Bool]? =
            parts.allSatisfy { $0.validity == nil } ? nil : join(parts.map { $0.validity ?? Array(repeating: true, count: $0.count) })
        return ParquetColumnData(values, validity: validity)
    }

    private static func readChunk(
        _ column: ParquetColumn, _ info: ParquetColumnChunkInfo, rows: Int, source: Source, dataEnd: Int64
    ) throws -> ParquetColumnData {
        var start = info.dataPageOffset
        if let dictionary = info.dictionaryPageOffset, dictionary > 0, dictionary < start { start = dictionary }
        guard start >= 4, info.compressedSize >= 0, start + info.compressedSize <= dataEnd else {
            throw ParquetError.corrupt("column '\(column.name)': chunk [\(start), +\(info.compressedSize)) outside the data region")
        }
        guard info.numValues == Int64(rows) else {
            throw ParquetError.corrupt("column '\(column.name)': \(info.numValues) values for \(rows) rows")
        }
        let bytes = try Self.read(source, offset: start, length: Int(info.compressedSize))
        return try bytes.withUnsafeBytes { (raw) in
            try ChunkDecoder(column: column, codec: info.codec, rows: rows).decode(raw)
        }
    }
}

/// Decodes the pages of one column chunk straight into the column's final arrays (reserved
/// for the chunk's rows up front: no per-page arrays are concatenated).
struct ChunkDecoder {
    let column: ParquetColumn
    let codec: ParquetCompression
    let rows: Int

    func decode(_ raw: UnsafeRawBufferPointer) throws -> ParquetColumnData {
        var dictionary: ColumnValues?
        // Reserved up front, but never more than a sane row group: `rows` comes from the footer.
        let reserved = min(rows, 1 << 22)
        var present = ColumnValues(column)
        present.reserve(reserved)
        var validity: [Bool] = []
        validity.reserveCapacity(column.isOptional ? reserved : 0)
        var indices: [UInt32] = []
        var rowsRead = 0
        var position = 0
        while rowsRead < rows {
            guard position < raw.count else {
                throw ParquetError.corrupt("column '\(column.name)': chunk ends after \(rowsRead) of \(rows) values")
            }
            let (header, bodyStart) = try PageHeader.decode(raw, at: position)
            guard header.compressedSize <= raw.count - bodyStart else {
                throw ParquetError.corrupt("column '\(column.name)': page runs past its chunk")
            }
            let body = UnsafeRawBufferPointer(rebasing: raw[bodyStart..<(bodyStart + header.compressedSize)])
            position = bodyStart + header.compressedSize
            switch header.type {
            case .index:
                continue
            case .dictionary:
                let plain = try Codec.decompress(body, codec, size: header.uncompressedSize)
                var values = ColumnValues(column)
                try plain.withUnsafeBytes { (p) in
                    var source = ByteSource(p)
                    try values.appendPlain(&source, count: header.numValues)
                }
                dictionary = values
            case .data, .dataV2:
                guard header.numValues <= rows - rowsRead else {
                    throw ParquetError.corrupt("column '\(column.name)': pages hold more values than rows")
                }
                let page: [UInt8]
                var levelsBytes: [UInt8] = []
                if header.type == .data {
                    page = try Codec.decompress(body, codec, size: header.uncompressedSize)
                } else {
                    let levels = header.definitionLevelsLength + header.repetitionLevelsLength
                    guard header.repetitionLevelsLength == 0 else {
                        throw ParquetError.unsupported("repetition levels in '\(column.name)'")
                    }
                    guard levels <= body.count, levels <= header.uncompressedSize else {
                        throw ParquetError.corrupt("page v2 level lengths past the page")
                    }
                    levelsBytes = Array(body[0..<levels])
                    let values = UnsafeRawBufferPointer(rebasing: body[levels...])
                    page = header.isCompressed ? try Codec.decompress(values, codec, size: header.uncompressedSize - levels) : Array(values)
                }
                let count = header.numValues
                try page.withUnsafeBytes { (p) in
                    var source = ByteSource(p)
                    var presentCount = count
                    if column.isOptional {
                        let levels: [UInt32]
                        if header.type == .data {
                            let length = Int(try source.fixed(UInt32.self))
                            try source.need(length, "definition levels")
                            var levelSource = ByteSource(p, from: source.offset, to: source.offset + length)
                            levels = try RLEHybrid.decode(&levelSource, count: count, width: 1)
                            source.offset += length
                        } else {
                            levels = try levelsBytes.withUnsafeBytes { (l) in
                                var levelSource = ByteSource(l)
                                return try RLEHybrid.decode(&levelSource, count: count, width: 1)
                            }
                        }
                        presentCount = 0
                        for level in levels {
                            guard level <= 1 else { throw ParquetError.corrupt("definition level \(level) in a flat column") }
                            validity.append(level == 1)
                            if level == 1 { presentCount += 1 }
                        }
                    }
                    try present.append(
                        &source, count: presentCount, encoding: header.encoding, dictionary: dictionary, indices: &indices)
                }
                rowsRead += count
            }
        }
        return try present.expand(validity: column.isOptional ? validity : nil)
    }
}

/// A column's values as the reader returns them (strings as `String`, other byte arrays as
/// `[UInt8]`), appended page by page. One array per type: only the column's own is used.
struct ColumnValues {
    enum Kind { case boolean, int32, int64, float, double, string, bytes }
    let kind: Kind
    let column: ParquetColumn
    var booleans: [Bool] = []
    var int32s: [Int32] = []
    var int64s: [Int64] = []
    var floats: [Float] = []
    var doubles: [Double] = []
    var strings: [String] = []
    var bytes: [[UInt8]] = []

    init(_ column: ParquetColumn) {
        self.column = column
        switch column.physicalType {
        case .boolean: kind = .boolean
        case .int32: kind = .int32
        case .int64: kind = .int64
        case .float: kind = .float
        case .double: kind = .double
        default: kind = column.logicalType == .string ? .string : .bytes
        }
    }

    var count: Int {
        switch kind {
        case .boolean: booleans.count
        case .int32: int32s.count
        case .int64: int64s.count
        case .float: floats.count
        case .double: doubles.count
        case .string: strings.count
        case .bytes: bytes.count
        }
    }

    mutating func reserve(_ n: Int) {
        switch kind {
        case .boolean: booleans.reserveCapacity(n)
        case .int32: int32s.reserveCapacity(n)
        case .int64: int64s.reserveCapacity(n)
        case .float: floats.reserveCapacity(n)
        case .double: doubles.reserveCapacity(n)
        case .string: strings.reserveCapacity(n)
        case .bytes: bytes.reserveCapacity(n)
        }
    }

    /// Appends `count` PLAIN values.
    mutating func appendPlain(_ source: inout ByteSource, count: Int) throws {
        func fixed<T: FixedWidthInteger, U>(_: T.Type, _ out: inout [U], _ convert: (T) -> U) throws {
            let size = MemoryLayout<T>.size
            try source.need(count * size, "\(count) PLAIN values")
            let bytes = UnsafeRawBufferPointer(rebasing: source.bytes[source.offset..<(source.offset + count * size)])
            out.reserveMore(count)
            for k in 0..<count { out.append(convert(T(littleEndian: bytes.loadUnaligned(fromByteOffset: k * size, as: T.self)))) }
            source.offset += count * size
        }
        switch kind {
        case .boolean:
            try source.need((count + 7) / 8, "\(count) PLAIN booleans")
            let base = source.offset
            let bytes = source.bytes
            booleans.append(contentsOf: (0..<count).lazy.map { bytes[base + $0 / 8] >> UInt8($0 % 8) & 1 == 1 })
            source.offset += (count + 7) / 8
        case .int32: try fixed(UInt32.self, &int32s) { Int32(bitPattern: $0) }
        case .int64: try fixed(UInt64.self, &int64s) { Int64(bitPattern: $0) }
        case .float: try fixed(UInt32.self, &floats) { Float(bitPattern: $0) }
        case .double: try fixed(UInt64.self, &doubles) { Double(bitPattern: $0) }
        case .string, .bytes:
            guard column.physicalType == .byteArray else { throw ParquetError.unsupported("\(column.physicalType) columns") }
            for _ in 0..<count {
                let length = Int(try source.fixed(UInt32.self))
                try source.need(length, "byte array")
                let value = UnsafeRawBufferPointer(rebasing: source.bytes[source.offset..<(source.offset + length)])
                if kind == .string { strings.append(String(decoding: value, as: UTF8.self)) } else { bytes.append(Array(value)) }
                source.offset += length
            }
        }
    }

    /// Appends the values `indices` point at in `dictionary` (checked against its size).
    mutating func appendGathered(_ indices: [UInt32], from dictionary: ColumnValues) throws {
        let size = dictionary.count
        for index in indices where Int(index) >= size {
            throw ParquetError.corrupt("column '\(column.name)': dictionary index \(index) of \(size)")
        }
        func gather<T>(_ out: inout [T], _ values: [T]) {
            values.withUnsafeBufferPointer { d in out.append(contentsOf: indices.lazy.map { d[Int($0)] }) }
        }
        switch kind {
        case .boolean: gather(&booleans, dictionary.booleans)
        case .int32: gather(&int32s, dictionary.int32s)
        case .int64: gather(&int64s, dictionary.int64s)
        case .float: gather(&floats, dictionary.floats)
        case .double: gather(&doubles, dictionary.doubles)
        case .string: gather(&strings, dictionary.strings)
        case .bytes: gather(&bytes, dictionary.bytes)
        }
    }

    /// Appends `count` values of one page in `encoding`.
    mutating func append(
        _ source: inout ByteSource, count: Int, encoding: ParquetEncoding, dictionary: ColumnValues?, indices: inout [UInt32]
    ) throws {
        switch encoding {
        case .plain:
            try appendPlain(&source, count: count)
        case .plainDictionary, .rleDictionary:
            guard let dictionary else {
                throw ParquetError.corrupt("column '\(column.name)': dictionary-encoded page without a dictionary page")
            }
            let width = count == 0 && source.remaining == 0 ? 0 : Int(try source.u8())
            indices.removeAll(keepingCapacity: true)
            try RLEHybrid.decode(&source, count: count, width: width, into: &indices)
            try appendGathered(indices, from: dictionary)
        case .deltaBinaryPacked:
            let before: Int
            switch kind {
            case .int64:
                before = int64s.count
                try DeltaBinaryPacked.decode(&source, expected: count, into: &int64s)
            case .int32:
                var wide: [Int64] = []
                try DeltaBinaryPacked.decode(&source, expected: count, into: &wide)
                before = int32s.count
                int32s.append(contentsOf: wide.lazy.map { Int32(truncatingIfNeeded: $0) })
            default:
                throw ParquetError.corrupt("column '\(column.name)': DELTA_BINARY_PACKED on \(column.physicalType)")
            }
            guard count - (self.count - before) == 0 else {
                throw ParquetError.corrupt("column '\(column.name)': delta page holds \(self.count - before) of \(count) values")
            }
        case .rle where kind == .boolean:
            let length = Int(try source.fixed(UInt32.self))
            try source.need(length, "RLE booleans")
            var inner = ByteSource(source.bytes, from: source.offset, to: source.offset + length)
            indices.removeAll(keepingCapacity: true)
            try RLEHybrid.decode(&inner, count: count, width: 1, into: &indices)
            source.offset += length
            booleans.append(contentsOf: indices.lazy.map { $0 == 1 })
        default:
            throw ParquetError.unsupported("\(encoding) encoding (column '\(column.name)')")
        }
    }

    /// The column: present values spread over rows, with placeholders where the validity says null.
    func expand(validity: [Bool]?) throws -> ParquetColumnData {
        let rows = validity?.count ?? count
        let expectedPresent = validity.map { $0.reduce(0) { $0 + ($1 ? 1 : 0) } } ?? rows
        guard count == expectedPresent else {
            throw ParquetError.corrupt("column '\(column.name)': \(count) values for \(expectedPresent) non-null rows")
        }
        func spread<T>(_ values: [T], _ placeholder: T) -> [T] {
            guard let validity, expectedPresent < rows else { return values }
            var out: [T] = []
            out.reserveCapacity(rows)
            var next = 0
            for valid in validity {
                if valid {
                    out.append(values[next])
                    next += 1
                } else {
                    out.append(placeholder)
                }
            }
            return out
        }
        let values: ParquetColumnData.Values
        switch kind {
        case .boolean: values = .boolean(spread(booleans, false))
        case .int32: values = .int32(spread(int32s, 0))
        case .int64: values = .int64(spread(int64s, 0))
        case .float: values = .float(spread(floats, 0))
        case .double: values = .double(spread(doubles, 0))
        case .string: values = .string(spread(strings, ""))
        case .bytes: values = .bytes(spread(bytes, []))
        }
        return ParquetColumnData(values, validity: validity)
    }
}
