// Order book delta apply: `BookBenchmark generate FILE [--messages N] [--seed S]` writes a deterministic
// delta file; `BookBenchmark run FILE [--repeat R] [--dump CSV]` times `L2Book` applying it.
// scripts/bench-book-peers.sh runs the same file through hftbacktest's and NautilusTrader's books
// (scripts/interop/bench_book_peers.py) and prints the ratios.
//
// File format (little-endian), shared with the Python side:
//   header, 64 bytes: "BOOKDLT1", u64 records, u64 messages, u32 price decimals, u32 size decimals,
//                     f64 tick, f64 lot, 16 bytes zero
//   records, 32 bytes each: i64 update id (`u` of its message), u32 flags, u32 zero, f64 price, f64 size
//   flags: 1 = bid (else ask), 2 = part of a snapshot, 4 = last level of its message.
// A message is a run of records ending with flag 4; size 0 deletes the level.
import Foundation
import MarketData
import OrderBook

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = CommandLine.arguments.firstIndex(of: name), i + 1 < CommandLine.arguments.count else { return fallback }
    return Int(CommandLine.arguments[i + 1]) ?? fallback
}

func stringOption(_ name: String) -> String? {
    guard let i = CommandLine.arguments.firstIndex(of: name), i + 1 < CommandLine.arguments.count else { return nil }
    return CommandLine.arguments[i + 1]
}

struct Record {
    var updateId: Int64
    var flags: UInt32
    var reserved: UInt32 = 0
    var price: Double
    var size: Double

    static let bid: UInt32 = 1
    static let snapshot: UInt32 = 2
    static let last: UInt32 = 4
}

struct DeltaFile {
    var records: [Record]
    var messages: Int
    var priceDecimals: UInt32
    var sizeDecimals: UInt32
    var tick: Double
    var lot: Double

    static let magic = Array("BOOKDLT1".utf8)

    func write(to path: String) throws {
        var bytes = [UInt8]()
        bytes.reserveCapacity(64 + records.count * 32)
        func put<T>(_ value: T) { withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) } }
        bytes.append(contentsOf: Self.magic)
        put(UInt64(records.count))
        put(UInt64(messages))
        put(priceDecimals)
        put(sizeDecimals)
        put(tick)
        put(lot)
        bytes.append(contentsOf: [UInt8](repeating: 0, count: 16))
        for record in records {
            put(record.updateId)
            put(record.flags)
            put(record.reserved)
            put(record.price)
            put(record.size)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func read(from path: String) throws -> DeltaFile {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.withUnsafeBytes { raw in
            precondition(raw.count >= 64 && Array(raw[0..<8]) == magic, "\(path): not a BOOKDLT1 file")
            func load<T>(_ offset: Int, _: T.Type) -> T { raw.loadUnaligned(fromByteOffset: offset, as: T.self) }
            let count = Int(load(8, UInt64.self))
            precondition(raw.count == 64 + count * 32, "\(path): truncated")
            var records = [Record]()
            records.reserveCapacity(count)
            for i in 0..<count {
                let base = 64 + i * 32
                records.append(
                    Record(
                        updateId: load(base, Int64.self), flags: load(base + 8, UInt32.self), price: load(base + 16, Double.self),
                        size: load(base + 24, Double.self)))
            }
            return DeltaFile(
                records: records, messages: Int(load(16, UInt64.self)), priceDecimals: load(24, UInt32.self),
                sizeDecimals: load(28, UInt32.self), tick: load(32, Double.self), lot: load(40, Double.self))
        }
    }

    /// The messages as the engine receives them (what `L2Book.apply` takes).
    func updates() -> [BookUpdate] {
        var result: [BookUpdate] = []
        result.reserveCapacity(messages)
        var current = BookUpdate(isSnapshot: false, updateId: 0, bids: [], asks: [])
        for record in records {
            current.updateId = record.updateId
            current.isSnapshot = record.flags & Record.snapshot != 0
            let level = PriceLevel(price: record.price, size: record.size)
            if record.flags & Record.bid != 0 { current.bids.append(level) } else { current.asks.append(level) }
            if record.flags & Record.last != 0 {
                result.append(current)
                current = BookUpdate(isSnapshot: false, updateId: 0, bids: [], asks: [])
            }
        }
        precondition(result.count == messages, "message count \(result.count) != header \(messages)")
        return result
    }
}

