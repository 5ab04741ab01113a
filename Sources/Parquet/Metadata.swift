/// Thrift structures of parquet.thrift that this module reads and writes (field ids as in
/// the format specification).
struct PageHeader {
    enum PageType: Int64 { case data = 0, index = 1, dictionary = 2, dataV2 = 3 }
    var type: PageType
    var uncompressedSize: Int
    var compressedSize: Int
    // DATA_PAGE / DATA_PAGE_V2
    var numValues = 0
    var encoding: ParquetEncoding = .plain
    var definitionLevelEncoding: ParquetEncoding = .rle
    // DATA_PAGE_V2 only
    var numNulls = 0
    var definitionLevelsLength = 0
    var repetitionLevelsLength = 0
    var isCompressed = true

    func encoded() -> [UInt8] {
        var w = ThriftWriter()
        w.i32(1, Int32(type.rawValue))
        w.i32(2, Int32(uncompressedSize))
        w.i32(3, Int32(compressedSize))
        switch type {
        case .data:
            w.beginStruct(5)
            w.i32(1, Int32(numValues))
            w.i32(2, encoding.rawValue)
            w.i32(3, ParquetEncoding.rle.rawValue)
            w.i32(4, ParquetEncoding.rle.rawValue)
            w.endStruct()
        case .dictionary:
            w.beginStruct(7)
            w.i32(1, Int32(numValues))
            w.i32(2, ParquetEncoding.plain.rawValue)
            w.endStruct()
        default: break
        }
        return w.finish()
    }

    /// Decodes a page header at `offset`; returns it and the offset just past it.
    static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(ParquetError) -> (PageHeader, Int) {
        var reader = ThriftReader(bytes, offset: offset)
        let fields = try reader.readStruct()
        guard let typeCode = fields[1]?.int, let type = PageType(rawValue: typeCode) else {
            throw .corrupt("page header without a known type")
        }
        guard let uncompressed = fields[2]?.int, let compressed = fields[3]?.int, uncompressed >= 0, compressed >= 0,
            uncompressed < 1 << 31, compressed < 1 << 31
        else {
            throw .corrupt("page header with invalid sizes")
        }
        var header = PageHeader(type: type, uncompressedSize: Int(uncompressed), compressedSize: Int(compressed))
        func encoding(_ value: ThriftValue?) throws(ParquetError) -> ParquetEncoding {
            guard let raw = value?.int, let e = ParquetEncoding(rawValue: Int32(truncatingIfNeeded: raw)) else {
                throw .corrupt("unknown page encoding")
            }
            return e
        }
        switch type {
        case .data:
            guard let data = fields[5]?.fields, let n = data[1]?.int, n >= 0 else { throw .corrupt("data page without its header") }
            header.numValues = Int(n)
            header.encoding = try encoding(data[2])
            header.definitionLevelEncoding = try encoding(data[3])
        case .dataV2:
            guard let data = fields[8]?.fields, let n = data[1]?.int, let nulls = data[2]?.int, let defLength = data[5]?.int,
                let repLength = data[6]?.int, n >= 0, nulls >= 0, defLength >= 0, repLength >= 0
            else {
                throw .corrupt("data page v2 without its header")
            }
            header.numValues = Int(n)
            header.numNulls = Int(nulls)
            header.encoding = try encoding(data[4])
            header.definitionLevelsLength = Int(defLength)
            header.repetitionLevelsLength = Int(repLength)
            header.isCompressed = data[7]?.bool ?? true
        case .dictionary:
            guard let dictionary = fields[7]?.fields, let n = dictionary[1]?.int, n >= 0 else {
                throw .corrupt("dictionary page without its header")
            }
            header.numValues = Int(n)
            header.encoding = try encoding(dictionary[2])
        case .index: break
        }
        return (header, reader.offset)
    }
}

/// Footer encoding and decoding.
enum FileMetadata {
    struct ChunkToWrite {
        var column: ParquetColumn
        var encodings: [ParquetEncoding]
        var codec: ParquetCompression
        var numValues: Int64
        var uncompressedSize: Int64
        var compressedSize: Int64
        var dataPageOffset: Int64
        var dictionaryPageOffset: Int64?
        var statistics: (min: [UInt8]?, max: [UInt8]?, nullCount: Int64)
    }

    struct RowGroupToWrite {
        var chunks: [ChunkToWrite]
        var numRows: Int64
    }

