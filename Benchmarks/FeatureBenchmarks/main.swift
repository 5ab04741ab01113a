import Datasets
import EngineHistory
// Engine benchmarks: `swift run -c release FeatureBenchmarks [events]`.
// Prints events/s of the feature engine (default registry, offline: grid vectors at every
// second) over a realistic mix (book deltas 60 %, trades 35 %, ticker/kline 5 %), the order
// book's cost per delta, and envelope decoding throughput.
import FeatureEngine
import FeatureServer
import Foundation
import Live
import Logging
import MarketData
import Metadata
import Offline
import OrderBook
import Quality
import RawStore
import ServiceRuntime

let count = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 2_000_000 : 2_000_000
// `--replay-only`: the store part alone (section 5 without ingest timing noise from 1-4), for profiling.
let replayOnly = CommandLine.arguments.contains("--replay-only")
let withStore = replayOnly || CommandLine.arguments.contains("--store")
let start: Nanos = 1_733_011_200_000_000_000

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

// `--dataset-store DIR [--dataset-hours H] [--dataset-rate EVENTS_PER_S]`: only builds a store of
// three simulated symbols (default 24 h at 20 events/s per symbol) with its checkpoints in DIR,
// for scripts/bench-dataset-workers.sh (dataset builds by 1 and 2 workers), and exits.
if let flag = CommandLine.arguments.firstIndex(of: "--dataset-store"), flag + 1 < CommandLine.arguments.count {
    func option(_ name: String, _ fallback: Double) -> Double {
        guard let i = CommandLine.arguments.firstIndex(of: name), i + 1 < CommandLine.arguments.count else { return fallback }
        return Double(CommandLine.arguments[i + 1]) ?? fallback
    }
    let root = CommandLine.arguments[flag + 1]
    let (hours, rate) = (option("--dataset-hours", 24), option("--dataset-rate", 20))
    let store = try RawStore(root: root, format: ParquetFormat())
    var generator = MarketSimulator(seed: 23, start: start, eventsPerSecond: rate, depth: 50)
    var stamps = Stamper()
    let end = start + Nanos(hours * 3_600) * Time.nanosPerSecond
    var (total, part, finished) = (0, UInt64(1_000_000_000), false)
    let t0 = now()
    while !finished {
        var chunk: [MarketEvent] = []
        while chunk.count < 1_000_000 {
            let (time, event) = generator.nextEvent()
            if time >= end { finished = true; break }
            chunk.append(stamps.stamp(event, at: time))
        }
        try store.bulkLoad(chunk, part: part)
        part += 1
        total += chunk.count
    }
    for (symbol, _, _) in MarketSimulator.defaultSymbols {
        try CheckpointRebuild.run(store: store, checkpoints: CheckpointStore(root: root), symbol: symbol)
    }
    print(
        String(
            format: "dataset store: 3 symbols, %.0f h, %d events, checkpoints, in %.0f s; first instant %@", hours, total, now() - t0,
            Time.formatISO8601(start)))
    exit(0)
}

print("generating \(count) events (1 symbol, 70 events/s, 200-level book)...")
var simulator = MarketSimulator(seed: 42, symbols: [("BTCUSDT", 96_000, 0.1)], start: start, eventsPerSecond: 70, depth: 200)
var stamper = Stamper()
var events: [MarketEvent] = []
events.reserveCapacity(count)
var byType: [EventType: Int] = [:]
for _ in 0..<count {
    let (time, event) = simulator.nextEvent()
    let stamped = stamper.stamp(event, at: time)
    byType[stamped.type, default: 0] += 1
    events.append(stamped)
}
let span = Double(events.last!.recvTs - events.first!.recvTs) / 1e9
print(
    "mix: "
        + EventType.allCases.compactMap { t in
            byType[t].map { "\(t.rawValue) \(String(format: "%.1f", Double($0) * 100 / Double(count)))%" }
        }.joined(separator: ", ")
        + String(format: "; span %.1f h of market time", span / 3600))

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