// MARK: - Generator

/// One side of the generator's book in integer ticks and lots, best level last (as `BookSide`).
struct GenSide {
    let isBid: Bool
    var keys: [Int] = []
    var lots: [Int] = []

    var count: Int { keys.count }
    func key(_ tick: Int) -> Int { isBid ? tick : -tick }
    func tick(rank: Int) -> Int { isBid ? keys[keys.count - 1 - rank] : -keys[keys.count - 1 - rank] }
    var best: Int { tick(rank: 0) }
    var worst: Int { tick(rank: count - 1) }

    func lowerBound(_ key: Int) -> Int {
        var (low, high) = (0, keys.count)
        while low < high {
            let mid = (low + high) / 2
            if keys[mid] < key { low = mid + 1 } else { high = mid }
        }
        return low
    }

    func contains(_ tick: Int) -> Bool {
        let i = lowerBound(key(tick))
        return i < keys.count && keys[i] == key(tick)
    }

    mutating func set(_ tick: Int, _ size: Int) {
        let k = key(tick)
        let i = lowerBound(k)
        if i < keys.count && keys[i] == k {
            if size == 0 {
                keys.remove(at: i)
                lots.remove(at: i)
            } else {
                lots[i] = size
            }
        } else if size != 0 {
            keys.insert(k, at: i)
            lots.insert(size, at: i)
        }
    }
}

