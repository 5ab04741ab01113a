import Foundation
import Parquet
import TestSupport
import Testing

@Suite struct ParquetRoundTripTests {
    @Test(arguments: [ParquetCompression.uncompressed, .snappy, .zstd, .brotli])
    func everyTypeEncodingAndCodecRoundTrips(codec: ParquetCompression) throws {
        let (schema, columns) = sampleTable(rows: 5000)
        var options = ParquetWriterOptions()
        options.compression = codec
        options.rowGroupRows = 2000
        options.pageRows = 700
        let (_, reader) = try roundTrip(schema, columns, options: options)
        #expect(reader.numRows == 5000)
        #expect(reader.rowGroups.count == 3)
        #expect(reader.keyValueMetadata["origin"] == "test")
        #expect(reader.schema.columns.map(\.name) == schema.columns.map(\.name))
        #expect(reader.schema.columns[0].logicalType == .timestamp(unit: .nanos, utc: true))
        #expect(reader.schema.columns[7].logicalType == .string)
        let read = try reader.readAll()
        for (index, column) in schema.columns.enumerated() {
            #expect(read[index].validity == columns[index].validity, "\(column.name) validity")
            #expect(nullsZeroed(read[index]) == nullsZeroed(columns[index]), "\(column.name) values")
        }
    }

    @Test func projectionStatisticsAndRowGroupSkipping() throws {
        let (schema, columns) = sampleTable(rows: 3000)
        var options = ParquetWriterOptions()
        options.rowGroupRows = 1000
        let (_, reader) = try roundTrip(schema, columns, options: options)
        let projected = try reader.readRowGroup(1, columns: ["symbol", "recv_ts"])
        #expect(projected.count == 2)
        guard case .int64(let ts) = projected[1].values, case .int64(let all) = columns[0].values else { Issue.record("types"); return }
        #expect(ts == Array(all[1000..<2000]))
        let stats = try #require(reader.rowGroups[1].columns[0].statistics)
        #expect(stats.min == .int64(all[1000]))
        #expect(stats.max == .int64(all[1999]))
        #expect(
            reader.rowGroups[0].columns[2].statistics?.nullCount
                == Int64(columns[2].nullCount * 0 + (0..<1000).filter { $0 % 7 == 3 }.count))
        #expect(reader.rowGroups(overlapping: "recv_ts", range: all[1500]...all[1600]) == [1])
        #expect(reader.rowGroups(overlapping: "recv_ts", range: all[999]...all[1000]) == [0, 1])
        #expect(reader.rowGroups(overlapping: "recv_ts", range: (all[2999] + 1)...(all[2999] + 10)).isEmpty)
    }

    @Test func aLargeDictionaryFallsBackToPlain() throws {
        let schema = ParquetSchema([.string("s")])
        let values = (0..<20_000).map { "unique-value-\($0)-" + String(repeating: "x", count: 50) }
        var options = ParquetWriterOptions()
        options.dictionaryPageSizeLimit = 64 * 1024
        let (_, reader) = try roundTrip(schema, [ParquetColumnData(.string(values))], options: options)
        #expect(!reader.rowGroups[0].columns[0].encodings.contains(.rleDictionary))
        #expect(try reader.readAll()[0].values == .string(values))
    }

    @Test func anEmptyFileHasTheSchemaAndNoRows() throws {
        let (schema, _) = sampleTable(rows: 0)
        let path = scratch("empty.parquet")
        let writer = try ParquetWriter(path: path, schema: schema)
        try writer.close()
        let reader = try ParquetReader(path: path)
        #expect(reader.numRows == 0)
        #expect(reader.schema == ParquetSchema(reader.schema.columns))
        #expect(try reader.readAll().allSatisfy { $0.count == 0 })
    }

    @Test func aFileIsNotVisibleUntilClosedAndAbortLeavesNothing() throws {
        let path = scratch("atomic.parquet")
        let (schema, columns) = sampleTable(rows: 10)
        let writer = try ParquetWriter(path: path, schema: schema)
        try writer.write(columns)
        #expect(!FileManager.default.fileExists(atPath: path))
        writer.abort()
        #expect(!FileManager.default.fileExists(atPath: path))
        let directory = (path as NSString).deletingLastPathComponent
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test func badBatchesAreRejectedWithAReason() throws {
        let (schema, columns) = sampleTable(rows: 10)
        let writer = try ParquetWriter(path: scratch("bad.parquet"), schema: schema)
        defer { writer.abort() }
        #expect(throws: ParquetError.self) { try writer.write(Array(columns.dropLast())) }
        var wrongLength = columns
        wrongLength[0] = ParquetColumnData(.int64([1, 2]))
        #expect(throws: ParquetError.self) { try writer.write(wrongLength) }
        var wrongType = columns
        wrongType[3] = ParquetColumnData(.int64(Array(repeating: 1, count: 10)))
        #expect(throws: ParquetError.self) { try writer.write(wrongType) }
        var nullInRequired = columns
        nullInRequired[0].validity = Array(repeating: true, count: 10)
        #expect(throws: ParquetError.self) { try writer.write(nullInRequired) }
    }
}

