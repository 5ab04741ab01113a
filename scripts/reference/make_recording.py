#!/usr/bin/env python3
"""Write a seeded, random but adversarial recording (JSON Lines of gateway envelopes,
interfaces.md §1/§8) for comparing the feature service with features_reference.py.

Usage: make_recording.py --seed 1 --events 5000 --output rec.jsonl

What it contains, per symbol (three symbols with different tick sizes):
- book snapshots then deltas with continuous u; occasional gaps in u (then a resync
  snapshot later), a crossed and a locked delta, deltas before the first snapshot for
  one symbol (CCCUSDT), a restart snapshot with u = 1, periodic in-sync snapshots,
  levels deleted and re-added, levels re-set to the same size, deletes of absent levels;
- trades on both sides; a ticker snapshot then partial deltas; funding messages (some
  with nextFundingTime, some with only fundingRateTimestamp); exchange `position`
  envelopes (Buy/Sell/"" sides) and position-manager `position_updated` flat events;
  kline events (no feature reads them, but they advance time);
- several events sharing one recv_ts, events exactly on grid points, quiet periods of
  several seconds (and one longer than a minute), lines with an explicit `recv_ts`
  (sometimes with sub-microsecond digits), and a received_at that goes backwards once
  (same symbol as the line before, which has no explicit recv_ts, so "made non-decreasing" is unambiguous).
The clock starts shortly before a UTC midnight so day-of-week features change.
"""
import argparse
import json
import random
import time
from decimal import Decimal

NS = 1_000_000_000


def iso(ns, offset=False):
    s, rem = divmod(ns, NS)
    us = rem // 1000
    t = time.gmtime(s)
    out = time.strftime("%Y-%m-%dT%H:%M:%S", t) + ".%06d" % us
    return out + ("+00:00" if offset else "")


class Book:
    def __init__(self, rng, mid_ticks, tick, decimals):
        self.rng = rng
        self.tick = Decimal(tick)
        self.dec = decimals
        self.bids = {}
        self.asks = {}
        for i in range(1, 26):
            self.bids[mid_ticks - i] = self.size()
            self.asks[mid_ticks + i] = self.size()
        self.u = 0

    def size(self):
        r = self.rng.random()
        if r < 0.3:
            return str(self.rng.randint(1, 50000))
        if r < 0.6:
            return "%.3f" % (self.rng.randint(1, 99999) / 1000)
        return str(Decimal(self.rng.randint(1, 10 ** 6)) / Decimal(10 ** self.rng.randint(0, 4)))

    def px(self, ticks):
        return str((Decimal(ticks) * self.tick).quantize(Decimal(1).scaleb(-self.dec)))

    def levels(self, d, rev):
        return [[self.px(p), q] for p, q in sorted(d.items(), reverse=rev)]

    def snapshot_payload(self, sym, u):
        return {"s": sym, "type": "snapshot", "u": u, "seq": self.rng.randint(10 ** 8, 10 ** 9),
                "b": self.levels(self.bids, True), "a": self.levels(self.asks, False)}

    def random_delta(self):
        """Random in-book changes that keep the book uncrossed. Returns (b, a)."""
        rng = self.rng
        b, a = [], []
        bb, ba = max(self.bids), min(self.asks)
        for _ in range(rng.randint(1, 4)):
            side = rng.choice("ba")
            book, out = (self.bids, b) if side == "b" else (self.asks, a)
            r = rng.random()
            if r < 0.35 and book:  # modify an existing level near the top
                p = sorted(book, reverse=(side == "b"))[min(len(book) - 1, int(rng.expovariate(0.3)))]
                book[p] = self.size()
                out.append([self.px(p), book[p]])
            elif r < 0.5 and len(book) > 3:  # delete a level (often the best)
                srt = sorted(book, reverse=(side == "b"))
                p = srt[0] if rng.random() < 0.4 else rng.choice(srt)
                del book[p]
                out.append([self.px(p), "0"])
            elif r < 0.6:  # delete an absent level (no-op)
                p = (bb - rng.randint(30, 40)) if side == "b" else (ba + rng.randint(30, 40))
                if p not in book:
                    out.append([self.px(p), "0"])
            elif r < 0.7 and book:  # re-set to the same size
                p = rng.choice(list(book))
                out.append([self.px(p), book[p]])
            else:  # add (or re-add) a level, possibly improving the top
                if side == "b":
                    p = rng.randint(bb - 12, min(bb + 2, min(self.asks) - 1))
                else:
                    p = rng.randint(max(ba - 2, max(self.bids) + 1), ba + 12)
                book[p] = self.size()
                out.append([self.px(p), book[p]])
        # a price must appear once per side in one message: keep the last
        def dedup(lst):
            d = {}
            for p, q in lst:
                d[p] = q
            return [[p, q] for p, q in d.items()]
        return dedup(b), dedup(a)


