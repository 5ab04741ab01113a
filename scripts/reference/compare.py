#!/usr/bin/env python3
"""Compare two feature CSVs (ts_ns,symbol,<features>) row by row, keyed on (ts_ns, symbol).

Usage: compare.py OURS.csv REFERENCE.csv [--show N] [--rtol 1e-9]

Mismatch: one side null (empty field) and the other not, or
|a - b| > rtol * max(1, |a|, |b|). Exit status 1 on any mismatch, missing/extra row
or column difference, else 0.
"""
import argparse
import csv
import math
import sys


def load(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        rows = {}
        dup = 0
        for row in r:
            if not row:
                continue
            key = (int(row[0]), row[1])
            if key in rows:
                dup += 1
            rows[key] = row[2:]
        return header, rows, dup


def parse(x):
    x = x.strip()
    if x == "" or x.lower() in ("null", "none"):
        return None
    return float(x)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("ours")
    ap.add_argument("reference")
    ap.add_argument("--show", type=int, default=5)
    ap.add_argument("--rtol", type=float, default=0.0)
    a = ap.parse_args(argv)
    h1, r1, d1 = load(a.ours)
    h2, r2, d2 = load(a.reference)
    bad = False
    if d1 or d2:
        print("duplicate keys: ours %d, reference %d" % (d1, d2))
        bad = True
    c1, c2 = h1[2:], h2[2:]
    common = [c for c in c1 if c in c2]
    for c in c1:
        if c not in c2:
            print("column only in ours: %s" % c)
            bad = True
    for c in c2:
        if c not in c1:
            print("column only in reference: %s" % c)
            bad = True
    missing = sorted(set(r2) - set(r1))
    extra = sorted(set(r1) - set(r2))
    if missing:
        bad = True
        print("rows missing from ours: %d, first: %s" % (len(missing), missing[:a.show]))
    if extra:
        bad = True
        print("extra rows in ours: %d, first: %s" % (len(extra), extra[:a.show]))
    keys = sorted(set(r1) & set(r2))
    i1 = {c: h1.index(c) - 2 for c in common}
    i2 = {c: h2.index(c) - 2 for c in common}
    total = 0
    for c in common:
        n = 0
        shown = []
        for k in keys:
            x, y = parse(r1[k][i1[c]]), parse(r2[k][i2[c]])
            if x is None and y is None:
                continue
            if (x is None) != (y is None):
                mism = True
            elif math.isnan(x) or math.isnan(y) or math.isinf(x) or math.isinf(y):
                mism = True  # NaN/inf are never legal values (features.md §2)
            else:
                mism = abs(x - y) > a.rtol * max(1.0, abs(x), abs(y))
            if mism:
                n += 1
                if len(shown) < a.show:
                    shown.append((k, r1[k][i1[c]], r2[k][i2[c]]))
        if n:
            bad = True
            total += n
            print("column %s: %d mismatches of %d rows" % (c, n, len(keys)))
            for k, x, y in shown:
                print("   ts_ns=%d symbol=%s ours=%r reference=%r" % (k[0], k[1], x, y))
    print("compared %d common rows, %d columns; %d value mismatches; %s"
          % (len(keys), len(common), total, "DIFFERENT" if bad else "OK"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
