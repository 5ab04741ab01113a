import Datasets
import EngineHistory
import FeatureEngine
import Foundation
import MarketData
import Offline
import Parquet
import RawStore
import TestSupport
import Testing

/// Three simulated symbols over `hours`, stored, with engine checkpoints every 10 minutes
/// (what `import` writes), so that each chunk of a build starts from its own checkpoint.
func simulatedStore(hours: Double, eventsPerSecond: Double = 6, seed: UInt64 = 21) throws -> (RawStore, start: Nanos) {
    let store = try RawStore(root: scratchDirectory(), format: ParquetFormat())
    let start: Nanos = 1_767_225_600_000_000_000  // 2026-01-01T00:00:00Z
    var simulator = MarketSimulator(seed: seed, start: start, eventsPerSecond: eventsPerSecond, depth: 10)
    var stamper = Stamper()
    var batch: [MarketEvent] = []
    let end = start + Nanos(hours * 3_600) * Time.nanosPerSecond
    while true {
        let (time, event) = simulator.nextEvent()
        if time >= end { break }
        batch.append(stamper.stamp(event, at: time))
        if batch.count == 50_000 {
            store.append(batch)
            batch = []
        }
    }
    store.append(batch)
    try store.sync()
    try store.flush()
    let checkpoints = CheckpointStore(root: store.layout.root)
    for (symbol, _, _) in MarketSimulator.defaultSymbols {
        try CheckpointRebuild.run(store: store, checkpoints: checkpoints, symbol: symbol)
    }
    return (store, start)
}

func threeSymbolConfig(start: Nanos) -> DatasetConfig {
    let minute = 60 * Time.nanosPerSecond
    var config = DatasetConfig(
        symbols: ["SOLUSDT", "BTCUSDT", "ETHUSDT"],
        splits: .explicit(
            periods: [
                ("train", start + 20 * minute, start + 75 * minute), ("validation", start + 75 * minute, start + 90 * minute),
                ("test", start + 90 * minute, start + 105 * minute),
            ], embargo: minute))
    config.targets.types = [.return, .direction, .sharpe, .logReturn]
    config.targets.horizons = [30 * Time.nanosPerSecond, 2 * minute]
    config.sampleEvery = 5 * Time.nanosPerSecond
    return config
}

@Suite struct DatasetPlanTests {
    @Test func tasksCoverEachSymbolsRangeOnceOnTheSamplingGrid() {
        let second = Time.nanosPerSecond
        var config = DatasetConfig(
            symbols: ["A", "B"], splits: .explicit(periods: [("train", 1_000 * second, 1_100 * second)], embargo: 0))
        config.sampleEvery = 3 * second
        // 25 s is rounded up to 27 s, a whole number of rows.
        let tasks = DatasetPlan.tasks(for: config, chunk: 25 * second)
        #expect(tasks.map(\.index) == Array(0..<tasks.count))
        for symbol in ["A", "B"] {
            let mine = tasks.filter { $0.symbol == symbol }
            #expect(mine.map(\.rowStart) == [1_000, 1_027, 1_054, 1_081].map { $0 * second })
            #expect(mine.map(\.rowEnd) == [1_027, 1_054, 1_081, 1_100].map { $0 * second })
            #expect(mine.map(\.first) == [true, false, false, false])
            #expect(mine.map(\.last) == [false, false, false, true])
        }
        // Symbols in the order listed, then time.
        #expect(tasks.map(\.symbol) == Array(repeating: "A", count: 4) + Array(repeating: "B", count: 4))
        // A range shorter than a chunk is one task.
        #expect(DatasetPlan.tasks(for: config, chunk: 3_600 * second).count == 2)
    }

    @Test func severalSymbolsParseAndOneSymbolStaysTheSame() throws {
        let text = """
            {"symbols": ["BTCUSDT", "ETHUSDT"], "splits": {"strategy": "explicit",
             "periods": {"train": ["2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"]}}}
            """
        let config = try DatasetConfig.parse(json: text)
        #expect(config.symbols == ["BTCUSDT", "ETHUSDT"])
        #expect(config.symbol == "BTCUSDT,ETHUSDT")
        let twice = text.replacingOccurrences(of: "\"ETHUSDT\"", with: "\"BTCUSDT\"")
        #expect(throws: DatasetConfigError.self) { try DatasetConfig.parse(json: twice) }
        let both = text.replacingOccurrences(of: "{\"symbols\"", with: "{\"symbol\": \"BTCUSDT\", \"symbols\"")
        #expect(throws: DatasetConfigError.self) { try DatasetConfig.parse(json: both) }
        #expect(
            try DatasetConfig.parse(
                json: text.replacingOccurrences(of: "\"symbols\": [\"BTCUSDT\", \"ETHUSDT\"]", with: "\"symbol\": \"BTCUSDT\"")
            ).symbols == ["BTCUSDT"])
    }
}