let registry = FeatureRegistry.bundledDefault
// 1. Feature engine, default registry, grid vectors at every second.
if !replayOnly {
    var engineRates: [Double] = []
    var vectorCount = 0
    // A function of its own for `valgrind --tool=callgrind --toggle-collect='*engineRun*'`.
    @inline(never) func engineRun() -> (rate: Double, vectors: Int) {
        var engine = FeatureEngine(registry: registry)
        var vectors = 0
        let t0 = now()
        for event in events { engine.apply(event) { _ in vectors += 1 } }
        return (Double(count) / (now() - t0), vectors)
    }
    for _ in 0..<5 {
        let run = engineRun()
        vectorCount = run.vectors
        engineRates.append(run.rate)
    }
    print(
        String(
            format: "engine (default registry, %d features): median %.2f M events/s, best %.2f M events/s (%d grid vectors per run)",
            registry.features.count, median(engineRates) / 1e6, engineRates.max()! / 1e6, vectorCount))

    // 1b. The live engine: what `LivePipeline` does with the same events — apply, grid vectors,
    //     and a vector read on every book update (the throttle off, as in the latency runs).
    var liveCosts: [Double] = []
    var liveVectors = 0
    @inline(never) func liveEngineRun() -> (nanosPerVector: Double, vectors: Int) {
        var engine = FeatureEngine(registry: registry, readsBetweenGridPoints: true)
        var (vectors, checksum) = (0, 0.0)
        let t0 = now()
        for event in events {
            engine.apply(event) { _ in vectors += 1 }
            if case .book = event.body, let vector = engine.vector(for: event.symbol, at: event.recvTs) {
                vectors += 1
                checksum += vector.values.last.flatMap { $0 } ?? 0
            }
        }
        precondition(checksum.isFinite)
        return ((now() - t0) * 1e9 / Double(vectors), vectors)
    }
    for _ in 0..<5 {
        let run = liveEngineRun()
        liveVectors = run.vectors
        liveCosts.append(run.nanosPerVector)
    }
    print(
        String(
            format: "live engine (apply + a vector per book update): median %.0f ns per vector, best %.0f ns (%d vectors per run)",
            median(liveCosts), liveCosts.min()!, liveVectors))

    // 2. Order book alone: cost per delta.
    let bookUpdates: [BookUpdate] = events.compactMap { if case .book(let update) = $0.body { update } else { nil } }
    var bookCosts: [Double] = []
    for _ in 0..<5 {
        var book = L2Book()
        let t0 = now()
        for update in bookUpdates { book.apply(update) }
        let elapsed = now() - t0
        precondition(book.isSynced)
        bookCosts.append(elapsed / Double(bookUpdates.count) * 1e9)
    }
    print(
        String(format: "order book apply: median %.1f ns per update (%d updates, 200 levels a side)", median(bookCosts), bookUpdates.count))

    // 3. Order book with change tracking (what book_churn needs).
    bookCosts = []
    for _ in 0..<5 {
        var book = L2Book(changeTrackingDepth: 10)
        let t0 = now()
        for update in bookUpdates { book.apply(update) }
        bookCosts.append((now() - t0) / Double(bookUpdates.count) * 1e9)
    }
    print(String(format: "order book apply with change tracking: median %.1f ns per update", median(bookCosts)))

    // 4. Envelope decoding (JSON -> events), the ingest edge.
    let envelopes: [[UInt8]] = events.prefix(200_000).map { Array(GatewayEnvelope.encode($0, eventId: "bench").utf8) }
    var decodeRates: [Double] = []
    for _ in 0..<3 {
        let t0 = now()
        var decoded = 0
        for body in envelopes { if let message = try? EnvelopeDecoder.decode(body) { decoded += message.events.count } }
        precondition(decoded == envelopes.count)
        decodeRates.append(Double(envelopes.count) / (now() - t0))
    }
    print(String(format: "envelope decoding: median %.0f k envelopes/s", median(decodeRates) / 1e3))

}