SYMS = [("AAAUSDT", 19531, "0.0001", 4), ("BBBUSDT", 960501, "0.1", 1), ("CCCUSDT", 350055, "0.01", 2)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--output", required=True)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    # 2024-12-01 is a Sunday: start 23:57:00 UTC so Monday 00:00 is crossed.
    clock = 1733097420 * NS + rng.randint(0, 999) * 1000
    out = []
    books, st = {}, {}
    for sym, mid, tick, dec in SYMS:
        books[sym] = Book(rng, mid, tick, dec)
        st[sym] = {"synced": False, "pre": sym == "CCCUSDT", "resync_in": None, "restarted": False,
                   "crossed_done": 0, "ticker": False, "tick_n": 0, "nft": 1733126400000}
    counter = [0]
    last_ts = [0]
    last_explicit = [False]

    def emit(ev_type, topic, payload, ts, explicit=False, back=False):
        counter[0] += 1
        n = counter[0]
        env = {"event_id": "00000000-0000-4000-8000-%012d" % n, "event_type": ev_type, "topic": topic,
               "timestamp": iso(ts - rng.randint(1, 5) * 1_000_000), "received_at": iso(ts),
               "trace_id": "adv-%d-%d" % (a.seed, n), "payload": dict(payload, topic=topic)}
        if explicit:
            env["recv_ts"] = ts
        last_ts[0] = ts
        last_explicit[0] = explicit
        out.append(json.dumps(env, separators=(",", ":")))

    def emit_flat(obj, ts):
        counter[0] += 1
        obj = dict(obj)
        obj["recv_ts"] = ts
        last_ts[0] = ts
        last_explicit[0] = True
        obj["trace_id"] = "adv-%d-%d" % (a.seed, counter[0])
        out.append(json.dumps(obj, separators=(",", ":")))

    # CCCUSDT: deltas before any snapshot
    for i in range(3):
        b = books["CCCUSDT"]
        b.u += 1
        db, da = b.random_delta()
        emit("orderbook", "orderbook.50.CCCUSDT", {"s": "CCCUSDT", "type": "delta", "u": 500 + i, "seq": 1, "b": db, "a": da}, clock)
        clock += rng.randint(1, 200) * 1000
    # BBBUSDT: a trade before any book event
    emit("trade", "publicTrade.BBBUSDT", {"T": clock // 10 ** 6, "s": "BBBUSDT", "S": "Buy", "v": "0.5",
                                          "p": "96050.1", "i": "t0", "BT": False, "L": "PlusTick"}, clock)
    backwards_done = 0
    last_sym = None
    long_quiet_done = False
    for i in range(a.events):
        # ----- advance the clock
        r = rng.random()
        if r < 0.12:
            inc = 0  # share recv_ts with the previous event
        elif r < 0.14:
            inc = -(-clock // NS) * NS - clock  # land exactly on the next grid point
        elif r < 0.15:
            half = NS // 2
            inc = -(-clock // half) * half - clock  # land exactly on a half second
        elif r < 0.155:
            inc = rng.randint(3, 9) * NS + rng.randint(0, 999999) * 1000  # quiet period
        elif not long_quiet_done and i > a.events // 2:
            inc = 65 * NS + 123000
            long_quiet_done = True
        else:
            inc = int(rng.expovariate(1 / 150)) * 1_000_000 + rng.randint(0, 999) * 1000
        clock += inc
        if clock % 1000:  # only explicit recv_ts can carry sub-microsecond digits
            clock = -(-clock // 1000) * 1000
        explicit = rng.random() < 0.05
        ts = clock
        if explicit and rng.random() < 0.5:
            ts = clock + rng.randint(1, 999)
            clock = ts
        sym = rng.choice(SYMS)[0]
        s = st[sym]
        b = books[sym]
        kind = rng.random()
        if backwards_done < 1 and i > 50 and last_sym == sym and not explicit and not last_explicit[0] and kind < 0.55 and s["synced"] and inc > 0 and rng.random() < 0.2:
            # received_at that goes backwards by 300 us (same symbol as the line before)
            back_ts = last_ts[0] - 300_000
            db, da = b.random_delta()
            b.u += 1
            emit("orderbook", "orderbook.50.%s" % sym, {"s": sym, "type": "delta", "u": b.u, "seq": 1, "b": db, "a": da}, back_ts)
            backwards_done += 1
            last_sym = sym
            continue
        last_sym = sym
        if kind < 0.55:  # ---------------- book
            topic = "orderbook.50.%s" % sym
            need_snap = (not s["synced"] and (not s["pre"] or i > 5)) or \
                (s["resync_in"] is not None and s["resync_in"] <= 0) or rng.random() < 0.01
            if need_snap:
                if not s["restarted"] and s["synced"] and rng.random() < 0.2:
                    b.u = 1  # exchange restart
                    s["restarted"] = True
                else:
                    b.u += rng.randint(1, 5) if s["synced"] else 1000
                emit("orderbook", topic, b.snapshot_payload(sym, b.u), ts, explicit)
                s["synced"] = True
                s["resync_in"] = None
                continue
            if s["resync_in"] is not None:
                s["resync_in"] -= 1
            r2 = rng.random()
            if s["synced"] and s["resync_in"] is None and r2 < 0.004 and not s.get("odd_snap"):
                # odd snapshots: one-sided (asks empty) or locked (best bid == best ask)
                s["odd_snap"] = True
                b.u += 1
                pl = b.snapshot_payload(sym, b.u)
                if rng.random() < 0.5:
                    pl["a"] = []
                else:
                    pl["b"] = [[b.px(min(b.asks)), "3"]] + pl["b"]
                emit("orderbook", topic, pl, ts, explicit)
                s["resync_in"] = rng.randint(2, 8)
                continue
            if s["synced"] and s["resync_in"] is None and 0.004 <= r2 < 0.008:
                # duplicate u (u == previous u): out of sync
                db, da = b.random_delta()
                emit("orderbook", topic, {"s": sym, "type": "delta", "u": b.u, "seq": 1, "b": db, "a": da}, ts, explicit)
                s["resync_in"] = rng.randint(2, 8)
                continue
            if s["synced"] and 0.008 <= r2 < 0.012:
                b.u += 1  # empty delta
                emit("orderbook", topic, {"s": sym, "type": "delta", "u": b.u, "seq": 1, "b": [], "a": []}, ts, explicit)
                continue
            r2 = rng.random()
            if r2 < 0.01 and s["synced"] and s["resync_in"] is None:
                b.u += 2  # gap
                s["resync_in"] = rng.randint(3, 15)
                db, da = b.random_delta()
            elif r2 < 0.02 and s["synced"] and s["resync_in"] is None and s["crossed_done"] < 3:
                b.u += 1
                # crossed (bid above best ask) or locked (bid == best ask) delta; the true
                # book does not keep it, so the resync snapshot is clean
                ba = min(b.asks)
                p = ba + (1 if s["crossed_done"] % 2 == 0 else 0)
                db, da = [[b.px(p), "7"]], []
                s["crossed_done"] += 1
                s["resync_in"] = rng.randint(2, 10)
            else:
                b.u += 1
                db, da = b.random_delta()
            emit("orderbook", topic, {"s": sym, "type": "delta", "u": b.u, "seq": rng.randint(1, 10 ** 9), "b": db, "a": da}, ts, explicit)
        elif kind < 0.80:  # ---------------- trade
            mid = (max(b.bids) + min(b.asks)) // 2
            side = rng.choice(["Buy", "Sell"]) if rng.random() < 0.9 else "Sell"
            emit("trade", "publicTrade.%s" % sym,
                 {"T": ts // 10 ** 6, "s": sym, "S": side, "v": b.size(), "p": b.px(mid + rng.randint(-3, 3)),
                  "i": "t%d" % i, "BT": False, "L": "ZeroPlusTick"}, ts, explicit)
        elif kind < 0.88:  # ---------------- ticker
            mid = (max(b.bids) + min(b.asks)) // 2
            full = {"symbol": sym, "lastPrice": b.px(mid), "markPrice": b.px(mid + rng.randint(-2, 2)),
                    "indexPrice": b.px(mid + rng.randint(-5, 5)), "openInterest": b.size(),
                    "fundingRate": "%.6f" % (rng.randint(-200, 200) / 1e6), "nextFundingTime": str(s["nft"]),
                    "bid1Price": b.px(max(b.bids)), "bid1Size": "1", "ask1Price": b.px(min(b.asks)),
                    "ask1Size": "1", "volume24h": "123", "turnover24h": "456"}
            if not s["ticker"]:
                if rng.random() < 0.3 and s["tick_n"] == 0:
                    # a first delta without index price: basis must stay null
                    payload = {"symbol": sym, "markPrice": full["markPrice"], "lastPrice": full["lastPrice"]}
                    s["tick_n"] += 1
                else:
                    payload = full
                    s["ticker"] = True
            else:
                keys = rng.sample(["lastPrice", "markPrice", "indexPrice", "openInterest", "fundingRate",
                                   "nextFundingTime", "bid1Price", "volume24h"], rng.randint(1, 3))
                payload = {"symbol": sym}
                for k in keys:
                    payload[k] = full[k]
            emit("ticker", "tickers.%s" % sym, payload, ts, explicit)
        elif kind < 0.91:  # ---------------- funding
            if rng.random() < 0.3:
                s["nft"] += 8 * 3600 * 1000
            payload = {"symbol": sym, "fundingRate": "%.6f" % (rng.randint(-200, 200) / 1e6)}
            if rng.random() < 0.7:
                payload["nextFundingTime"] = str(s["nft"])
            else:
                payload["fundingRateTimestamp"] = str(s["nft"] - 8 * 3600 * 1000)
            emit("funding", "funding.%s" % sym, payload, ts, explicit)
        elif kind < 0.94:  # ---------------- exchange position
            side = rng.choice(["Buy", "Sell", ""])
            size = "0" if side == "" else b.size()
            mid = (max(b.bids) + min(b.asks)) // 2
            emit("position", "position", {"symbol": sym, "side": side, "size": size,
                                          "avgPrice": "0" if side == "" else b.px(mid + rng.randint(-50, 50)),
                                          "markPrice": b.px(mid), "unrealisedPnl": "0", "updatedTime": str(ts // 10 ** 6)},
                 ts, explicit)
        elif kind < 0.96:  # ---------------- position manager
            sz = rng.choice(["0", b.size(), "-" + b.size()])
            emit_flat({"event_type": "position_updated", "position_id": "p-%s" % sym, "asset": sym, "size": sz,
                       "unrealized_pnl": "0", "realized_pnl": "0", "mode": "one-way", "update_source": "fill",
                       "timestamp": iso(ts, offset=True)}, ts)
        else:  # ---------------- kline
            start = ts // NS // 60 * 60
            mid = (max(b.bids) + min(b.asks)) // 2
            emit("kline", "kline.1.%s" % sym, {"start": int(start) * 1000, "end": int(start) * 1000 + 59999, "interval": "1",
                                               "open": b.px(mid), "high": b.px(mid + 3), "low": b.px(mid - 3), "close": b.px(mid),
                                               "volume": "10", "turnover": "20", "confirm": False, "timestamp": ts // 10 ** 6},
                 ts, explicit)
    with open(a.output, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
