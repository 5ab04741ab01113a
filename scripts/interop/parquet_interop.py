#!/usr/bin/env python3
"""pyarrow side of the Parquet interop tests (Tests/ParquetTests).

  check FILE EXPECTED.json   read FILE with pyarrow and compare with the expected columns
  write DIR                  write files with several pyarrow settings, each with a .json sidecar
  dataset ROOT EXPECTED.json read a Hive-partitioned tree as one dataset and compare row counts

Expected JSON: {"columns": {name: [value or null, ...]}, "types": {name: "arrow type string"}}.
Floats are compared exactly (JSON carries shortest round-trip reprs); timestamps as int ns.
"""
import json
import math
import sys

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq


def normalise(column):
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.int64())
    return column.to_pylist()


def same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and float(a) == float(b)
    return a == b


def check(path, expected_path):
    expected = json.load(open(expected_path))
    table = pq.read_table(path)
    problems = []
    for name, values in expected["columns"].items():
        if name not in table.column_names:
            problems.append(f"missing column {name}")
            continue
        got = normalise(table.column(name))
        if len(got) != len(values):
            problems.append(f"{name}: {len(got)} rows, expected {len(values)}")
            continue
        for i, (g, e) in enumerate(zip(got, values)):
            if not same(g, e):
                problems.append(f"{name}[{i}]: got {g!r}, expected {e!r}")
                break
    for name, type_string in expected.get("types", {}).items():
        actual = str(table.schema.field(name).type)
        if actual != type_string:
            problems.append(f"{name}: type {actual}, expected {type_string}")
    meta = pq.ParquetFile(path).metadata
    for key, value in expected.get("metadata", {}).items():
        got = (meta.metadata or {}).get(key.encode())
        if got != value.encode():
            problems.append(f"metadata {key}: {got!r}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"ok {table.num_rows} rows, {meta.num_row_groups} row groups")


def write(directory):
    n = 3000
    ints = [i * 7 - 1000 if i % 11 else None for i in range(n)]
    longs = [1_733_011_200_000_000_000 + i * 1_000_003 for i in range(n)]
    doubles = [i / 7 if i % 13 else None for i in range(n)]
    strings = [f"sym{i % 17}" if i % 5 else None for i in range(n)]
    bools = [i % 3 == 0 for i in range(n)]
    table = pa.table({
        "i32": pa.array(ints, pa.int32()),
        "i64": pa.array(longs, pa.int64()),
        "ts": pa.array(longs, pa.timestamp("ns", tz="UTC")),
        "f64": pa.array(doubles, pa.float64()),
        "f32": pa.array([float(i) / 4 for i in range(n)], pa.float32()),
        "s": pa.array(strings, pa.string()),
        "b": pa.array(bools, pa.bool_()),
    })
    # Floats travel as repr strings: every JSON parser then gets the exact value back.
    expected = {name: [repr(v) if isinstance(v, float) else v for v in normalise(table.column(name))] for name in table.column_names}
    settings = {
        "default": dict(),
        "nodict_snappy": dict(use_dictionary=False, compression="snappy"),
        "zstd_v2": dict(compression="zstd", data_page_version="2.0"),
        "brotli_v1": dict(compression="brotli", data_page_version="1.0"),
        "none_small_groups": dict(compression="none", row_group_size=700),
        "delta": dict(use_dictionary=False, column_encoding={"i64": "DELTA_BINARY_PACKED", "i32": "DELTA_BINARY_PACKED"}, compression="zstd"),
    }
    for name, options in settings.items():
        pq.write_table(table, f"{directory}/{name}.parquet", **options)
        json.dump({"columns": expected}, open(f"{directory}/{name}.json", "w"))
    print("wrote", ", ".join(settings))


def dataset(root, expected_path):
    expected = json.load(open(expected_path))
    # Each event type has its own columns: the tree is one dataset under the union of the
    # per-type schemas (they agree wherever names meet) plus the partition keys.
    files = ds.dataset(root, format="parquet", partitioning="hive").files
    unified = pa.unify_schemas([pq.read_schema(f) for f in files]
                               + [pa.schema([("type", pa.string()), ("symbol", pa.string()), ("date", pa.string())])])
    data = ds.dataset(root, format="parquet", partitioning=ds.partitioning(
        pa.schema([("type", pa.string()), ("symbol", pa.string()), ("date", pa.string())]), flavor="hive"), schema=unified)
    problems = []
    for type_name, count in expected["rows_by_type"].items():
        table = data.to_table(filter=ds.field("type") == type_name)
        if table.num_rows != count:
            problems.append(f"type={type_name}: {table.num_rows} rows, expected {count}")
        for column in expected.get("columns", {}).get(type_name, []):
            if column not in table.column_names:
                problems.append(f"type={type_name}: no column {column}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print("ok", data.count_rows(), "rows")


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "check":
        check(sys.argv[2], sys.argv[3])
    elif command == "write":
        write(sys.argv[2])
    elif command == "dataset":
        dataset(sys.argv[2], sys.argv[3])
    elif command == "manifest":
        pass  # handled below, once manifest() is defined
    else:
        sys.exit(f"unknown command {command}")


def manifest(directory):
    """Every split named in a dataset manifest reads with pyarrow and has the manifest's row count."""
    info = json.load(open(f"{directory}/manifest.json"))
    problems = []
    for name, split in info["splits_info"].items():
        table = pq.read_table(f"{directory}/{split['file']}")
        if table.num_rows != split["rows"]:
            problems.append(f"{name}: {table.num_rows} rows, manifest says {split['rows']}")
        if table.column_names != info["columns"]:
            problems.append(f"{name}: columns differ from the manifest")
        nulls = {c: table.column(c).null_count for c in table.column_names}
        for column, count in info["null_counts"][name].items():
            if nulls.get(column) != count:
                problems.append(f"{name}.{column}: {nulls.get(column)} nulls, manifest says {count}")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print("ok", len(info["splits_info"]), "splits")


if __name__ == "__main__" and sys.argv[1] == "manifest":
    manifest(sys.argv[2])
