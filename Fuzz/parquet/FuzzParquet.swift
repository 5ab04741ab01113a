import Parquet

// libFuzzer target: the Parquet reader on a file held in memory: the footer (Thrift compact
// metadata), then every row group and column (pages, levels, encodings, codecs), row-group
// pruning by statistics and column projection.
// With FUZZ_PARQUET_WRITE_SEEDS=<dir> set, it writes seed files made by the project's writer
// into <dir> and exits instead (scripts/fuzz.sh --make-seeds).
#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParquet(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = [UInt8](UnsafeRawBufferPointer(start: start, count: count))
    guard let reader = try? ParquetReader(bytes: bytes) else { return 0 }
    _ = try? reader.readAll()
    for column in reader.schema.columns {
        _ = reader.rowGroups(overlapping: column.name, range: 0...Int64.max)
    }
    if let last = reader.schema.columns.last, !reader.rowGroups.isEmpty {
        _ = try? reader.readRowGroup(reader.rowGroups.count - 1, columns: [last.name])
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzParquetInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>>>
) -> CInt {
    guard let dir = getenv("FUZZ_PARQUET_WRITE_SEEDS").map({ String(cString: $0) }) else { return 0 }
    do {
        try writeSeeds(into: dir)
        exit(0)
    } catch {
        print("seed writing failed: \(error)")
        exit(1)
    }
}

/// Small files covering each physical type, nulls, every writer encoding and codec.
func writeSeeds(into dir: String) throws {
    let rows = 12
    let valid = (0..<rows).map { $0 % 4 != 1 }
    let schema = ParquetSchema([
        .timestampNanos("recv_ts"),
        ParquetColumn(name: "seq", type: .int64, encoding: .deltaBinaryPacked),
        ParquetColumn(name: "id32", type: .int32, optional: true, encoding: .deltaBinaryPacked),
        ParquetColumn(name: "price", type: .double),
        ParquetColumn(name: "size", type: .double, optional: true, encoding: .rleDictionary),
        ParquetColumn(name: "ratio", type: .float),
        ParquetColumn(name: "buy", type: .boolean, optional: true),
        .string("symbol"),
        .string("note", optional: true, dictionary: false),
    ])
    let columns: [ParquetColumnData] = [
        ParquetColumnData(.int64((0..<rows).map { 1_764_064_800_000_000_000 + Int64($0) * 1_234_567 })),
        ParquetColumnData(.int64((0..<rows).map { Int64($0) + 1 })),
        ParquetColumnData(.int32((0..<rows).map { Int32($0) * (($0 % 2 == 0) ? 7 : -3) }), validity: valid),
        ParquetColumnData(.double((0..<rows).map { 96_000 + Double($0) / 10 })),
        ParquetColumnData(.double((0..<rows).map { Double($0 % 3) * 0.5 }), validity: valid),
        ParquetColumnData(.float((0..<rows).map { Float($0) / 3 })),
        ParquetColumnData(.boolean((0..<rows).map { $0 % 3 == 0 }), validity: valid),
        ParquetColumnData(.string((0..<rows).map { ["BTCUSDT", "ETHUSDT"][$0 % 2] })),
        ParquetColumnData(.string((0..<rows).map { "n\($0)" }), validity: valid),
    ]
    let codecs: [(String, ParquetCompression)] = [("plain", .uncompressed), ("snappy", .snappy), ("zstd", .zstd), ("brotli", .brotli)]
    for (name, codec) in codecs {
        var options = ParquetWriterOptions()
        options.compression = codec
        options.rowGroupRows = 8
        options.pageRows = 4
        let writer = try ParquetWriter(
            path: "\(dir)/\(name).parquet", schema: schema, options: options, keyValueMetadata: ["origin": "fuzz-seed"])
        try writer.write(columns)
        _ = try writer.close()
    }
}
