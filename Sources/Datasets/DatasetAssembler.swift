public import FeatureEngine
import Foundation
public import MarketData

/// Turns rows into a finished dataset: routes them to their split files, checks each for
/// leakage, sums what the replays saw, and writes `manifest.json`. The single-process build
/// feeds it rows as they are computed; a distributed build feeds it the parts of its tasks in
/// task order, which is the same sequence of rows, so the files and the manifest come out the
/// same.
public final class DatasetAssembler {
    public let config: DatasetConfig
    public let registry: FeatureRegistry
    public let directory: String
    let sink: SplitSink
    var checker: LeakageChecker
    /// Per symbol, in the config's order.
    private var sources: [String: DatasetManifest.SymbolSource] = [:]
    private var eventsInRange: [String: Int] = [:]

    public init(config: DatasetConfig, registry: FeatureRegistry, directory: String) {
        self.config = config
        self.registry = registry
        self.directory = directory
        sink = SplitSink(config: config, registry: registry, directory: directory)
        checker = LeakageChecker(config: config)
    }

    /// Rows routed to a split so far.
    public var totalRows: Int { sink.totalRows }

    /// Adds one row (rows must come in the build's order: symbols as listed, then time).
    public func add(_ row: DatasetRow) throws {
        checker.checkRow(t: row.t, lastEventTs: row.lastEventTs, targetTimes: config.targets.horizons.map { row.t + $0 })
        try sink.add(row)
    }

    /// Adds what a replay (or one task of it) saw; `coverage` is the symbol's stored coverage.
    public func add(_ stats: DatasetPartStats, coverage: [ClosedRange<Nanos>]) throws {
        var source =
            sources[stats.symbol]
            ?? DatasetManifest.SymbolSource(
                symbol: stats.symbol, coverage: coverage, gaps: [], quietPeriods: [], eventsRead: 0, droppedAtEnd: 0, lastGrid: nil)
        source.eventsRead += stats.eventsRead
        source.gaps += stats.gaps.map { (start: $0[0], end: $0[1]) }
        source.quietPeriods += stats.quietPeriods.map { (start: $0[0], end: $0[1]) }
        source.droppedAtEnd += stats.droppedAtEnd
        if let grid = stats.lastGrid { source.lastGrid = max(source.lastGrid ?? grid, grid) }
        sources[stats.symbol] = source
        eventsInRange[stats.symbol, default: 0] += stats.eventsInRange
        if stats.last, eventsInRange[stats.symbol] == 0 {
            // Stored files overlapping the range may still hold no event inside it (an outage
            // within a file): the events decide, not the file bounds.
            let (start, end) = config.rowRange
            throw DatasetBuildError.noData(symbol: stats.symbol, requested: (start, end), available: coverage)
        }
    }

    /// Closes the split files, checks leakage and writes `manifest.json`.
    public func finish(datasetId: String, buildSeconds: Double, createdAt: Nanos) throws -> DatasetManifest {
        let files = try sink.finish()
        let leakage = checker.finish(sink: sink)
        if config.leakageCheck, !leakage.violations.isEmpty {
            for file in files.values { try? FileManager.default.removeItem(atPath: "\(directory)/\(file)") }
            throw DatasetBuildError.leakage(leakage.violations)
        }
        let manifest = try DatasetManifest.make(
            id: datasetId, config: config, registry: registry, sink: sink, files: files,
            sources: config.symbols.compactMap { sources[$0] }, leakage: leakage, buildSeconds: buildSeconds, createdAt: createdAt)
        try manifest.json.write(toFile: "\(directory)/manifest.json", atomically: true, encoding: .utf8)
        return manifest
    }

    /// Removes the split files written so far.
    public func abort() { sink.abort() }

    /// Merges the parts of `tasks` (in order) from `directory/parts` into the dataset, then
    /// removes the parts. `coverage` gives each symbol's stored coverage.
    public static func merge(
        tasks: [DatasetTask], config: DatasetConfig, registry: FeatureRegistry, directory: String,
        coverage: (String) throws -> [ClosedRange<Nanos>], datasetId: String, buildSeconds: Double, createdAt: Nanos,
        isCancelled: () -> Bool = { false }
    ) throws -> DatasetManifest {
        try DatasetBuilder.precheck(config, registry: registry)
        let assembler = DatasetAssembler(config: config, registry: registry, directory: directory)
        let manifest: DatasetManifest
        do {
            var coverages: [String: [ClosedRange<Nanos>]] = [:]
            for task in tasks.sorted(by: { $0.index < $1.index }) {
                if isCancelled() { throw DatasetBuildError.cancelled }
                let part = try DatasetTaskRunner.read(
                    path: DatasetPlan.partPath(directory: directory, index: task.index), config: config, registry: registry)
                for row in part.rows { try assembler.add(row) }
                var stats = part.stats
                stats.last = task.last
                if coverages[task.symbol] == nil { coverages[task.symbol] = try coverage(task.symbol) }
                try assembler.add(stats, coverage: coverages[task.symbol]!)
            }
            manifest = try assembler.finish(datasetId: datasetId, buildSeconds: buildSeconds, createdAt: createdAt)
        } catch {
            assembler.abort()
            throw error
        }
        try? FileManager.default.removeItem(atPath: "\(directory)/parts")
        return manifest
    }
}
