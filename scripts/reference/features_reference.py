#!/usr/bin/env python3
"""Independent, deliberately naive reference implementation of the feature semantics
of shared/spec/features.md (sections 1-3), reading recordings as described in
shared/spec/interfaces.md (§1 envelopes, §4 registry, §8 recording format).

Standard library only. Clarity over speed: every grid vector is recomputed from
scratch from the current state and from per-event histories.

Usage:
  features_reference.py --input REC.jsonl --output ref.csv [--registry REG.yaml|.json]

Output: CSV `ts_ns,symbol,<features in registry order>`, one row per symbol and per
1 s grid point G from the first G >= the symbol's first event recv_ts up to the last
G strictly before the symbol's last event recv_ts. null = empty field, numbers are
repr(float).

Interpretation choices (where the spec leaves room) are marked "CHOICE:" below;
--initial-empty and --keep-entry-after-flat select superseded or alternative readings.
Arithmetic follows features.md §2: every sum is math.fsum of its terms, everything else
one binary64 operation at a time as written, so the comparison is at zero tolerance.
"""
import argparse
import bisect
import calendar
import csv
import json
import math
import re
import sys

NS = 1_000_000_000
DEFAULT_REGISTRY = "/work/main/config/feature-registry.yaml"

# --------------------------------------------------------------------------- registry


def parse_window(s):
    """'500ms', '3s', '1m', '1h', '1d' -> ns."""
    if s is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*(ms|s|m|h|d)\s*", str(s))
    if not m:
        raise ValueError("bad window %r" % (s,))
    n = int(m.group(1))
    mult = {"ms": 1_000_000, "s": NS, "m": 60 * NS, "h": 3600 * NS, "d": 86400 * NS}[m.group(2)]
    return n * mult


def _scalar(v):
    v = v.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        return v[1:-1]
    if v.startswith("[") and v.endswith("]"):
        return [_scalar(x) for x in v[1:-1].split(",") if x.strip()]
    if re.fullmatch(r"-?\d+", v):
        return int(v)
    if v in ("true", "True"):
        return True
    if v in ("false", "False"):
        return False
    return v


def _split_flow(body):
    """Split 'a: 1, b: [x, y], c: z' at top-level commas."""
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts


def load_quiet_limit(path):
    """The registry's top-level quiet_limit (default 1 h), in ns."""
    text = open(path, encoding="utf-8").read()
    if text.lstrip().startswith("{"):
        value = json.loads(text).get("quiet_limit")
    else:
        m = re.search(r'^quiet_limit:\s*"?([0-9]+(?:ms|s|m|h|d))"?\s*(?:#.*)?$', text, re.M)
        value = m.group(1) if m else None
    if value is None:
        return 3600 * NS
    m = re.fullmatch(r"([0-9]+)(ms|s|m|h|d)", value)
    scale = {"ms": NS // 1000, "s": NS, "m": 60 * NS, "h": 3600 * NS, "d": 86400 * NS}[m.group(2)]
    return int(m.group(1)) * scale


def load_registry(path):
    text = open(path, encoding="utf-8").read()
    entries = None
    if text.lstrip().startswith("{"):
        entries = json.loads(text)["features"]
    else:
        try:
            import yaml  # type: ignore
            entries = yaml.safe_load(text)["features"]
        except ImportError:
            entries = []
            cur = None
            for raw in text.splitlines():
                line = raw.split("#", 1)[0].rstrip() if "#" in raw else raw.rstrip()
                if not line.strip():
                    continue
                s = line.strip()
                if s.startswith("- {") and s.endswith("}"):
                    d = {}
                    for part in _split_flow(s[3:-1]):
                        k, v = part.split(":", 1)
                        d[k.strip()] = _scalar(v)
                    entries.append(d)
                    cur = None
                elif s.startswith("- ") and ":" in s:  # block style entry
                    cur = {}
                    k, v = s[2:].split(":", 1)
                    cur[k.strip()] = _scalar(v)
                    entries.append(cur)
                elif cur is not None and ":" in s and raw.startswith("    "):
                    k, v = s.split(":", 1)
                    cur[k.strip()] = _scalar(v)
    feats = []
    for e in entries:
        feats.append({
            "name": str(e["name"]),
            "kind": str(e["kind"]),
            "w": parse_window(e.get("window")),
            "N": int(e["levels"]) if e.get("levels") is not None else None,
        })
    return feats


# --------------------------------------------------------------------------- input

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$")


def iso_to_ns(s):
    m = _ISO.match(s.strip())
    if not m:
        raise ValueError("bad time %r" % s)
    y, mo, d, h, mi, se, frac, tz = m.groups()
    secs = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(se), 0, 0, 0))
    frac_ns = int((frac or "0")[:9].ljust(9, "0"))
    off = 0
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        tzd = tz[1:].replace(":", "")
        off = sign * (int(tzd[:2]) * 3600 + int(tzd[2:]) * 60)
    return (secs - off) * NS + frac_ns


