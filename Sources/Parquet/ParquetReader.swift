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
    private let source: Source
    private let dataEnd: Int64

    private enum Source {
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
        var result: [ParquetColumnData] = []
        for columnIndex in wanted {
            result.append(try readChunk(schema.columns[columnIndex], group.columns[columnIndex], rows: Int(group.numRows)))
        }
        return result
    }

    /// Every row group concatenated (convenience for small files).
    public func readAll(columns names: [String]? = nil) throws -> [ParquetColumnData] {
        var merged: [ParquetColumnData]?
        for index in rowGroups.indices {
            let group = try readRowGroup(index, columns: names)
            if merged == nil {
                merged = group
            } else {
                for i in group.indices { merged![i] = Self.concat(merged![i], group[i]) }
            }
        }
        if let merged { return merged }
        let columns = names.map { $0.compactMap { schema.index(of: $0) } } ?? Array(schema.columns.indices)
        return columns.map { i in
            var empty = ParquetWriter.empty(schema.columns[i].physicalType, schema.columns[i].isOptional)
            if schema.columns[i].logicalType == .string { empty.values = .string([]) }
            return empty
        }
    }

    static func concat(_ a: ParquetColumnData, _ b: ParquetColumnData) -> ParquetColumnData {
        let values: ParquetColumnData.Values
        switch (a.values, b.values) {
        case (.boolean(let x), .boolean(let y)): values = .boolean(x + y)
        case (.int32(let x), .int32(let y)): values = .int32(x + y)
        case (.int64(let x), .int64(let y)): values = .int64(x + y)
        case (.float(let x), .float(let y)): values = .float(x + y)
        case (.double(let x), .double(let y)): values = .double(x + y)
        case (.string(let x), .string(let y)): values = .string(x + y)
        case (.bytes(let x), .bytes(let y)): values = .bytes(x + y)
        default: values = a.values
        }
        let validity: [Bool]? =
            a.validity == nil && b.validity == nil
            ? nil
            : (a.validity ?? Array(repeating: true, count: a.count)) + (b.validity ?? Array(repeating: true, count: b.count))
        return ParquetColumnData(values, validity: validity)
    }

    private func readChunk(_ column: ParquetColumn, _ info: ParquetColumnChunkInfo, rows: Int) throws -> ParquetColumnData {
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

/// Decodes the pages of one column chunk.
struct ChunkDecoder {
    let column: ParquetColumn
    let codec: ParquetCompression
    let rows: Int

    func decode(_ raw: UnsafeRawBufferPointer) throws -> ParquetColumnData {
        var dictionary: ValueSet?
        var present: ValueSet?
        var validity: [Bool] = column.isOptional ? [] : []
        validity.reserveCapacity(column.isOptional ? rows : 0)
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
                dictionary = try plain.withUnsafeBytes { (p) in
                    var source = ByteSource(p)
                    return try Self.plain(&source, count: header.numValues, type: column.physicalType)
                }
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
                    let values = try Self.values(
                        &source, count: presentCount, encoding: header.encoding, type: column.physicalType,
                        dictionary: dictionary, column: column.name)
                    present = present.map { Self.append($0, values) } ?? values
                }
                rowsRead += count
            }
        }
        return try Self.expand(
            present ?? Self.plainEmpty(column.physicalType), validity: column.isOptional ? validity : nil, column: column)
    }

    static func plainEmpty(_ type: ParquetPhysicalType) -> ValueSet {
        switch type {
        case .boolean: .boolean([])
        case .int32: .int32([])
        case .int64: .int64([])
        case .float: .float([])
        case .double: .double([])
        default: .bytes([])
        }
    }

    static func append(_ a: ValueSet, _ b: ValueSet) -> ValueSet {
        switch (a, b) {
        case (.boolean(let x), .boolean(let y)): .boolean(x + y)
        case (.int32(let x), .int32(let y)): .int32(x + y)
        case (.int64(let x), .int64(let y)): .int64(x + y)
        case (.float(let x), .float(let y)): .float(x + y)
        case (.double(let x), .double(let y)): .double(x + y)
        case (.bytes(let x), .bytes(let y)): .bytes(x + y)
        default: a
        }
    }

    static func plain(_ source: inout ByteSource, count: Int, type: ParquetPhysicalType) throws -> ValueSet {
        func fixed<T: FixedWidthInteger>(_: T.Type) throws -> [T] {
            let size = MemoryLayout<T>.size
            try source.need(count * size, "\(count) PLAIN values")
            var out = [T](repeating: 0, count: count)
            out.withUnsafeMutableBytes {
                $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: source.bytes[source.offset..<(source.offset + count * size)]))
            }
            source.offset += count * size
            return out.map { T(littleEndian: $0) }
        }
        switch type {
        case .boolean:
            try source.need((count + 7) / 8, "\(count) PLAIN booleans")
            var out: [Bool] = []
            out.reserveCapacity(count)
            for i in 0..<count { out.append(source.bytes[source.offset + i / 8] >> UInt8(i % 8) & 1 == 1) }
            source.offset += (count + 7) / 8
            return .boolean(out)
        case .int32: return .int32(try fixed(UInt32.self).map { Int32(bitPattern: $0) })
        case .int64: return .int64(try fixed(UInt64.self).map { Int64(bitPattern: $0) })
        case .float: return .float(try fixed(UInt32.self).map { Float(bitPattern: $0) })
        case .double: return .double(try fixed(UInt64.self).map { Double(bitPattern: $0) })
        case .byteArray:
            var out: [[UInt8]] = []
            out.reserveCapacity(min(count, source.remaining / 4))
            for _ in 0..<count {
                let length = Int(try source.fixed(UInt32.self))
                try source.need(length, "byte array")
                out.append(Array(source.bytes[source.offset..<(source.offset + length)]))
                source.offset += length
            }
            return .bytes(out)
        case .int96, .fixedLenByteArray:
            throw ParquetError.unsupported("\(type) columns")
        }
    }

    static func values(
        _ source: inout ByteSource, count: Int, encoding: ParquetEncoding, type: ParquetPhysicalType,
        dictionary: ValueSet?, column: String
    ) throws -> ValueSet {
        switch encoding {
        case .plain:
            return try plain(&source, count: count, type: type)
        case .plainDictionary, .rleDictionary:
            guard let dictionary else {
                throw ParquetError.corrupt("column '\(column)': dictionary-encoded page without a dictionary page")
            }
            let width = count == 0 && source.remaining == 0 ? 0 : Int(try source.u8())
            let indices = try RLEHybrid.decode(&source, count: count, width: width)
            let size = dictionary.count
            for index in indices where Int(index) >= size {
                throw ParquetError.corrupt("column '\(column)': dictionary index \(index) of \(size)")
            }
            switch dictionary {
            case .boolean(let d): return .boolean(indices.map { d[Int($0)] })
            case .int32(let d): return .int32(indices.map { d[Int($0)] })
            case .int64(let d): return .int64(indices.map { d[Int($0)] })
            case .float(let d): return .float(indices.map { d[Int($0)] })
            case .double(let d): return .double(indices.map { d[Int($0)] })
            case .bytes(let d): return .bytes(indices.map { d[Int($0)] })
            }
        case .deltaBinaryPacked:
            let decoded = try DeltaBinaryPacked.decode(&source, expected: count)
            guard decoded.count == count else {
                throw ParquetError.corrupt("column '\(column)': delta page holds \(decoded.count) of \(count) values")
            }
            switch type {
            case .int64: return .int64(decoded)
            case .int32: return .int32(decoded.map { Int32(truncatingIfNeeded: $0) })
            default: throw ParquetError.corrupt("column '\(column)': DELTA_BINARY_PACKED on \(type)")
            }
        case .rle where type == .boolean:
            let length = Int(try source.fixed(UInt32.self))
            try source.need(length, "RLE booleans")
            var inner = ByteSource(source.bytes, from: source.offset, to: source.offset + length)
            let bits = try RLEHybrid.decode(&inner, count: count, width: 1)
            source.offset += length
            return .boolean(bits.map { $0 == 1 })
        default:
            throw ParquetError.unsupported("\(encoding) encoding (column '\(column)')")
        }
    }

    /// Spreads present values over rows, with placeholders where the validity says null.
    static func expand(_ present: ValueSet, validity: [Bool]?, column: ParquetColumn) throws -> ParquetColumnData {
        let rows = validity?.count ?? present.count
        let expectedPresent = validity.map { $0.reduce(0) { $0 + ($1 ? 1 : 0) } } ?? rows
        guard present.count == expectedPresent else {
            throw ParquetError.corrupt("column '\(column.name)': \(present.count) values for \(expectedPresent) non-null rows")
        }
        func spread<T>(_ values: [T], _ placeholder: T) -> [T] {
            guard let validity else { return values }
            var out: [T] = []
            out.reserveCapacity(rows)
            var next = 0
            for valid in validity {
                if valid { out.append(values[next]); next += 1 } else { out.append(placeholder) }
            }
            return out
        }
        let values: ParquetColumnData.Values
        switch present {
        case .boolean(let v): values = .boolean(spread(v, false))
        case .int32(let v): values = .int32(spread(v, 0))
        case .int64(let v): values = .int64(spread(v, 0))
        case .float(let v): values = .float(spread(v, 0))
        case .double(let v): values = .double(spread(v, 0))
        case .bytes(let v):
            if column.logicalType == .string {
                values = .string(spread(v.map { String(decoding: $0, as: UTF8.self) }, ""))
            } else {
                values = .bytes(spread(v, []))
            }
        }
        return ParquetColumnData(values, validity: validity)
    }
}