// 5. Raw store: durable ingest (log + fsync per batch, Parquet conversion included) and
//    offline replay from Parquet through the engine.
if withStore {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("bench-store-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: root) }
    let store = try RawStore(root: root, format: ParquetFormat())
    let batch = 1000
    let t0 = now()
    var index = 0
    while index < events.count {
        let end = min(index + batch, events.count)
        store.append(Array(events[index..<end]))
        try store.sync()
        index = end
    }
    try store.flush()
    let ingest = now() - t0
    print(
        String(
            format: "store ingest, durable (fsync per %d events) incl. Parquet conversion: %.0f k events/s (%.1f s)",
            batch, Double(events.count) / ingest / 1e3, ingest))
    // Functions of their own, so that `valgrind --tool=callgrind --toggle-collect='*replayOneCore*'`
    // counts one of them alone.
    @inline(never) func replayPipelined() throws -> Double {
        let t0 = now()
        var vectors = 0
        let stats = try OfflineEngine.rebuild(store: store, symbol: "BTCUSDT", from: .min, to: .max, registry: registry) { _ in
            vectors += 1
        }
        return Double(stats.events) / (now() - t0)
    }
    @inline(never) func replayOneCore() throws -> Double {
        let t0 = now()
        var engine = FeatureEngine(registry: registry)
        var replay = try store.replay(symbol: "BTCUSDT", from: .min, to: .max, fields: .engineInputs)
        var event = StoreReplay.emptyEvent()
        var n = 0
        var vectors = 0
        while try replay.next(into: &event) {
            engine.apply(event) { _ in vectors += 1 }
            n += 1
        }
        return Double(n) / (now() - t0)
    }
    @inline(never) func replayRead(_ fields: ReplayFields) throws -> Double {
        let t0 = now()
        var replay = try store.replay(symbol: "BTCUSDT", from: .min, to: .max, fields: fields)
        var event = StoreReplay.emptyEvent()
        var n = 0
        while try replay.next(into: &event) { n += 1 }
        return Double(n) / (now() - t0)
    }
    let repeats = replayOnly ? 5 : 3
    let pipelined = try (0..<repeats).map { _ in try replayPipelined() }
    print(
        String(
            format: "offline replay Parquet -> engine (default registry, decoding on a second core): median %.2f M events/s",
            median(pipelined) / 1e6))
    let oneCore = try (0..<repeats).map { _ in try replayOneCore() }
    print(
        String(format: "offline replay Parquet -> engine (default registry, one core): median %.2f M events/s", median(oneCore) / 1e6))
    for fields in [ReplayFields.all, .engineInputs] {
        let rates = try (0..<repeats).map { _ in try replayRead(fields) }
        print(
            String(
                format: "store replay alone (Parquet -> events, merged, %@): median %.2f M events/s",
                fields == .all ? "every field" : "engine inputs", median(rates) / 1e6))
    }
}

// 6. A month (or --days N) of one symbol at ~50 book deltas/s and ~20 trades/s, bulk-loaded
//    into a store, then built into a dataset (explicit train/validation/test, 4 targets at
//    1 m / 5 m / 15 m / 1 h).
if let flag = CommandLine.arguments.firstIndex(of: "--dataset-days"), flag + 1 < CommandLine.arguments.count,
    let days = Int(CommandLine.arguments[flag + 1])
{
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("bench-month-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: root) }
    let store = try RawStore(root: root, format: ParquetFormat())
    var mix = MarketSimulator.Mix()
    mix.bookDeltas = 70
    mix.trades = 28
    mix.tickers = 1
    var monthSimulator = MarketSimulator(
        seed: 7, symbols: [("BTCUSDT", 96_000, 0.1)], start: start, eventsPerSecond: 71.5, depth: 50, mix: mix)
    var monthStamper = Stamper()
    let end = start + Int64(days) * Time.nanosPerDay
    var total = 0
    var t0 = now()
    var part: UInt64 = 1_000_000_000
    while true {
        var chunk: [MarketEvent] = []
        chunk.reserveCapacity(1_000_000)
        var last: Nanos = start
        while chunk.count < 1_000_000 {
            let (time, event) = monthSimulator.nextEvent()
            last = time
            if time >= end { break }
            chunk.append(monthStamper.stamp(event, at: time))
        }
        try store.bulkLoad(chunk, part: part)
        part += 1
        total += chunk.count
        if last >= end { break }
    }
    print(String(format: "dataset benchmark: %d days, %d events generated and bulk-loaded in %.0f s", days, total, now() - t0))
    let day = Time.nanosPerDay
    let trainEnd = start + Int64(Double(days) * 0.7 * Double(day)) / Time.nanosPerSecond * Time.nanosPerSecond
    let validationEnd = start + Int64(Double(days) * 0.85 * Double(day)) / Time.nanosPerSecond * Time.nanosPerSecond
    let json = """
        {"symbol": "BTCUSDT", "targets": {"types": ["return", "log_return", "direction", "sharpe"], "horizons": ["1m", "5m", "15m", "1h"]},
         "splits": {"strategy": "explicit", "periods": {"train": ["\(Time.formatISO8601(start + 3600 * Time.nanosPerSecond))",
          "\(Time.formatISO8601(trainEnd))"],
                    "validation": ["\(Time.formatISO8601(trainEnd))", "\(Time.formatISO8601(validationEnd))"],
                    "test": ["\(Time.formatISO8601(validationEnd))", "\(Time.formatISO8601(end - 3600 * Time.nanosPerSecond))"]}}}
        """
    let config = try DatasetConfig.parse(json: json)
    t0 = now()
    let manifest = try DatasetBuilder(
        config: config, registry: registry, store: store, outputDirectory: root + "/dataset", datasetId: "bench",
        createdAt: SystemClock().now()
    ).build()
    let elapsed = now() - t0
    print(
        String(
            format: "dataset build: %.0f s wall, %.2f M events/s, %d rows (%@)", elapsed, Double(total) / elapsed / 1e6,
            manifest.splits.reduce(0) { $0 + $1.rows }, manifest.splits.map { "\($0.name) \($0.rows)" }.joined(separator: ", ") as NSString)
    )
}

// 7. Data quality: 24 h of one symbol (~71 events/s) counted by the tracker, stored as hourly
//    rows in the metadata store (SQLite in a temp dir, or --quality-db URL, e.g. PostgreSQL),
//    then the 24 h report built from the store as `GET /data-quality/report` does.
if CommandLine.arguments.contains("--quality") {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("bench-quality-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: root) }
    var url: String?
    if let flag = CommandLine.arguments.firstIndex(of: "--quality-db"), flag + 1 < CommandLine.arguments.count {
        url = CommandLine.arguments[flag + 1]
    }
    let metadata = try await MetadataStore.open(url: url, dataDirectory: root, logger: Logger(label: "bench"), now: 0)
    var daySimulator = MarketSimulator(seed: 11, symbols: [("BENCHUSDT", 96_000, 0.1)], start: start, eventsPerSecond: 71.5, depth: 50)
    var dayStamper = Stamper()
    var tracker = QualityTracker()
    var book = L2Book()
    let end = start + Time.nanosPerDay
    var observed = 0
    var t0 = now()
    while true {
        let (time, event) = daySimulator.nextEvent()
        if time >= end { break }
        let stamped = dayStamper.stamp(event, at: time)
        if case .book(let update) = stamped.body { tracker.observe(stamped, book: book.apply(update)) } else { tracker.observe(stamped) }
        observed += 1
    }
    let trackRate = Double(observed) / (now() - t0)
    let history = QualityHistory(metadata: metadata)
    t0 = now()
    // Replace, not add: a PostgreSQL database keeps earlier runs' rows.
    try await history.replace(symbol: "BENCHUSDT", buckets: tracker.takeBuckets(endedBy: .max)["BENCHUSDT"] ?? [], computedAt: end)
    let storeSeconds = now() - t0
    var times: [Double] = []
    var size = 0
    for _ in 0..<30 {
        t0 = now()
        let buckets = try await history.stored(symbol: "BENCHUSDT", from: start, to: end)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(QualityReportDocument(QualityReport(symbol: "BENCHUSDT", from: start, to: end, buckets: buckets)))
        times.append(now() - t0)
        size = json.count
    }
    times.sort()
    print(
        String(
            format: "quality: tracker (with book) %.2f M events/s over %d events; 24 h stored in %.2f s (%@)",
            trackRate / 1e6, observed, storeSeconds, metadata.database.location as NSString))
    print(
        String(
            format: "quality: 24 h report from the store: median %.1f ms, p95 %.1f ms, max %.1f ms (%d bytes)",
            times[times.count / 2] * 1e3, times[Int(Double(times.count) * 0.95)] * 1e3, times.last! * 1e3, size))
    await metadata.close()
}

// 8. Bounded history (issue 11): N days of one symbol bulk-loaded, checkpoints written in one
//    pass (as `checkpoints rebuild` does), then what `serve` does before it answers — and what a
//    registry reload does — with checkpoints and without, and a dataset of the last day.
//    `--history-days N [--history-rate EVENTS_PER_S]` (default 30 days at 10 events/s).
if let flag = CommandLine.arguments.firstIndex(of: "--history-days"), flag + 1 < CommandLine.arguments.count,
    let days = Int(CommandLine.arguments[flag + 1])
{
    var rate = 10.0
    if let r = CommandLine.arguments.firstIndex(of: "--history-rate"), r + 1 < CommandLine.arguments.count {
        rate = Double(CommandLine.arguments[r + 1]) ?? rate
    }
    // `--history-keep DIR`: build the store there and keep it (scripts/start-time.sh times `serve` on it).
    var keep: String?
    if let k = CommandLine.arguments.firstIndex(of: "--history-keep"), k + 1 < CommandLine.arguments.count {
        keep = CommandLine.arguments[k + 1]
    }
    let root = keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("bench-history-\(UUID().uuidString)").path
    defer { if keep == nil { try? FileManager.default.removeItem(atPath: root) } }
    let store = try RawStore(root: root, format: ParquetFormat())
    var historySimulator = MarketSimulator(seed: 17, symbols: [("BTCUSDT", 96_000, 0.1)], start: start, eventsPerSecond: rate, depth: 50)
    var historyStamper = Stamper()
    let end = start + Int64(days) * Time.nanosPerDay
    var total = 0
    var t0 = now()
    var part: UInt64 = 1_000_000_000
    var finished = false
    while !finished {
        var chunk: [MarketEvent] = []
        chunk.reserveCapacity(1_000_000)
        while chunk.count < 1_000_000 {
            let (time, event) = historySimulator.nextEvent()
            if time >= end { finished = true; break }
            chunk.append(historyStamper.stamp(event, at: time))
        }
        try store.bulkLoad(chunk, part: part)
        part += 1
        total += chunk.count
    }
    print(String(format: "history: %d days, %d events bulk-loaded in %.0f s", days, total, now() - t0))
    let checkpoints = CheckpointStore(root: root)
    t0 = now()
    let rebuilt = try CheckpointRebuild.run(store: store, checkpoints: checkpoints, symbol: "BTCUSDT")
    print(
        String(format: "history: checkpoints rebuild: %d checkpoints over %d events in %.1f s", rebuilt.written, rebuilt.events, now() - t0)
    )
    for useCheckpoints in [true, false] {
        var engine = FeatureEngine(registry: registry)
        t0 = now()
        let stats = try EngineReplay.warm(
            &engine, store: store, checkpoints: useCheckpoints ? checkpoints : nil, symbol: "BTCUSDT", now: end)
        print(
            String(
                format: "history: warm start / reload (%@): %.3f s, %d events replayed",
                useCheckpoints ? "from a checkpoint" : "from the first event",
                now() - t0, stats.events))
    }
    let dayStart = end - Time.nanosPerDay
    let json = """
        {"symbol": "BTCUSDT", "targets": {"types": ["return", "direction"], "horizons": ["1m", "5m"]},
         "splits": {"strategy": "explicit", "periods": {"train": ["\(Time.formatISO8601(dayStart))",
          "\(Time.formatISO8601(dayStart + 16 * 3600 * Time.nanosPerSecond))"],
                    "validation": ["\(Time.formatISO8601(dayStart + 16 * 3600 * Time.nanosPerSecond))",
                     "\(Time.formatISO8601(dayStart + 20 * 3600 * Time.nanosPerSecond))"],
                    "test": ["\(Time.formatISO8601(dayStart + 20 * 3600 * Time.nanosPerSecond))",
                     "\(Time.formatISO8601(end - 600 * Time.nanosPerSecond))"]}}}
        """
    t0 = now()
    let manifest = try DatasetBuilder(
        config: try DatasetConfig.parse(json: json), registry: registry, store: store,
        outputDirectory: root + "/dataset", datasetId: "last-day", createdAt: SystemClock().now()
    ).build()
    print(String(format: "history: dataset of the last day: %.1f s, %d rows", now() - t0, manifest.splits.reduce(0) { $0 + $1.rows }))
}