/// Values with null slots zeroed, so that placeholders do not matter in comparisons.
func nullsZeroed(_ data: ParquetColumnData) -> ParquetColumnData.Values {
    guard let validity = data.validity else { return data.values }
    func z<T>(_ v: [T], _ zero: T) -> [T] { zip(v, validity).map { $1 ? $0 : zero } }
    switch data.values {
    case .boolean(let v): return .boolean(z(v, false))
    case .int32(let v): return .int32(z(v, 0))
    case .int64(let v): return .int64(z(v, 0))
    case .float(let v): return .float(z(v, 0))
    case .double(let v): return .double(z(v, 0))
    case .string(let v): return .string(z(v, ""))
    case .bytes(let v): return .bytes(z(v, []))
    }
}

@Suite struct ParquetEdgeCaseTests {
    @Test func anAllNullDictionaryColumnIsWrittenPlain() throws {
        let schema = ParquetSchema([
            .string("s", optional: true), ParquetColumn(name: "d", type: .double, optional: true, encoding: .rleDictionary),
        ])
        let columns = [
            ParquetColumnData(.string(["", ""]), validity: [false, false]), ParquetColumnData(.double([0, 0]), validity: [false, false]),
        ]
        let (path, reader) = try roundTrip(schema, columns, options: ParquetWriterOptions())
        let read = try reader.readAll()
        #expect(read[0].validity == [false, false])
        #expect(read[1].validity == [false, false])
        #expect(FileManager.default.fileExists(atPath: path))
    }
}

