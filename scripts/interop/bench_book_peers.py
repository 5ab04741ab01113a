#!/usr/bin/env python3
"""Peer half of Benchmarks/BookBenchmark: applies the same delta file (format in
Benchmarks/BookBenchmark/main.swift) to hftbacktest's and NautilusTrader's Rust order books and
prints what each figure includes. Benchmark-only: neither package is used by the product.

  bench_book_peers.py run FILE --ours ours.csv [--repeat R] [--json OUT]
  bench_book_peers.py convert-bybit SRC.data DST.bin   (Bybit history lines -> delta file)

`--ours` is the final book BookBenchmark dumped (`--dump`); each peer's final book must equal it,
level by level, and NautilusTrader's top-of-book checksum over every message must equal ours.
"""
import argparse
import ctypes
import gc
import json
import struct
import sys
import time

import numpy as np

RECORD = np.dtype([("u", "<i8"), ("flags", "<u4"), ("zero", "<u4"), ("price", "<f8"), ("size", "<f8")])
BID, SNAPSHOT, LAST = 1, 2, 4


def load(path):
    with open(path, "rb") as f:
        header = f.read(64)
    if header[:8] != b"BOOKDLT1":
        sys.exit(f"{path}: not a BOOKDLT1 file")
    count, messages, price_dec, size_dec, tick, lot = struct.unpack_from("<QQIIdd", header, 8)
    records = np.fromfile(path, dtype=RECORD, offset=64)
    assert len(records) == count, "truncated file"
    ends = np.flatnonzero(records["flags"] & LAST) + 1
    assert len(ends) == messages and ends[-1] == count
    return dict(records=records, ends=ends, price_dec=price_dec, size_dec=size_dec, tick=tick, lot=lot)


def write(path, rows, messages, price_dec, size_dec):
    records = np.array(rows, dtype=RECORD)
    with open(path, "wb") as f:
        f.write(b"BOOKDLT1" + struct.pack("<QQIIdd", len(records), messages, price_dec, size_dec, 10.0**-price_dec,
                                          10.0**-size_dec) + bytes(16))
        records.tofile(f)


def convert_bybit(src, dst):
    """Bybit v5 history lines (`type`, `data.b`, `data.a`, `data.u`) to the delta file."""
    rows, messages, price_dec, size_dec = [], 0, 0, 0
    for line in open(src):
        msg = json.loads(line)
        data, snapshot = msg["data"], msg["type"] == "snapshot"
        if messages == 0 and not snapshot:
            continue
        levels = [(BID, p, s) for p, s in data["b"]] + [(0, p, s) for p, s in data["a"]]
        if not levels:
            continue
        for i, (side, p, s) in enumerate(levels):
            price_dec = max(price_dec, len(p.partition(".")[2]))
            size_dec = max(size_dec, len(s.partition(".")[2]))
            flags = side | (SNAPSHOT if snapshot else 0) | (LAST if i == len(levels) - 1 else 0)
            rows.append((data["u"], flags, 0, float(p), float(s)))
        messages += 1
    write(dst, rows, messages, price_dec, size_dec)
    print(f"{src}: {messages} messages, {len(rows)} level updates -> {dst}")


def read_ours(path):
    bids, asks = [], []
    for line in open(path).read().splitlines()[1:]:
        side, price, size = line.split(",")
        (bids if side == "b" else asks).append((float(price), float(size)))
    return bids, asks


