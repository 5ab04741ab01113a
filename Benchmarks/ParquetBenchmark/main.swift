// Parquet benchmark: `swift run -c release ParquetBenchmark [rows]`.
// Writes and reads the same trade-like table (recv_ts, trade_id, price, size, side, symbol)
// with this module and with pyarrow (scripts/interop/bench_pyarrow.py, same data formula and
// settings: 1 M-row row groups), in the same run, and prints the time ratios (also of our
// single-threaded path). DuckDB (installed into the venv by the script on first use) reads
// both files as a second peer.
import Foundation
import Parquet

let rows = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 10_000_000 : 10_000_000
let batchRows = 1_000_000
let symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

let schema = ParquetSchema([
    .timestampNanos("recv_ts"),
    ParquetColumn(name: "trade_id", type: .int64, encoding: .deltaBinaryPacked),
    ParquetColumn(name: "price", type: .double),
    ParquetColumn(name: "size", type: .double),
    ParquetColumn(name: "side", type: .boolean),
    .string("symbol"),
])

/// The rows [start, start + count) of the table (same formula as the Python side).
func batch(_ start: Int, _ count: Int) -> [ParquetColumnData] {
    let range = start..<(start + count)
    return [
        ParquetColumnData(.int64(range.map { 1_700_000_000_000_000_000 + Int64($0) * 1_000_003 })),
        ParquetColumnData(.int64(range.map { Int64($0) })),
        ParquetColumnData(.double(range.map { 96_000 + Double($0 % 1000) * 0.1 })),
        ParquetColumnData(.double(range.map { Double(($0 * 7919) % 10_000) / 1000 + 0.001 })),
        ParquetColumnData(.boolean(range.map { $0 % 2 == 0 })),
        ParquetColumnData(.string(range.map { symbols[$0 % 3] })),
    ]
}

print("generating \(rows) rows...")
let batches = stride(from: 0, to: rows, by: batchRows).map { batch($0, min(batchRows, rows - $0)) }
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("parquet-bench-\(UUID().uuidString)").path
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }

/// Writes and reads the table with `codec`; `parallel: false` keeps both on the calling thread.
func measure(_ codec: ParquetCompression, parallel: Bool, path: String) throws -> (write: Double, read: Double, bytes: Int64) {
    var options = ParquetWriterOptions()
    options.compression = codec
    options.rowGroupRows = 1_000_000
    options.encodesColumnsInParallel = parallel
    var t0 = now()
    let writer = try ParquetWriter(path: path, schema: schema, options: options)
    for b in batches { try writer.write(b) }
    let summary = try writer.close()
    let write = now() - t0
    t0 = now()
    let reader = try ParquetReader(path: path)
    reader.decodesColumnsInParallel = parallel
    var read = 0
    for index in reader.rowGroups.indices { read += try reader.readRowGroup(index)[0].count }
    let readTime = now() - t0
    precondition(read == rows)
    return (write, readTime, summary.bytes)
}

var results: [(String, Double, Double, Int64)] = []
var serial: [String: (write: Double, read: Double)] = [:]
for codec in [ParquetCompression.zstd, .snappy] {
    // One thread first (what the column-parallel path adds), then the default, kept for the peers.
    let one = try measure(codec, parallel: false, path: "\(directory)/serial-\(codec).parquet")
    try FileManager.default.removeItem(atPath: "\(directory)/serial-\(codec).parquet")
    serial["\(codec)"] = (one.write, one.read)
    let (write, read, bytes) = try measure(codec, parallel: true, path: "\(directory)/ours-\(codec).parquet")
    results.append(("\(codec)", write, read, bytes))
}

// pyarrow on the same data, same run.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let python = ProcessInfo.processInfo.environment["FEATURE_SERVICE_PYTHON"] ?? root.appendingPathComponent(".venv/bin/python").path
let process = Process()
process.executableURL = URL(fileURLWithPath: python)
process.arguments = [root.appendingPathComponent("scripts/interop/bench_pyarrow.py").path, String(rows), directory]
let pipe = Pipe()
process.standardOutput = pipe
try process.run()
let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
process.waitUntilExit()
var pyarrow: [String: (Double, Double, Int64)] = [:]
var duckdb: [String: (ours: Double, pyarrow: Double)] = [:]
for line in output.split(separator: "\n") {
    let parts = line.split(separator: " ")
    if parts.count == 4, parts[0] == "duckdb", let o = Double(parts[2]), let p = Double(parts[3]) {
        duckdb[String(parts[1])] = (o, p)
    } else if parts.count == 4, let w = Double(parts[1]), let r = Double(parts[2]), let b = Int64(parts[3]) {
        pyarrow[String(parts[0])] = (w, r, b)
    }
}
print("\(rows) rows, 1 M-row row groups; seconds (lower is better)")
print("codec   | ours write | pyarrow write | ratio | ours read | pyarrow read | ratio | ours MB | pyarrow MB")
for (codec, write, read, bytes) in results {
    guard let (pw, pr, pb) = pyarrow[codec] else { print("\(codec): pyarrow figures missing (\(output))"); continue }
    print(
        String(
            format: "%@ | %10.2f | %13.2f | %5.2f | %9.2f | %12.2f | %5.2f | %7.1f | %10.1f",
            codec.padding(toLength: 7, withPad: " ", startingAt: 0) as NSString, write, pw, write / pw,
            read, pr, read / pr, Double(bytes) / 1e6, Double(pb) / 1e6))
}
print("DuckDB reading the same files (every column into an Arrow table); seconds")
print("codec   | duckdb: ours file | duckdb: pyarrow file | ratio")
for (codec, _, _, _) in results {
    guard let (o, p) = duckdb[codec] else { print("\(codec): DuckDB figures missing"); continue }
    print(String(format: "%@ | %17.2f | %20.2f | %5.2f", codec.padding(toLength: 7, withPad: " ", startingAt: 0) as NSString, o, p, o / p))
}
print("ours on one thread (encodesColumnsInParallel / decodesColumnsInParallel off); seconds")
print("codec   | write | ratio to pyarrow | read | ratio to pyarrow")
for (codec, _, _, _) in results {
    guard let one = serial[codec], let (pw, pr, _) = pyarrow[codec] else { continue }
    print(
        String(
            format: "%@ | %5.2f | %16.2f | %4.2f | %16.2f", codec.padding(toLength: 7, withPad: " ", startingAt: 0) as NSString,
            one.write, one.write / pw, one.read, one.read / pr))
}
