#!/usr/bin/env python3
"""pyarrow half of Benchmarks/ParquetBenchmark: the same table, write + read timed.
Prints "codec write_seconds read_seconds bytes" per codec."""
import os
import sys
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

rows = int(sys.argv[1])
directory = sys.argv[2]
i = pa.array(range(rows), pa.int64())
table = pa.table({
    "recv_ts": pc.add(pc.multiply(i, 1_000_003), 1_700_000_000_000_000_000).cast(pa.timestamp("ns", tz="UTC")),
    "trade_id": i,
    "price": pc.add(pc.multiply(pc.cast(pc.subtract(i, pc.multiply(pc.divide(i, 1000), 1000)), pa.float64()), 0.1), 96_000.0),
    "size": pc.add(pc.divide(pc.cast(pc.subtract(pc.multiply(i, 7919), pc.multiply(pc.divide(pc.multiply(i, 7919), 10_000), 10_000)), pa.float64()), 1000.0), 0.001),
    "side": pc.equal(pc.subtract(i, pc.multiply(pc.divide(i, 2), 2)), 0),
    "symbol": pc.take(pa.array(["BTCUSDT", "ETHUSDT", "SOLUSDT"]), pc.subtract(i, pc.multiply(pc.divide(i, 3), 3))),
})
for codec in ["zstd", "snappy"]:
    path = os.path.join(directory, f"pyarrow-{codec}.parquet")
    start = time.perf_counter()
    pq.write_table(table, path, compression=codec, row_group_size=1_000_000)
    write = time.perf_counter() - start
    start = time.perf_counter()
    read = pq.read_table(path)
    elapsed = time.perf_counter() - start
    assert read.num_rows == rows
    print(codec, write, elapsed, os.path.getsize(path))