def event_symbol(obj):
    et = obj.get("event_type")
    p = obj.get("payload") if isinstance(obj.get("payload"), dict) else {}
    if et == "orderbook" or et == "trade":
        return p.get("s")
    if et == "kline":
        topic = p.get("topic") or obj.get("topic") or ""
        return topic.split(".")[-1] or None
    if et in ("ticker", "funding", "position"):
        return p.get("symbol")
    if et == "position_updated":
        return obj.get("asset")
    return None


def load_events(path):
    """Returns list of (recv_ts, line_no, symbol, obj)."""
    events = []
    last = None  # running max of times derived from received_at (and explicit ones)
    bad = 0
    with open(path, encoding="utf-8") as f:
        for ln, line in enumerate(f):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                sym = event_symbol(obj)
                if not sym:
                    raise ValueError("no symbol")
                if isinstance(obj.get("recv_ts"), int) and not isinstance(obj.get("recv_ts"), bool):
                    ts = obj["recv_ts"]
                else:
                    ts = iso_to_ns(obj["received_at"])
                    # CHOICE: "made non-decreasing" = clamp to the running max over
                    # all preceding lines of the file.
                    if last is not None and ts < last:
                        ts = last
                last = ts if last is None else max(last, ts)
            except Exception as ex:  # malformed: count and skip
                bad += 1
                print("skip line %d: %s" % (ln + 1, ex), file=sys.stderr)
                continue
            events.append((ts, ln, sym, obj))
    if bad:
        print("skipped %d malformed lines" % bad, file=sys.stderr)
    return events


# --------------------------------------------------------------------------- state


def fnum(x):
    return float(x)


