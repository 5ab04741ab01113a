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
