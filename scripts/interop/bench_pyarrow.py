#!/usr/bin/env python3
"""pyarrow half of Benchmarks/ParquetBenchmark: the same table, write + read timed.
Prints "codec write_seconds read_seconds bytes" per codec, then, as a second peer,
"duckdb codec ours_read_seconds pyarrow_read_seconds" per codec: DuckDB reading our file
(ours-<codec>.parquet, written by the Swift half into the same directory) and pyarrow's."""
import importlib
import os
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def duckdb_module():
    """DuckDB is a benchmark peer only (never a product dependency): installed on first use."""
    try:
        return importlib.import_module("duckdb")
    except ImportError:
        result = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "duckdb"], capture_output=True, text=True)
        if result.returncode != 0:
            print(f"duckdb unavailable: {result.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            return None
        return importlib.import_module("duckdb")


def duckdb_read(duckdb, path):
    """Seconds to read every column of every row into an Arrow table (like pq.read_table)."""
    con = duckdb.connect()
    start = time.perf_counter()
    relation = con.sql(f"SELECT * FROM read_parquet('{path}')")
    # DuckDB 2.x names it to_arrow_table, 1.x arrow.
    table = relation.to_arrow_table() if hasattr(relation, "to_arrow_table") else relation.arrow()
    elapsed = time.perf_counter() - start
    assert table.num_rows == rows
    con.close()
    return elapsed


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
codecs = ["zstd", "snappy"]
for codec in codecs:
    path = os.path.join(directory, f"pyarrow-{codec}.parquet")
    start = time.perf_counter()
    pq.write_table(table, path, compression=codec, row_group_size=1_000_000)
    write = time.perf_counter() - start
    start = time.perf_counter()
    read = pq.read_table(path)
    elapsed = time.perf_counter() - start
    assert read.num_rows == rows
    print(codec, write, elapsed, os.path.getsize(path), flush=True)
del table, read
duckdb = duckdb_module()
if duckdb is not None:
    for codec in codecs:
        ours = os.path.join(directory, f"ours-{codec}.parquet")
        if os.path.exists(ours):
            print("duckdb", codec, duckdb_read(duckdb, ours), duckdb_read(duckdb, os.path.join(directory, f"pyarrow-{codec}.parquet")), flush=True)