    static func encode(schema: ParquetSchema, rowGroups: [RowGroupToWrite], keyValue: [(String, String)], createdBy: String) -> [UInt8] {
        var w = ThriftWriter()
        w.i32(1, 2)
        let root = ParquetColumn(name: "schema", type: .boolean)
        w.structList(2, [nil] + schema.columns.map { Optional($0) }) { w, column in
            guard let column else {
                w.string(4, root.name)
                w.i32(5, Int32(schema.columns.count))
                return
            }
            w.i32(1, column.physicalType.rawValue)
            w.i32(3, column.isOptional ? 1 : 0)
            w.string(4, column.name)
            switch column.logicalType {
            case .none: break
            case .string:
                w.i32(6, 0)  // ConvertedType UTF8
                w.beginStruct(10); w.beginStruct(1); w.endStruct(); w.endStruct()
            case .timestamp(let unit, let utc):
                if unit == .millis { w.i32(6, 9) } else if unit == .micros { w.i32(6, 10) }
                w.beginStruct(10)
                w.beginStruct(8)
                w.bool(1, utc)
                w.beginStruct(2)
                w.beginStruct(unit == .millis ? 1 : unit == .micros ? 2 : 3); w.endStruct()
                w.endStruct()
                w.endStruct()
                w.endStruct()
            }
        }
        w.i64(3, rowGroups.reduce(0) { $0 + $1.numRows })
        w.structList(4, rowGroups) { w, group in
            w.structList(1, group.chunks) { w, chunk in
                w.i64(2, chunk.dictionaryPageOffset ?? chunk.dataPageOffset)
                w.beginStruct(3)
                w.i32(1, chunk.column.physicalType.rawValue)
                w.i32List(2, chunk.encodings.map(\.rawValue))
                w.stringList(3, [chunk.column.name])
                w.i32(4, chunk.codec.rawValue)
                w.i64(5, chunk.numValues)
                w.i64(6, chunk.uncompressedSize)
                w.i64(7, chunk.compressedSize)
                w.i64(9, chunk.dataPageOffset)
                if let dictionary = chunk.dictionaryPageOffset { w.i64(11, dictionary) }
                w.beginStruct(12)
                w.i64(3, chunk.statistics.nullCount)
                if let max = chunk.statistics.max { w.binary(5, max) }
                if let min = chunk.statistics.min { w.binary(6, min) }
                w.endStruct()
                w.endStruct()
            }
            w.i64(2, group.chunks.reduce(0) { $0 + $1.uncompressedSize })
            w.i64(3, group.numRows)
            w.i64(5, group.chunks.first.map { $0.dictionaryPageOffset ?? $0.dataPageOffset } ?? 4)
            w.i64(6, group.chunks.reduce(0) { $0 + $1.compressedSize })
        }
        if !keyValue.isEmpty {
            w.structList(5, keyValue) { w, pair in
                w.string(1, pair.0)
                w.string(2, pair.1)
            }
        }
        w.string(6, createdBy)
        // Column orders: min_value/max_value follow each type's natural order.
        w.structList(7, schema.columns) { w, _ in
            w.beginStruct(1); w.endStruct()
        }
        return w.finish()
    }

