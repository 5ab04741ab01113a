#!/usr/bin/env python3
"""Checks the module map that CONTRIBUTING.md states, from `swift package dump-package`:
what each layer may (transitively) depend on. Run by scripts/test.sh; exits 1 with the
offending paths when a change breaks the map."""
import json
import subprocess
import sys

package = json.loads(subprocess.run(["swift", "package", "dump-package"], check=True, capture_output=True, text=True).stdout)
targets = {t["name"]: t for t in package["targets"]}


def direct(name):
    """(kind, name) of the direct dependencies of a target: ('target', X) or ('product', X)."""
    out = []
    for dep in targets[name]["dependencies"]:
        if "byName" in dep:
            out.append(("target" if dep["byName"][0] in targets else "product", dep["byName"][0]))
        elif "target" in dep:
            out.append(("target", dep["target"][0]))
        elif "product" in dep:
            out.append(("product", dep["product"][0]))
    return out


def closure(name):
    """Every target and product `name` uses, with one path to each."""
    seen = {}
    stack = [(name, [name])]
    while stack:
        current, path = stack.pop()
        for kind, dep in direct(current):
            if dep in seen:
                continue
            seen[dep] = path + [dep]
            if kind == "target":
                stack.append((dep, path + [dep]))
    return seen


# layer -> what it must never reach, and why
RULES = {
    "MarketData": ({"Hummingbird", "AMQP", "PostgresNIO", "NIOPosix", "RawStore"}, "the pure core does no I/O"),
    "OrderBook": ({"Hummingbird", "AMQP", "PostgresNIO", "NIOPosix", "RawStore"}, "the pure core does no I/O"),
    "FeatureEngine": ({"Hummingbird", "AMQP", "PostgresNIO", "NIOPosix", "RawStore"}, "the pure core does no I/O"),
    "Quality": ({"Hummingbird", "AMQP", "PostgresNIO", "NIOPosix", "RawStore"}, "the pure core does no I/O"),
    "Parquet": ({"MarketData", "RawStore", "FeatureEngine"}, "Parquet is standalone"),
    "AMQP": ({"MarketData", "RawStore", "FeatureEngine"}, "AMQP is standalone"),
    "Offline": ({"Hummingbird", "AMQP", "PostgresNIO", "Metadata", "Live", "API"},
                "replay and import link no HTTP server, broker or database client"),
    "Routing": ({"Hummingbird", "RawStore", "PostgresNIO", "Metadata", "Live", "FeatureEngine"},
                "the router only reads symbols and republishes: no store, engine, HTTP or database"),
    "Live": ({"Hummingbird", "API", "Offline", "PostgresNIO", "Metadata"}, "the live path knows neither HTTP nor the metadata store"),
    "API": ({"Live", "AMQP", "Offline"}, "routes see the live side only through the LiveFeatures protocol"),
}

failures = []
for layer, (forbidden, why) in RULES.items():
    reached = closure(layer)
    for name in sorted(forbidden & reached.keys()):
        failures.append(f"{layer} reaches {name} ({' -> '.join(reached[name])}): {why}")
if failures:
    print("module map broken:\n  " + "\n  ".join(failures), file=sys.stderr)
    sys.exit(1)
print(f"module map: {len(RULES)} layers checked")
