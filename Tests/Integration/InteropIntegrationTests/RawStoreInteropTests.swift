import Foundation
import MarketData
import RawStore
import ServiceTestSupport
import TestSupport
import Testing

/// The raw store's Parquet tree, read by pyarrow as one hive-partitioned dataset.
@Suite struct RawStoreInteropTests {
    @Test func pyarrowReadsTheTreeAsOneHivePartitionedDataset() throws {
        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat())
        let events = storedStream(count: 800)
        store.append(events)
        try store.sync()
        try store.flush()
        var rows: [String: Int] = [:]
        for event in events {
            if case .book(let book) = event.body {
                rows["orderbook", default: 0] += max(1, book.bids.count + book.asks.count)
            } else {
                rows[event.type.rawValue, default: 0] += 1
            }
        }
        let expected =
            "{\"rows_by_type\":{" + rows.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "},"
            + "\"columns\":{\"orderbook\":[\"recv_ts\",\"seq\",\"exch_ts\",\"gateway_ts\","
            + "\"update_id\",\"is_snapshot\",\"side\",\"price\",\"size\",\"symbol\","
            + "\"date\"],"
            + "\"trade\":[\"recv_ts\",\"trade_id\",\"price\",\"size\",\"side\"]}}"
        let expectedPath = root + "/expected.json"
        try expected.write(toFile: expectedPath, atomically: true, encoding: .utf8)
        let (status, output) = try runPython(["scripts/interop/parquet_interop.py", "dataset", root + "/raw", expectedPath])
        #expect(status == 0, "\(output)")
    }
}
