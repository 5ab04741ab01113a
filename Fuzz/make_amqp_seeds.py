#!/usr/bin/env python3
"""Writes the AMQP fuzz seeds (Fuzz/corpus/amqp): broker-to-client byte streams of AMQP 0-9-1 frames."""
import os
import struct
import sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "amqp")
os.makedirs(out, exist_ok=True)


def frame(kind, channel, payload):
    return struct.pack(">BHI", kind, channel, len(payload)) + payload + b"\xce"


def short(s):
    b = s.encode()
    return struct.pack(">B", len(b)) + b


def long(b):
    return struct.pack(">I", len(b)) + b


def table(items):
    body = b""
    for key, (tag, value) in items:
        body += short(key) + tag.encode() + value
    return long(body)


def method(channel, class_id, method_id, args=b""):
    return frame(1, channel, struct.pack(">HH", class_id, method_id) + args)


server_properties = table([
    ("product", ("S", long(b"RabbitMQ"))),
    ("capabilities", ("F", table([("publisher_confirms", ("t", b"\x01")), ("basic.nack", ("t", b"\x01"))]))),
    ("cluster_name", ("S", long(b"rabbit@host"))),
    ("numbers", ("A", long(b"I" + struct.pack(">i", -7) + b"l" + struct.pack(">q", 1 << 40) + b"d" + struct.pack(">d", 0.5)))),
    ("misc", ("F", table([("b", ("b", b"\xff")), ("B", ("B", b"\x01")), ("s", ("s", b"\x00\x02")), ("u", ("u", b"\x00\x03")),
                          ("i", ("i", b"\x00\x00\x00\x04")), ("f", ("f", struct.pack(">f", 1.5))), ("D", ("D", b"\x02\x00\x00\x01\x00")),
                          ("x", ("x", long(b"\x00\x01"))), ("T", ("T", struct.pack(">Q", 1764064800))), ("V", ("V", b""))]))),
])
start = method(0, 10, 10, b"\x00\x09" + server_properties + long(b"PLAIN AMQPLAIN") + long(b"en_US"))
tune = method(0, 10, 30, struct.pack(">HIH", 2047, 131072, 60))
open_ok = method(0, 10, 41, short(""))
channel_open_ok = method(1, 20, 11, long(b""))
properties_flags = 0
props = b""
for bit, value in [(0, short("application/json")), (2, table([("x-trace", ("S", long(b"c0ffee")))])), (3, b"\x02"), (5, short("corr-1")),
                   (8, short("m-1")), (9, struct.pack(">Q", 1764064800)), (12, short("gateway"))]:
    properties_flags |= 1 << (15 - bit)
    props += value
body = b'{"event_type":"trade","payload":{"s":"BTCUSDT","S":"Buy","v":"1","p":"1","i":"x"}}'
deliver = (method(1, 60, 60, short("ctag-1") + struct.pack(">QB", 1, 0) + short("market") + short("trade.BTCUSDT"))
           + frame(2, 1, struct.pack(">HHQH", 60, 0, len(body), properties_flags) + props)
           + frame(3, 1, body[:40]) + frame(3, 1, body[40:]))

seeds = {
    "handshake.bin": start + tune + open_ok + channel_open_ok,
    "deliver.bin": deliver,
    "confirms.bin": method(1, 85, 11) + method(1, 60, 80, struct.pack(">QB", 5, 1)) + method(1, 60, 120, struct.pack(">QB", 6, 0)),
    "closes.bin": method(1, 20, 40, struct.pack(">H", 404) + short("NOT_FOUND - no queue 'q'") + struct.pack(">HH", 50, 10))
                  + method(0, 10, 50, struct.pack(">H", 320) + short("CONNECTION_FORCED") + struct.pack(">HH", 0, 0)),
    "misc.bin": frame(8, 0, b"") + method(0, 10, 60, short("low memory")) + method(0, 10, 61) + method(1, 20, 20, b"\x01")
                + method(1, 60, 30, short("ctag-1") + b"\x00") + method(1, 50, 11, short("q") + struct.pack(">II", 3, 1))
                + method(1, 60, 21, short("ctag-2")),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