/// A seeded book stream for one symbol (BTCUSDT-like: tick 0.1, lot 0.001): a 200-level snapshot a side,
/// then deltas shaped like Bybit's `orderbook.200` pushes: mostly a few levels near the touch, some
/// batches of 8–40 levels, sweeps that move the touch (deletes on one side, inserts on the other),
/// deep changes, and the depth window kept at 200 levels (levels that fall out are deleted).
struct Generator {
    var rng: SplitMix64
    var bids = GenSide(isBid: true)
    var asks = GenSide(isBid: false)
    let depth = 200
    var updateId: Int64 = 1_000_000
    var records: [Record] = []
    /// The current message's changes, one per (side, tick): the last size written wins, as in one Bybit push.
    var pending: [(bid: Bool, tick: Int, lots: Int)] = []
    var pendingIndex: [Int: Int] = [:]

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func uniform(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
    mutating func lotSize() -> Int { uniform(10) == 0 ? 5_000 + uniform(45_000) : 1 + uniform(5_000) }
    /// Ranks near the touch are much likelier (P(rank = r) ~ 0.65^r).
    mutating func nearRank(_ count: Int) -> Int {
        var r = 0
        while r < count - 1 && uniform(100) < 65 { r += 1 }
        return r
    }

    mutating func change(bid: Bool, tick: Int, lots: Int) {
        if bid { bids.set(tick, lots) } else { asks.set(tick, lots) }
        let key = (tick << 1) | (bid ? 1 : 0)
        if let index = pendingIndex[key] {
            pending[index].lots = lots
        } else {
            pendingIndex[key] = pending.count
            pending.append((bid, tick, lots))
        }
    }

    mutating func flush(snapshot: Bool) {
        updateId += 1
        // Bybit lists bids then asks; the order within a side does not matter to a book.
        let ordered = pending.filter { $0.bid } + pending.filter { !$0.bid }
        for (i, change) in ordered.enumerated() {
            var flags: UInt32 = change.bid ? Record.bid : 0
            if snapshot { flags |= Record.snapshot }
            if i == ordered.count - 1 { flags |= Record.last }
            records.append(
                Record(updateId: updateId, flags: flags, price: Double(change.tick) / 10, size: Double(change.lots) / 1000))
        }
        pending.removeAll(keepingCapacity: true)
        pendingIndex.removeAll(keepingCapacity: true)
    }

    mutating func snapshot() {
        var tick = 960_000
        for _ in 0..<depth {
            change(bid: true, tick: tick, lots: lotSize())
            tick -= uniform(5) == 0 ? 2 : 1
        }
        tick = 960_001
        for _ in 0..<depth {
            change(bid: false, tick: tick, lots: lotSize())
            tick += uniform(5) == 0 ? 2 : 1
        }
        flush(snapshot: true)
    }

    func side(_ bid: Bool) -> GenSide { bid ? bids : asks }

    /// A size change, delete or insert at `rank` of one side, never crossing the book.
    mutating func touchLevel(bid: Bool, rank: Int, deleteOdds: Int, insertOdds: Int) {
        let s = side(bid)
        let roll = uniform(100)
        let tick = s.tick(rank: rank)
        if roll < deleteOdds && s.count > depth / 2 {
            change(bid: bid, tick: tick, lots: 0)
        } else if roll < deleteOdds + insertOdds {
            // Into the hole just better than `tick`, or just worse at the worst level; never through the other side.
            let step = bid ? 1 : -1
            let candidate = rank == 0 ? tick + step : tick + step * (1 + uniform(2))
            let otherBest = side(!bid).best
            let inside = bid ? candidate < otherBest : candidate > otherBest
            if inside && !s.contains(candidate) {
                change(bid: bid, tick: candidate, lots: lotSize())
            } else {
                change(bid: bid, tick: tick, lots: lotSize())
            }
        } else {
            change(bid: bid, tick: tick, lots: lotSize())
        }
    }

    /// The touch moves: the best `m` levels of one side are taken, the other side follows into the gap.
    mutating func sweep(up: Bool) {
        let taken = !up  // up: asks are taken; down: bids are taken
        let m = 1 + uniform(3)
        for _ in 0..<min(m, side(taken).count - 1) { change(bid: taken, tick: side(taken).best, lots: 0) }
        let newOther = side(taken).best
        let start = side(!taken).best
        let step = up ? 1 : -1
        // The follower fills the gap up to one tick of spread, with holes.
        var tick = start + step
        while up ? tick < newOther : tick > newOther {
            if tick == newOther - step || uniform(4) != 0 { change(bid: !taken, tick: tick, lots: lotSize()) }
            tick += step
        }
    }

    /// Keeps each side at `depth` levels, as the exchange's depth window does.
    mutating func window() {
        for bid in [true, false] {
            while side(bid).count > depth { change(bid: bid, tick: side(bid).worst, lots: 0) }
            while side(bid).count < depth {
                let next = side(bid).worst + (bid ? -1 : 1) * (1 + uniform(2))
                change(bid: bid, tick: next, lots: lotSize())
            }
        }
    }

    mutating func delta() {
        let kind = uniform(100)
        if kind < 60 {
            for _ in 0..<(1 + uniform(4)) {
                let bid = uniform(2) == 0
                touchLevel(bid: bid, rank: nearRank(side(bid).count), deleteOdds: 8, insertOdds: 7)
            }
        } else if kind < 75 {
            for _ in 0..<(8 + uniform(33)) {
                let bid = uniform(2) == 0
                touchLevel(bid: bid, rank: uniform(min(60, side(bid).count)), deleteOdds: 10, insertOdds: 10)
            }
        } else if kind < 90 {
            sweep(up: uniform(2) == 0)
        } else {
            for _ in 0..<(1 + uniform(3)) {
                let bid = uniform(2) == 0
                touchLevel(bid: bid, rank: uniform(side(bid).count), deleteOdds: 20, insertOdds: 20)
            }
        }
        // A spread wider than a tick is soon quoted into (BTCUSDT's spread is one tick most of the time).
        if asks.best - bids.best > 1 && uniform(2) == 0 {
            let bid = uniform(2) == 0
            change(bid: bid, tick: bid ? bids.best + 1 : asks.best - 1, lots: lotSize())
        }
        window()
        if pending.isEmpty { change(bid: true, tick: bids.best, lots: lotSize()) }
        precondition(bids.best < asks.best, "generator crossed the book")
        flush(snapshot: false)
    }
}

// MARK: - Modes

func usage() -> Never {
    print("usage: BookBenchmark generate FILE [--messages N] [--seed S] | run FILE [--repeat R] [--dump CSV]")
    exit(2)
}

guard CommandLine.arguments.count >= 3 else { usage() }
let path = CommandLine.arguments[2]

switch CommandLine.arguments[1] {
case "generate":
    let messages = option("--messages", 200_000)
    var generator = Generator(seed: UInt64(option("--seed", 13)))
    generator.snapshot()
    for _ in 1..<messages { generator.delta() }
    let file = DeltaFile(records: generator.records, messages: messages, priceDecimals: 1, sizeDecimals: 3, tick: 0.1, lot: 0.001)
    try file.write(to: path)
    var (deletes, snapshotLevels) = (0, 0)
    for record in file.records {
        if record.flags & Record.snapshot != 0 { snapshotLevels += 1 } else if record.size == 0 { deletes += 1 }
    }
    let deltaLevels = file.records.count - snapshotLevels
    print(
        String(
            format:
                "generated %d messages (1 snapshot of %d levels, %d deltas), %d level updates, "
                + "%.2f levels per delta, %.1f %% deletes -> %@",
            messages, snapshotLevels, messages - 1, file.records.count, Double(deltaLevels) / Double(messages - 1),
            Double(deletes) * 100 / Double(deltaLevels), path))

case "run":
    let file = try DeltaFile.read(from: path)
    let updates = file.updates()
    let levels = file.records.count
    let repeats = option("--repeat", 7)
    precondition(updates.first?.isSnapshot == true, "the file must start with a snapshot")

    // Untimed pass: every message applies in sync, and a top-of-book checksum over every message
    // (integer ticks and lots, so the Python side can reproduce it exactly).
    let priceScale = pow(10, Double(file.priceDecimals))
    let sizeScale = pow(10, Double(file.sizeDecimals))
    var book = L2Book()
    var topChecksum: Int64 = 0
    for update in updates {
        switch book.apply(update) {
        case .applied, .snapshot: break
        case let outcome: fatalError("update \(update.updateId) did not apply: \(outcome)")
        }
        let top = book.top!
        topChecksum &+= Int64((top.bid * priceScale).rounded()) &+ Int64((top.ask * priceScale).rounded())
        topChecksum &+= Int64((top.bidSize * sizeScale).rounded()) &+ Int64((top.askSize * sizeScale).rounded())
    }
    let final = book.top!

    // Timed: `L2Book.apply` per message from a fresh book (continuity and crossed checks included),
    // what the engine does with each decoded update.
    var bookTimes: [Double] = []
    for _ in 0..<repeats {
        var fresh = L2Book()
        let t0 = now()
        for update in updates { fresh.apply(update) }
        bookTimes.append(now() - t0)
        precondition(fresh.top! == final)
    }
    // Timed: the two sorted sides alone, one `set` per level update (no messages, no checks) — the
    // closest to what hftbacktest's depth does per event.
    var sideTimes: [Double] = []
    for _ in 0..<repeats {
        var bids = BookSide(isBid: true)
        var asks = BookSide(isBid: false)
        let t0 = now()
        for record in file.records {
            if record.flags & Record.bid != 0 {
                bids.set(price: record.price, size: record.size)
            } else {
                asks.set(price: record.price, size: record.size)
            }
        }
        sideTimes.append(now() - t0)
        precondition(bids.bestPrice == final.bid && asks.bestPrice == final.ask)
    }

    if let dump = stringOption("--dump") {
        var csv = "side,price,size\n"
        for level in book.bids.levelsBestFirst { csv += "b,\(level.price),\(level.size)\n" }
        for level in book.asks.levelsBestFirst { csv += "a,\(level.price),\(level.size)\n" }
        try csv.write(toFile: dump, atomically: true, encoding: .utf8)
    }

    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    print("\(updates.count) messages, \(levels) level updates (\(path))")
    for (name, times) in [("L2Book.apply per message", bookTimes), ("BookSide.set per level", sideTimes)] {
        print(
            String(
                format: "  %@: median %.1f ns/level, %.1f ns/message (min %.1f ns/level; %d runs)", name,
                median(times) / Double(levels) * 1e9, median(times) / Double(updates.count) * 1e9, times.min()! / Double(levels) * 1e9,
                repeats))
    }
    print("  final: bid \(final.bid) x \(final.bidSize), ask \(final.ask) x \(final.askSize); top checksum \(topChecksum)")
    print("  final book: \(book.bids.count) bid levels, \(book.asks.count) ask levels")
    // One line for scripts/bench-book-peers.sh.
    print(
        "RESULT {\"messages\": \(updates.count), \"levels\": \(levels), \"book_s\": \(median(bookTimes)), "
            + "\"sides_s\": \(median(sideTimes)), \"best_bid\": \(final.bid), \"best_bid_size\": \(final.bidSize), "
            + "\"best_ask\": \(final.ask), \"best_ask_size\": \(final.askSize), \"top_checksum\": \(topChecksum), "
            + "\"bid_levels\": \(book.bids.count), \"ask_levels\": \(book.asks.count)}")

default:
    usage()
}