/// The parallel paths (column chunks encoded and decoded on several threads) and the
/// batch handling that avoids copies between batches.
@Suite struct ParquetParallelTests {
    /// 30,000 rows of 10 columns in 10,000-row groups: each group is above the parallel threshold.
    func write(_ path: String, parallel: Bool, batches: [Range<Int>]) throws -> [UInt8] {
        let (schema, columns) = sampleTable(rows: 30_000)
        var options = ParquetWriterOptions()
        options.rowGroupRows = 10_000
        options.pageRows = 3_000
        options.encodesColumnsInParallel = parallel
        let writer = try ParquetWriter(path: path, schema: schema, options: options)
        for rows in batches { try writer.write(columns.map { slice($0, rows) }) }
        try writer.close()
        return Array(try #require(FileManager.default.contents(atPath: path)))
    }

    func slice(_ data: ParquetColumnData, _ rows: Range<Int>) -> ParquetColumnData {
        let values: ParquetColumnData.Values
        switch data.values {
        case .boolean(let v): values = .boolean(Array(v[rows]))
        case .int32(let v): values = .int32(Array(v[rows]))
        case .int64(let v): values = .int64(Array(v[rows]))
        case .float(let v): values = .float(Array(v[rows]))
        case .double(let v): values = .double(Array(v[rows]))
        case .string(let v): values = .string(Array(v[rows]))
        case .bytes(let v): values = .bytes(Array(v[rows]))
        }
        return ParquetColumnData(values, validity: data.validity.map { Array($0[rows]) })
    }

    @Test func parallelEncodingWritesTheSameBytesAsSerial() throws {
        let serial = try write(scratch("serial.parquet"), parallel: false, batches: [0..<30_000])
        for _ in 0..<3 {
            #expect(try write(scratch("parallel.parquet"), parallel: true, batches: [0..<30_000]) == serial)
        }
    }

    @Test func batchBoundariesDoNotChangeTheFile() throws {
        let whole = try write(scratch("whole.parquet"), parallel: true, batches: [0..<30_000])
        // Partial groups, a batch spanning several groups, exact groups, an empty batch.
        let cuts = [0..<1, 1..<7_001, 7_001..<7_001, 7_001..<27_000, 27_000..<30_000]
        #expect(try write(scratch("cut.parquet"), parallel: true, batches: cuts) == whole)
        let aligned = [0..<10_000, 10_000..<20_000, 20_000..<30_000]
        #expect(try write(scratch("aligned.parquet"), parallel: false, batches: aligned) == whole)
    }

    @Test func parallelDecodingReadsWhatSerialReads() throws {
        let path = scratch("read.parquet")
        _ = try write(path, parallel: true, batches: [0..<30_000])
        let (_, columns) = sampleTable(rows: 30_000)
        let reader = try ParquetReader(path: path)
        #expect(reader.rowGroups.count == 3)
        let parallel = try reader.readAll()
        reader.decodesColumnsInParallel = false
        #expect(try reader.readAll() == parallel)
        for index in columns.indices {
            #expect(parallel[index].validity == columns[index].validity)
            #expect(nullsZeroed(parallel[index]) == nullsZeroed(columns[index]))
        }
        let group = try reader.readRowGroup(2, columns: ["note", "price"])
        #expect(group[0] == slice(parallel[8], 20_000..<30_000))
    }

    @Test func byteDictionariesHandleManyValuesAndBytewiseBounds() throws {
        // 5,000 distinct values (the hash table grows several times), prefixes, empty and non-ASCII strings.
        let distinct = ["", "a", "ab", "b", "é", "\u{7F}"] + (0..<5_000).map { "v\($0 * 7919 % 5_000)" }
        let values = (0..<40_000).map { distinct[($0 * 31) % distinct.count] }
        let schema = ParquetSchema([.string("s"), ParquetColumn(name: "b", type: .byteArray, encoding: .rleDictionary)])
        let columns = [ParquetColumnData(.string(values)), ParquetColumnData(.bytes(values.map { Array($0.utf8) }))]
        let (_, reader) = try roundTrip(schema, columns, options: ParquetWriterOptions())
        #expect(reader.rowGroups[0].columns[0].encodings.contains(.rleDictionary))
        #expect(try reader.readAll() == columns)
        let stats = try #require(reader.rowGroups[0].columns[1].statistics)
        let sorted = distinct.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(stats.min == .bytes(sorted.first!))
        #expect(stats.max == .bytes(sorted.last!))
    }

    @Test func aRowGroupLargerThanTheReaderReservesGrowsItsArrays() throws {
        // The reader reserves at most 4 Mi values per chunk up front (the footer's row count
        // is not trusted with an allocation): past that, pages append with geometric growth.
        let rows = (1 << 22) + 1_000
        let values = (0..<rows).map { Int64($0) * 3 }
        let schema = ParquetSchema([
            ParquetColumn(name: "plain", type: .int64), ParquetColumn(name: "delta", type: .int64, encoding: .deltaBinaryPacked),
        ])
        var options = ParquetWriterOptions()
        options.rowGroupRows = rows
        options.compression = .uncompressed
        let (_, reader) = try roundTrip(schema, [ParquetColumnData(.int64(values)), ParquetColumnData(.int64(values))], options: options)
        #expect(reader.rowGroups.count == 1)
        let read = try reader.readRowGroup(0)
        #expect(read[0].values == .int64(values))
        #expect(read[1].values == .int64(values))
    }
}