def timed(repeat, setup, body):
    """Median and min seconds of `body(state)` over fresh `setup()` states (setup untimed)."""
    times = []
    for _ in range(repeat):
        state = setup()
        gc.collect()
        gc.disable()
        t0 = time.perf_counter()
        body(state)
        times.append(time.perf_counter() - t0)
        gc.enable()
    return sorted(times)[len(times) // 2], min(times), state


# ---------------------------------------------------------------- hftbacktest


def hftbacktest_runs(f, ours, repeat, out):
    import hftbacktest as hbt
    from hftbacktest import binding

    r = f["records"]
    message_of = np.repeat(np.arange(len(f["ends"])), np.diff(np.concatenate(([0], f["ends"]))))
    events = np.zeros(len(r), dtype=hbt.types.event_dtype)
    kind = np.where(r["flags"] & SNAPSHOT, hbt.DEPTH_SNAPSHOT_EVENT, hbt.DEPTH_EVENT).astype(np.uint64)
    side = np.where(r["flags"] & BID, hbt.BUY_EVENT, hbt.SELL_EVENT).astype(np.uint64)
    # Local events only: the backtest's local processor applies them to its depth; no exchange side.
    events["ev"] = kind | side | np.uint64(hbt.LOCAL_EVENT)
    events["exch_ts"] = events["local_ts"] = 1_000 + message_of * 1_000
    events["px"], events["qty"] = r["price"], r["size"]
    lo, hi = float(r["price"].min()), float(r["price"].max())
    tick = f["tick"]

    def asset():
        a = (hbt.BacktestAsset().data(events).linear_asset(1.0).constant_order_latency(0, 0)
             .no_partial_fill_exchange().tick_size(tick).lot_size(f["lot"]).last_trades_capacity(0))
        return a.roi_lb(lo - 100 * tick).roi_ub(hi + 100 * tick)

    kinds = {
        "HashMapMarketDepth": (hbt.build_hashmap_backtest, binding.hashmapbt_elapse, binding.hashmapbt_depth, "hashmapdepth"),
        "ROIVectorMarketDepth": (hbt.build_roivec_backtest, binding.roivecbt_elapse, binding.roivecbt_depth, "roivecdepth"),
    }
    span = int(events["local_ts"][-1]) + 1_000
    for name, (build, elapse, depth_of, prefix) in kinds.items():
        # One `elapse` past the last event is the backtest's Rust event loop over the whole feed: each
        # event is one `update_bid_depth`/`update_ask_depth` on the depth, plus the loop's own work.
        # (2.4.4 exports `goto_end` for the hash map backtest only; `elapse` is the same loop.)
        med, best, bt = timed(repeat, lambda: build([asset()]), lambda bt: elapse(bt, span))
        depth = depth_of(bt, 0)
        fn = lambda n: getattr(binding, f"{prefix}_{n}")  # noqa: E731
        top = (fn("best_bid")(depth), fn("best_bid_qty")(depth), fn("best_ask")(depth), fn("best_ask_qty")(depth))
        mismatches = 0
        for levels, qty_at in ((ours[0], fn("bid_qty_at_tick")), (ours[1], fn("ask_qty_at_tick"))):
            for price, size in levels:
                if abs(qty_at(depth, round(price / tick)) - size) > 1e-9:
                    mismatches += 1
        # Levels the peer has that we do not: count its levels over every tick the file touches.
        qty_bid, qty_ask = fn("bid_qty_at_tick"), fn("ask_qty_at_tick")
        peer_levels = sum((qty_bid(depth, t) > 0) + (qty_ask(depth, t) > 0)
                          for t in range(round(lo / tick), round(hi / tick) + 1))
        getattr(binding, prefix.replace("depth", "bt") + "_close")(bt)
        out[f"hftbacktest {name}"] = dict(
            seconds=med, min_seconds=best, top=top, mismatched_levels=mismatches, peer_levels=peer_levels,
            includes="backtest elapse to the end: Rust event loop over the feed array + depth update per level; "
                     "no Python per event (one ctypes call)")


# ---------------------------------------------------------------- NautilusTrader


def nautilus_runs(f, ours, repeat, out):
    from nautilus_trader.core import nautilus_pyo3 as n

    r, ends = f["records"], f["ends"]
    iid = n.InstrumentId.from_str("BTCUSDT-LINEAR.BYBIT")
    pdec, sdec = f["price_dec"], f["size_dec"]
    F_LAST, F_SNAPSHOT = 128, 32  # nautilus RecordFlag values
    t0 = time.perf_counter()
    batches, everything = [], []
    start = 0
    prices, sizes, flags, us = r["price"].tolist(), r["size"].tolist(), r["flags"].tolist(), r["u"].tolist()
    for m, end in enumerate(ends.tolist()):
        deltas = []
        snapshot = flags[start] & SNAPSHOT
        if snapshot:
            # What the Bybit adapter sends for a snapshot: CLEAR, then ADDs.
            null = n.BookOrder(n.OrderSide.NO_ORDER_SIDE, n.Price(0, pdec), n.Quantity(0, sdec), 0)
            deltas.append(n.OrderBookDelta(iid, n.BookAction.CLEAR, null, F_SNAPSHOT, us[start], m, m))
        for i in range(start, end):
            side = n.OrderSide.BUY if flags[i] & BID else n.OrderSide.SELL
            size = sizes[i]
            action = n.BookAction.ADD if snapshot else (n.BookAction.DELETE if size == 0 else n.BookAction.UPDATE)
            order = n.BookOrder(side, n.Price(prices[i], pdec), n.Quantity(size, sdec), 0)
            flag = (F_SNAPSHOT if snapshot else 0) | (F_LAST if i == end - 1 else 0)
            deltas.append(n.OrderBookDelta(iid, action, order, flag, us[i], m, m))
        batches.append(n.OrderBookDeltas(iid, deltas))
        everything.extend(deltas)
        start = end
    one_batch = n.OrderBookDeltas(iid, everything)
    del everything
    print(f"  (nautilus: {len(batches)} OrderBookDeltas built in {time.perf_counter() - t0:.1f} s, untimed)")

    def fresh():
        return n.OrderBook(iid, n.BookType.L2_MBP)

    def per_message(book):
        apply = book.apply_deltas
        for d in batches:
            apply(d)

    def empty_loop(_):
        for d in batches:
            pass

    def one_call(book):
        book.apply_deltas(one_batch)

    results = {}
    for name, body, includes in (
        ("apply_deltas, one call for the whole file", one_call,
         "one pyo3 call; the Rust loop over all deltas; no Python per delta"),
        ("apply_deltas per message", per_message,
         "a Python for-loop making one pyo3 apply_deltas call per message (the empty loop row is its loop share)"),
    ):
        med, best, book = timed(repeat, fresh, body)
        results[name] = (med, best, book, includes)
    loop_med, loop_best, _ = timed(repeat, lambda: None, empty_loop)

    # Untimed: top-of-book checksum over every message, as BookBenchmark computes it.
    book = fresh()
    ps, ss = 10**pdec, 10**sdec
    checksum = 0
    for d in batches:
        book.apply_deltas(d)
        checksum += round(book.best_bid_price().as_double() * ps) + round(book.best_ask_price().as_double() * ps)
        checksum += round(book.best_bid_size().as_double() * ss) + round(book.best_ask_size().as_double() * ss)

    for name, (med, best, book, includes) in results.items():
        mismatches = 0
        peer = ([(lv.price.as_double(), lv.size()) for lv in book.bids()],
                [(lv.price.as_double(), lv.size()) for lv in book.asks()])
        for mine, theirs in zip(ours, peer):
            if len(mine) != len(theirs):
                mismatches += abs(len(mine) - len(theirs))
            # Nautilus keeps fixed-point prices: compare in ticks.
            bad = [(a, b) for a, b in zip(mine, theirs) if round(a[0] * ps) != round(b[0] * ps) or abs(a[1] - b[1]) > 1e-9]
            mismatches += len(bad)
            if bad:
                print("    first differing levels (ours, nautilus):", bad[:3])
        top = (book.best_bid_price().as_double(), book.best_bid_size().as_double(), book.best_ask_price().as_double(),
               book.best_ask_size().as_double())
        out[f"nautilus OrderBook L2_MBP: {name}"] = dict(
            seconds=med, min_seconds=best, top=top, mismatched_levels=mismatches, peer_levels=len(peer[0]) + len(peer[1]),
            top_checksum=checksum, includes=includes)
    out["python empty loop over the per-message batches"] = dict(
        seconds=loop_med, min_seconds=loop_best, includes="for d in batches: pass (the loop share of the per-message row)")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    conv = sub.add_parser("convert-bybit")
    conv.add_argument("src")
    conv.add_argument("dst")
    run = sub.add_parser("run")
    run.add_argument("file")
    run.add_argument("--ours", required=True, help="BookBenchmark --dump CSV of the final book")
    run.add_argument("--repeat", type=int, default=5)
    run.add_argument("--json", help="write the results here")
    run.add_argument("--only", choices=["hftbacktest", "nautilus"])
    args = parser.parse_args()
    if args.cmd == "convert-bybit":
        convert_bybit(args.src, args.dst)
        return
    f = load(args.file)
    ours = read_ours(args.ours)
    messages, levels = len(f["ends"]), len(f["records"])
    out = {}
    failures = []
    for peer, fn in (("hftbacktest", hftbacktest_runs), ("nautilus", nautilus_runs)):
        if args.only and args.only != peer:
            continue
        try:
            fn(f, ours, args.repeat, out)
        except ImportError as e:
            failures.append(f"{peer}: not installed ({e})")
    for name, res in out.items():
        print(f"{name}: median {res['seconds'] * 1e9 / levels:.1f} ns/level, {res['seconds'] * 1e9 / messages:.1f} ns/message "
              f"(min {res['min_seconds'] * 1e9 / levels:.1f} ns/level)")
        print(f"    includes: {res['includes']}")
        if "top" in res:
            print(f"    final top {res['top']}, levels differing from ours: {res['mismatched_levels']}, "
                  f"peer levels {res['peer_levels']}" + (f", top checksum {res['top_checksum']}" if "top_checksum" in res else ""))
    for line in failures:
        print(line)
    if args.json:
        json.dump(dict(messages=messages, levels=levels, results=out, failures=failures), open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