class SymbolState:
    def __init__(self, churn_levels, opts=None):
        self.opts = opts or {}
        self.bids = {}
        self.asks = {}
        # features.md §1: a book is out of sync from the start until its first snapshot.
        self.out_of_sync = not self.opts.get("initial_empty")
        self.has_snapshot = False
        self.u = None
        self.churn_levels = churn_levels
        # histories
        self.book_ts = []     # recv_ts of each book event
        self.book_ofi = []    # ofi contribution of each book event
        self.book_churn = []  # dict N -> churn count of each book event
        self.mid_ts = []      # recv_ts after each book event
        self.mid_val = []     # mid (or None) after each book event
        self.trades = []      # (ts, p, q, s)
        self.trade_ts = []
        # perpetual
        self.funding_rate = None
        self.next_funding_ms = None
        self.mark = None
        self.index = None
        self.oi = None
        # position
        self.pos_size = 0.0
        self.last_entry = None

    # ---- book helpers
    def sorted_bids(self):
        return sorted(self.bids.items(), key=lambda kv: -kv[0])

    def sorted_asks(self):
        return sorted(self.asks.items(), key=lambda kv: kv[0])

    def valid(self):
        return not self.out_of_sync

    def top(self):
        """(b, qb, a, qa) or None if out of sync or a side empty."""
        if self.out_of_sync or not self.bids or not self.asks:
            return None
        sb, sa = self.sorted_bids(), self.sorted_asks()
        return (sb[0][0], sb[0][1], sa[0][0], sa[0][1])

    def mid(self):
        t = self.top()
        if t is None:
            return None
        return (t[0] + t[2]) / 2

    # ---- events
    def apply_book(self, ts, p):
        typ = p["type"]
        u = int(p["u"])
        before_valid = self.valid()
        before_top = self.top()
        before_b, before_a = dict(self.bids), dict(self.asks)
        if typ == "snapshot":
            self.bids = {}
            self.asks = {}
            for pr, q in p.get("b", []):
                if fnum(q) != 0:
                    self.bids[fnum(pr)] = fnum(q)
            for pr, q in p.get("a", []):
                if fnum(q) != 0:
                    self.asks[fnum(pr)] = fnum(q)
            self.out_of_sync = False
            self.has_snapshot = True
            self.u = u
        elif typ == "delta":
            if not self.has_snapshot:
                self.out_of_sync = True
            elif self.u is None or u != self.u + 1:
                self.out_of_sync = True
            for side, book in (("b", self.bids), ("a", self.asks)):
                for pr, q in p.get(side, []):
                    pr, q = fnum(pr), fnum(q)
                    if q == 0:
                        book.pop(pr, None)
                    else:
                        book[pr] = q
            self.u = u
        else:
            raise ValueError("book type %r" % typ)
        if not self.out_of_sync and self.bids and self.asks:
            if max(self.bids) >= min(self.asks):  # crossed or locked
                self.out_of_sync = True
        after_valid = self.valid()
        after_top = self.top()

        # CHOICE: an event contributes 0 to ofi/book_churn unless the book is in sync
        # both just before and just after it ("applied while out of sync" covers the
        # restoring snapshot; the event that breaks sync has no valid "after" state).
        ofi = []
        churn = {N: 0 for N in self.churn_levels}
        if before_valid and after_valid:
            if before_top is not None and after_top is not None:
                b0, qb0, a0, qa0 = before_top
                b1, qb1, a1, qa1 = after_top
                # The event's signed terms, kept apart: ofi is the exact sum of all terms (features.md §2).
                ofi = [qb1 if b1 >= b0 else 0.0, -qb0 if b1 <= b0 else 0.0,
                       -qa1 if a1 <= a0 else 0.0, qa0 if a1 >= a0 else 0.0]
            for N in self.churn_levels:
                c = 0
                for bb, ab, desc in ((before_b, self.bids, True), (before_a, self.asks, False)):
                    topb = set(sorted(bb, reverse=desc)[:N])
                    topa = set(sorted(ab, reverse=desc)[:N])
                    for price in set(bb) | set(ab):
                        if bb.get(price, 0.0) != ab.get(price, 0.0) and (price in topb or price in topa):
                            c += 1
                churn[N] = c
        self.book_ts.append(ts)
        self.book_ofi.append(ofi)
        self.book_churn.append(churn)
        self.mid_ts.append(ts)
        self.mid_val.append(self.mid())

    def apply(self, ts, obj):
        et = obj.get("event_type")
        p = obj.get("payload") or {}
        if et == "orderbook":
            self.apply_book(ts, p)
        elif et == "trade":
            s = {"Buy": 1, "Sell": -1}[p["S"]]
            t = (ts, fnum(p["p"]), fnum(p["v"]), s)
            self.trades.append(t)
            self.trade_ts.append(ts)
        elif et == "ticker":
            if p.get("fundingRate") not in (None, ""):
                self.funding_rate = fnum(p["fundingRate"])
            if p.get("nextFundingTime") not in (None, ""):
                self.next_funding_ms = int(p["nextFundingTime"])
            if p.get("markPrice") not in (None, ""):
                self.mark = fnum(p["markPrice"])
            if p.get("indexPrice") not in (None, ""):
                self.index = fnum(p["indexPrice"])
            if p.get("openInterest") not in (None, ""):
                self.oi = fnum(p["openInterest"])
        elif et == "funding":
            if p.get("fundingRate") not in (None, ""):
                self.funding_rate = fnum(p["fundingRate"])
            # CHOICE: only nextFundingTime sets the next funding time;
            # fundingRateTimestamp (a settlement time) does not.
            if p.get("nextFundingTime") not in (None, ""):
                self.next_funding_ms = int(p["nextFundingTime"])
        elif et == "position":
            side = p.get("side", "")
            size = fnum(p.get("size", "0") or "0")
            signed = size if side == "Buy" else (-size if side == "Sell" else 0.0)
            self.pos_size = signed
            ap = p.get("avgPrice")
            # CHOICE: the exchange event sets the last known entry price; a flat
            # exchange position (size 0) forgets it (--keep-entry-after-flat: it does not).
            if signed != 0 and ap not in (None, ""):
                self.last_entry = fnum(ap)
            elif not self.opts.get("keep_entry_after_flat"):
                self.last_entry = None
        elif et == "position_updated":
            self.pos_size = fnum(obj["size"])
        elif et == "kline":
            pass
        else:
            pass

    # ---- readers
    def mid_at(self, X):
        i = bisect.bisect_right(self.mid_ts, X)
        if i == 0:
            return None
        return self.mid_val[i - 1]

    def window_slice(self, tslist, T, w):
        lo = bisect.bisect_right(tslist, T - w)
        hi = bisect.bisect_right(tslist, T)
        return lo, hi