@Suite struct DistributedBuildTests {
    /// The tasks of a 3-symbol build, run in any order (one twice, as after a worker died after
    /// writing its part) and merged, give the same split files, byte for byte, and the same
    /// manifest as the single-process build.
    @Test func mergedTasksEqualTheSingleProcessBuild() throws {
        let (store, start) = try simulatedStore(hours: 2)
        let config = threeSymbolConfig(start: start)
        let registry = FeatureRegistry.bundledDefault
        let single = scratchDirectory()
        let reference = try DatasetBuilder(
            config: config, registry: registry, store: store, outputDirectory: single, datasetId: "ds-1", createdAt: start
        ).build()
        #expect(reference.document.rows > 1_000)
        #expect(Set(reference.splits.map(\.name)) == ["train", "validation", "test"])

        let distributed = scratchDirectory()
        let tasks = DatasetPlan.tasks(for: config, chunk: 20 * 60 * Time.nanosPerSecond)
        #expect(tasks.count == 15)  // 3 symbols x 85 min in 20 min chunks (the last one 5 min)
        let runner = try DatasetTaskRunner(config: config, registry: registry, store: store, directory: distributed)
        var generator = SplitMix64(seed: 3)
        let order = tasks.shuffled(using: &generator) + [tasks[5]]
        for task in order { try runner.run(task) }
        let merged = try DatasetAssembler.merge(
            tasks: tasks, config: config, registry: registry, directory: distributed,
            coverage: { try store.coverage(symbol: $0) }, datasetId: "ds-1", buildSeconds: 0, createdAt: start)

        for split in reference.splits {
            let a = try Data(contentsOf: URL(fileURLWithPath: "\(single)/\(split.file)"))
            let b = try Data(contentsOf: URL(fileURLWithPath: "\(distributed)/\(split.file)"))
            #expect(a == b, "\(split.name) differs")
        }
        var expected = reference.document
        expected.buildSeconds = 0
        #expect(merged.document == expected)
        #expect(merged.document.symbols == config.symbols)
        #expect(merged.document.sources?.count == 3)
        // The parts are gone once merged; the dataset holds the split files and the manifest.
        #expect(!FileManager.default.fileExists(atPath: "\(distributed)/parts"))
        // Rows: symbols in the order listed, each in time order.
        let train = try ParquetReader(path: "\(distributed)/train.parquet").readAll(columns: ["symbol", "timestamp"])
        guard case .string(let symbols) = train[0].values, case .int64(let times) = train[1].values else {
            Issue.record("column types")
            return
        }
        var runs: [String] = []
        for symbol in symbols where runs.last != symbol { runs.append(symbol) }
        #expect(runs == config.symbols)
        for (a, b) in zip(zip(symbols, times), zip(symbols.dropFirst(), times.dropFirst())) where a.0 == b.0 { #expect(a.1 < b.1) }
    }

    /// A part written twice is the same bytes: a task re-run by another worker duplicates nothing.
    @Test func aTaskWritesTheSameBytesEachTime() throws {
        let (store, start) = try simulatedStore(hours: 1)
        var config = threeSymbolConfig(start: start)
        config.splits = .explicit(
            periods: [("train", start + 20 * 60 * Time.nanosPerSecond, start + 40 * 60 * Time.nanosPerSecond)], embargo: 0)
        let directory = scratchDirectory()
        let runner = try DatasetTaskRunner(config: config, registry: .bundledDefault, store: store, directory: directory)
        let task = DatasetPlan.tasks(for: config, chunk: 600 * Time.nanosPerSecond)[1]
        let first = try runner.run(task)
        let path = DatasetPlan.partPath(directory: directory, index: task.index)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let second = try runner.run(task)
        #expect(first == second)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
        #expect(first.rows == 120)  // 10 min at 5 s
    }
}
