import Foundation
// Parquet fixtures shared by the Parquet unit tests and the pyarrow interop tests.
public import Parquet

/// A table with every supported type, nulls, and values that exercise each encoding.
public func sampleTable(rows: Int) -> (ParquetSchema, [ParquetColumnData]) {
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
        ParquetColumn(name: "big", type: .int64, optional: true),
    ])
    let valid = (0..<rows).map { $0 % 7 != 3 }
    let columns: [ParquetColumnData] = [
        ParquetColumnData(.int64((0..<rows).map { 1_733_011_200_000_000_000 + Int64($0) * 1_234_567 + Int64($0 % 5) })),
        ParquetColumnData(.int64((0..<rows).map { Int64($0) + 1 })),
        ParquetColumnData(.int32((0..<rows).map { Int32($0 % 1000) * (($0 % 2 == 0) ? 1 : -1) }), validity: valid),
        ParquetColumnData(.double((0..<rows).map { 96_000 + Double($0 % 100) / 10 })),
        ParquetColumnData(.double((0..<rows).map { Double($0 % 9) * 0.001 }), validity: valid.map { !$0 || true }),
        ParquetColumnData(.float((0..<rows).map { Float($0) / 3 })),
        ParquetColumnData(.boolean((0..<rows).map { $0 % 3 == 0 }), validity: valid),
        ParquetColumnData(.string((0..<rows).map { ["BTCUSDT", "ETHUSDT", "ÉTÉ-€"][$0 % 3] })),
        ParquetColumnData(.string((0..<rows).map { "note \($0)" }), validity: (0..<rows).map { $0 % 2 == 0 }),
        ParquetColumnData(.int64((0..<rows).map { $0 % 2 == 0 ? Int64.max - Int64($0) : Int64.min + Int64($0) }), validity: valid),
    ]
    return (schema, columns)
}

public func roundTrip(
    _ schema: ParquetSchema, _ columns: [ParquetColumnData], options: ParquetWriterOptions
) throws -> (String, ParquetReader) {
    let path = scratch("t.parquet")
    let writer = try ParquetWriter(path: path, schema: schema, options: options, keyValueMetadata: ["origin": "test"])
    try writer.write(columns)
    try writer.close()
    return (path, try ParquetReader(path: path))
}

/// A path named `name` in a new scratch directory.
public func scratch(_ name: String) -> String { "\(scratchDirectory())/\(name)" }

/// Runs `scripts/interop/parquet_interop.py` with the test Python (pyarrow).
public func runInterop(_ arguments: [String]) throws -> (status: Int32, output: String) {
    try runPython(["scripts/interop/parquet_interop.py"] + arguments)
}