def grid_in(T, w):
    start = ((T - w) // NS) * NS + NS
    g = start
    out = []
    while g <= T:
        out.append(g)
        g += NS
    return out


def pivoted(xs):
    """features.md §2: mean and population standard deviation about the oldest value, with
    exact sums (math.fsum), one binary64 operation at a time. Returns (p, md, sd)."""
    p = xs[0]
    n = len(xs)
    d = [x - p for x in xs]
    md = math.fsum(d) / n
    sd = math.sqrt(math.fsum((di - md) * (di - md) for di in d) / n)
    return p, md, sd


def pstd(xs):
    return pivoted(xs)[2]


def compute(st, T, feats):
    out = []
    sync = not st.out_of_sync
    sb = st.sorted_bids() if sync else None
    sa = st.sorted_asks() if sync else None
    top = st.top()
    mid = st.mid()
    for f in feats:
        k, w, N = f["kind"], f["w"], f["N"]
        v = None
        if k == "mid_price":
            v = mid
        elif k == "spread_abs":
            v = None if top is None else top[2] - top[0]
        elif k == "spread_rel":
            v = None if top is None else (top[2] - top[0]) / mid
        elif k == "microprice":
            if top is not None:
                b, qb, a, qa = top
                v = (b * qa + a * qb) / (qb + qa)
        elif k in ("depth_bid", "depth_ask"):
            if sync:
                lv = sb if k == "depth_bid" else sa
                v = math.fsum(q for _, q in lv[:N])
        elif k == "depth_imbalance":
            if sync:
                db = math.fsum(q for _, q in sb[:N])
                da = math.fsum(q for _, q in sa[:N])
                if not (db == 0 and da == 0):
                    v = (db - da) / (db + da)
        elif k in ("book_slope_bid", "book_slope_ask"):
            if top is not None:
                lv = sb if k == "book_slope_bid" else sa
                d = math.fsum(q for _, q in lv[:N])
                pn = lv[:N][-1][0]
                dist = abs(pn - mid)
                if dist != 0:
                    v = d / dist
        elif k == "ofi":
            lo, hi = st.window_slice(st.book_ts, T, w)
            v = math.fsum(t for terms in st.book_ofi[lo:hi] for t in terms)
        elif k == "book_churn":
            lo, hi = st.window_slice(st.book_ts, T, w)
            v = sum(c[N] for c in st.book_churn[lo:hi]) / (w / NS)
        elif k in ("vwap", "volume", "signed_volume", "trade_count", "buy_sell_ratio",
                   "net_aggressor_pressure"):
            lo, hi = st.window_slice(st.trade_ts, T, w)
            tr = st.trades[lo:hi]
            vol = math.fsum(t[2] for t in tr)
            buy = math.fsum(t[2] for t in tr if t[3] > 0)
            sell = math.fsum(t[2] for t in tr if t[3] < 0)
            if k == "vwap":
                v = None if not tr else math.fsum(t[1] * t[2] for t in tr) / vol
            elif k == "volume":
                v = vol
            elif k == "signed_volume":
                v = math.fsum(t[3] * t[2] for t in tr)
            elif k == "trade_count":
                v = float(len(tr))
            elif k == "buy_sell_ratio":
                v = None if sell == 0 else buy / sell
            elif k == "net_aggressor_pressure":
                v = None if not tr else (buy - sell) / (buy + sell)
        elif k in ("return", "log_return"):
            m0 = st.mid_at(T - w)
            if mid is not None and m0 is not None:
                v = mid / m0 - 1 if k == "return" else math.log(mid / m0)
        elif k == "volatility":
            rs = []
            for G in grid_in(T, w):
                a, b = st.mid_at(G), st.mid_at(G - NS)
                if a is not None and b is not None:
                    rs.append(math.log(a / b))
            if len(rs) >= 2:
                v = pstd(rs)
        elif k == "zscore":
            ms = [m for m in (st.mid_at(G) for G in grid_in(T, w)) if m is not None]
            if len(ms) >= 2 and mid is not None:
                p, md, sd = pivoted(ms)
                if sd != 0:
                    v = ((mid - p) - md) / sd
        elif k == "funding_rate":
            v = st.funding_rate
        elif k == "time_to_funding":
            if st.next_funding_ms is not None:
                v = (st.next_funding_ms * 1_000_000 - T) / NS
        elif k == "basis":
            if st.mark is not None and st.index is not None:
                v = (st.mark - st.index) / st.index
        elif k == "open_interest":
            v = st.oi
        elif k in ("time_of_day_sin", "time_of_day_cos"):
            h = (T % (86400 * NS)) / (3600 * NS)
            ang = 2 * math.pi * h / 24
            v = math.sin(ang) if k.endswith("sin") else math.cos(ang)
        elif k in ("day_of_week_sin", "day_of_week_cos"):
            # 1970-01-01 was a Thursday (Monday = 0 -> Thursday = 3)
            dw = ((T + 3 * 86400 * NS) % (7 * 86400 * NS)) / (86400 * NS)
            ang = 2 * math.pi * dw / 7
            v = math.sin(ang) if k.endswith("sin") else math.cos(ang)
        elif k == "position_size":
            v = st.pos_size
        elif k == "entry_price":
            v = None if st.pos_size == 0 else st.last_entry
        elif k == "unrealized_pnl":
            if st.pos_size == 0:
                v = 0.0
            elif mid is not None and st.last_entry is not None:
                v = st.pos_size * (mid - st.last_entry)
        elif k == "exposure":
            if st.pos_size == 0:
                v = 0.0
            elif mid is not None:
                v = abs(st.pos_size) * mid
        else:
            raise ValueError("unknown kind %r" % k)
        if v is not None and (math.isnan(v) or math.isinf(v)):
            v = None
        out.append(v)
    return out


def run(events, feats, opts=None, quiet_limit=3600 * NS):
    churn_levels = sorted({f["N"] for f in feats if f["kind"] == "book_churn"})
    by_sym = {}
    for e in events:
        by_sym.setdefault(e[2], []).append(e)
    rows = []
    for sym, evs in by_sym.items():
        evs.sort(key=lambda e: (e[0], e[1]))
        st = SymbolState(churn_levels, opts)
        first = evs[0][0]
        G = -(-first // NS) * NS
        last = None
        for ts, ln, _, obj in evs:
            while G < ts:
                # Quiet symbols (features.md §1): no vector once silent for longer than quiet_limit.
                if G - last <= quiet_limit:
                    rows.append((G, sym, compute(st, G, feats)))
                G += NS
            st.apply(ts, obj)
            last = ts
    rows.sort(key=lambda r: (r[0], r[1]))
    return rows


def fmt(v):
    return "" if v is None else repr(float(v))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--registry", default=DEFAULT_REGISTRY)
    ap.add_argument("--initial-empty", action="store_true",
                    help="the superseded reading: a book that never had a snapshot is empty, not out of sync")
    ap.add_argument("--keep-entry-after-flat", action="store_true",
                    help="alternative reading: a flat exchange position (size 0) keeps the last "
                         "known entry price for later position_updated events")
    a = ap.parse_args(argv)
    opts = {"initial_empty": a.initial_empty, "keep_entry_after_flat": a.keep_entry_after_flat}
    feats = load_registry(a.registry)
    events = load_events(a.input)
    rows = run(events, feats, opts, load_quiet_limit(a.registry))
    with open(a.output, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["ts_ns", "symbol"] + [x["name"] for x in feats])
        for G, sym, vals in rows:
            w.writerow([G, sym] + [fmt(v) for v in vals])
    print("wrote %d rows, %d features" % (len(rows), len(feats)), file=sys.stderr)


if __name__ == "__main__":
    main()