    struct Decoded {
        var schema: ParquetSchema
        var rowGroups: [ParquetRowGroupInfo]
        var keyValue: [String: String]
        var numRows: Int64
        var createdBy: String?
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) throws(ParquetError) -> Decoded {
        var reader = ThriftReader(bytes)
        let root = try reader.readStruct()
        guard let elements = root[2]?.list, let first = elements.first?.fields else { throw .corrupt("footer without a schema") }
        let childCount = Int(first[5]?.int ?? 0)
        guard childCount == elements.count - 1 else {
            throw .unsupported("nested schemas (root has \(childCount) children, \(elements.count - 1) elements)")
        }
        var columns: [ParquetColumn] = []
        for element in elements.dropFirst() {
            guard let f = element.fields, let name = f[4]?.string else { throw .corrupt("schema element without a name") }
            guard f[5]?.int == nil || f[5]?.int == 0 else { throw .unsupported("nested column '\(name)'") }
            guard let typeCode = f[1]?.int, let type = ParquetPhysicalType(rawValue: Int32(truncatingIfNeeded: typeCode)) else {
                throw .corrupt("column '\(name)' without a physical type")
            }
            let repetition = f[3]?.int ?? 0
            guard repetition != 2 else { throw .unsupported("repeated column '\(name)'") }
            var logical = ParquetLogicalType.none
            if let l = f[10]?.fields {
                if l[1] != nil { logical = .string }
                if let ts = l[8]?.fields {
                    let unitFields = ts[2]?.fields ?? [:]
                    let unit: ParquetLogicalType.TimeUnit = unitFields[1] != nil ? .millis : unitFields[2] != nil ? .micros : .nanos
                    logical = .timestamp(unit: unit, utc: ts[1]?.bool ?? false)
                }
            } else if let converted = f[6]?.int {
                if converted == 0 { logical = .string }
                if converted == 9 { logical = .timestamp(unit: .millis, utc: true) }
                if converted == 10 { logical = .timestamp(unit: .micros, utc: true) }
            }
            columns.append(ParquetColumn(name: name, type: type, logicalType: logical, optional: repetition == 1))
        }
        let schema = ParquetSchema(columns)
        var groups: [ParquetRowGroupInfo] = []
        for group in root[4]?.list ?? [] {
            guard let g = group.fields, let numRows = g[3]?.int, numRows >= 0, let chunks = g[1]?.list else {
                throw .corrupt("row group without rows or columns")
            }
            guard chunks.count == columns.count else {
                throw .corrupt("row group has \(chunks.count) column chunks for \(columns.count) columns")
            }
            var infos: [ParquetColumnChunkInfo] = []
            for (index, chunk) in chunks.enumerated() {
                guard let c = chunk.fields, let meta = c[3]?.fields else { throw .unsupported("column chunk without inline metadata") }
                guard c[1] == nil else { throw .unsupported("column chunks in other files") }
                guard let codecRaw = meta[4]?.int, let codec = ParquetCompression(rawValue: Int32(truncatingIfNeeded: codecRaw)),
                    let numValues = meta[5]?.int, let uncompressed = meta[6]?.int, let compressed = meta[7]?.int,
                    let dataOffset = meta[9]?.int,
                    numValues >= 0, compressed >= 0, dataOffset >= 0
                else {
                    throw .corrupt("column chunk metadata of '\(columns[index].name)' is incomplete")
                }
                let encodings = (meta[2]?.list ?? []).compactMap {
                    $0.int.flatMap { ParquetEncoding(rawValue: Int32(truncatingIfNeeded: $0)) }
                }
                var statistics: ParquetStatistics?
                if let s = meta[12]?.fields {
                    let type = columns[index].physicalType
                    // min_value/max_value (5, 6) are in the type's order; the deprecated min/max (1, 2)
                    // are trusted for numeric types only.
                    let minBytes = s[6]?.binary ?? (type == .byteArray ? nil : s[2]?.binary)
                    let maxBytes = s[5]?.binary ?? (type == .byteArray ? nil : s[1]?.binary)
                    statistics = ParquetStatistics(
                        min: minBytes.flatMap { statValue($0, type) }, max: maxBytes.flatMap { statValue($0, type) },
                        nullCount: s[3]?.int)
                }
                infos.append(
                    ParquetColumnChunkInfo(
                        column: columns[index].name, codec: codec, encodings: encodings, numValues: numValues,
                        statistics: statistics, compressedSize: compressed, uncompressedSize: uncompressed,
                        dataPageOffset: dataOffset, dictionaryPageOffset: meta[11]?.int))
            }
            groups.append(ParquetRowGroupInfo(numRows: numRows, columns: infos))
        }
        var keyValue: [String: String] = [:]
        for pair in root[5]?.list ?? [] {
            if let f = pair.fields, let key = f[1]?.string { keyValue[key] = f[2]?.string ?? "" }
        }
        return Decoded(schema: schema, rowGroups: groups, keyValue: keyValue, numRows: root[3]?.int ?? 0, createdBy: root[6]?.string)
    }

    static func statValue(_ bytes: [UInt8], _ type: ParquetPhysicalType) -> ParquetStatistics.Value? {
        func fixed<T: FixedWidthInteger>(_: T.Type) -> T? {
            guard bytes.count == MemoryLayout<T>.size else { return nil }
            var v: T = 0
            for (i, b) in bytes.enumerated() { v |= T(b) << (8 * i) }
            return v
        }
        switch type {
        case .boolean: return bytes.first.map { .boolean($0 != 0) }
        case .int32: return fixed(UInt32.self).map { .int32(Int32(bitPattern: $0)) }
        case .int64: return fixed(UInt64.self).map { .int64(Int64(bitPattern: $0)) }
        case .float: return fixed(UInt32.self).map { .float(Float(bitPattern: $0)) }
        case .double: return fixed(UInt64.self).map { .double(Double(bitPattern: $0)) }
        case .byteArray, .fixedLenByteArray: return .bytes(bytes)
        case .int96: return nil
        }
    }
}
