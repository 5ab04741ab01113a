import EngineHistory
public import FeatureEngine
import Foundation
public import MarketData
import Parquet
public import RawStore

/// Why a build could not run or finish.
public enum DatasetBuildError: Error, Sendable, CustomStringConvertible {
    case invalid(DatasetConfigError)
    /// No stored data in the requested range; `available` lists the periods that have some.
    case noData(symbol: String, requested: (Nanos, Nanos), available: [ClosedRange<Nanos>])
    case registryMismatch(requested: String, inForce: String)
    case cancelled
    case leakage([String])

    public var description: String {
        switch self {
        case .invalid(let error): return error.description
        case .noData(let symbol, let requested, let available):
            let periods =
                available.isEmpty
                ? "none"
                : available.map { "[\(Time.formatISO8601($0.lowerBound)), \(Time.formatISO8601($0.upperBound))]" }.joined(separator: ", ")
            return
                "no stored data for \(symbol) in [\(Time.formatISO8601(requested.0)), "
                + "\(Time.formatISO8601(requested.1))); periods with data: \(periods)"
        case .registryMismatch(let requested, let inForce): return "registry version \(requested) requested, \(inForce) is in force"
        case .cancelled: return "build cancelled"
        case .leakage(let problems): return "leakage check failed:\n" + problems.prefix(20).map { "  - \($0)" }.joined(separator: "\n")
        }
    }
}

/// Builds a training dataset from the raw store: the same engine and registry as the live
/// path replay each symbol's events; rows are sampled on the 1 s grid; targets read exactly
/// one later state, `mid(t + h)`; rows are split per features.md §5 and written as Parquet,
/// one file per split (per fold for walk-forward), with a `manifest.json`.
///
/// This is the single-process build: one replay per symbol, rows streamed straight into the
/// split files. ``DatasetPlan`` cuts the same build into independent tasks (symbol x time
/// chunk) whose parts ``DatasetAssembler`` merges into the same files.
public struct DatasetBuilder {
    public struct Progress: Sendable {
        public var fraction: Double
        public var rows: Int
        public var eventsRead: Int
    }

    public let config: DatasetConfig
    public let registry: FeatureRegistry
    public let store: RawStore
    public let outputDirectory: String
    public let datasetId: String
    /// The manifest's `created_at`: given by the caller, whose clock it is.
    public let createdAt: Nanos

    public init(
        config: DatasetConfig, registry: FeatureRegistry, store: RawStore, outputDirectory: String, datasetId: String,
        createdAt: Nanos
    ) {
        self.config = config
        self.registry = registry
        self.store = store
        self.outputDirectory = outputDirectory
        self.datasetId = datasetId
        self.createdAt = createdAt
    }

    /// Checks what must hold before any work: a valid configuration and the registry asked for.
    public static func precheck(_ config: DatasetConfig, registry: FeatureRegistry) throws(DatasetBuildError) {
        let problems = config.validationProblems()
        guard problems.isEmpty else { throw DatasetBuildError.invalid(DatasetConfigError(problems: problems)) }
        if let wanted = config.registryVersion, wanted != registry.version {
            throw DatasetBuildError.registryMismatch(requested: wanted, inForce: registry.version)
        }
    }

    /// Stored coverage of `symbol`, or `noData` when none of it overlaps the rows' range.
    public static func coverage(of symbol: String, config: DatasetConfig, store: RawStore) throws -> [ClosedRange<Nanos>] {
        let (start, end) = config.rowRange
        let coverage = try store.coverage(symbol: symbol)
        guard coverage.contains(where: { $0.upperBound >= start && $0.lowerBound < end }) else {
            throw DatasetBuildError.noData(symbol: symbol, requested: (start, end), available: coverage)
        }
        return coverage
    }

    /// Runs the build. `progress` is called every few hundred thousand events; `isCancelled`
    /// is polled as often.
    public func build(progress: (Progress) -> Void = { _ in }, isCancelled: () -> Bool = { false }) throws -> DatasetManifest {
        let started = ContinuousClock.now
        try Self.precheck(config, registry: registry)
        let (start, end) = config.rowRange
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        let assembler = DatasetAssembler(config: config, registry: registry, directory: outputDirectory)
        let producer = try DatasetRowProducer(config: config, registry: registry, store: store)
        var eventsRead = 0
        do {
            for (index, symbol) in config.symbols.enumerated() {
                let coverage = try Self.coverage(of: symbol, config: config, store: store)
                let task = DatasetTask(index: index, symbol: symbol, rowStart: start, rowEnd: end, first: true, last: true)
                let count = Double(config.symbols.count)
                let stats = try producer.run(
                    task,
                    progress: { fraction, events in
                        progress(
                            Progress(
                                fraction: (Double(index) + fraction) / count, rows: assembler.totalRows, eventsRead: eventsRead + events))
                    }, isCancelled: isCancelled, emit: { try assembler.add($0) })
                eventsRead += stats.eventsRead
                try assembler.add(stats, coverage: coverage)
            }
        } catch {
            assembler.abort()
            throw error
        }
        let manifest = try assembler.finish(
            datasetId: datasetId, buildSeconds: Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000, createdAt: createdAt)
        progress(Progress(fraction: 1, rows: manifest.document.rows, eventsRead: eventsRead))
        return manifest
    }
}

/// One row of a dataset before it is routed to its splits: features at t, targets, and the
/// newest event the features saw.
public struct DatasetRow: Sendable, Equatable {
    public var symbol: String
    public var t: Nanos
    public var features: [Double?]
    /// One per (horizon, type), horizons outer; nil at the places of `direction` targets.
    public var targets: [Double?]
    /// One per horizon when `direction` is built.
    public var directions: [String?]
    public var lastEventTs: Nanos

    /// Bit for bit: Float64 values compare by their bits (a NaN equals itself), nulls by place.
    public static func == (a: DatasetRow, b: DatasetRow) -> Bool {
        func bits(_ values: [Double?]) -> [UInt64?] { values.map { $0?.bitPattern } }
        return a.symbol == b.symbol && a.t == b.t && bits(a.features) == bits(b.features) && bits(a.targets) == bits(b.targets)
            && a.directions == b.directions && a.lastEventTs == b.lastEventTs
    }
}

/// What one task (or one symbol's whole replay) saw besides its rows: what the manifest's
/// `source` section and counts are summed from. Events, gaps and quiet periods are counted by
/// the task whose range holds the event that reveals them, so the tasks of a symbol add up to
/// exactly what one replay of the symbol counts.
public struct DatasetPartStats: Codable, Sendable, Equatable {
    public var symbol: String
    public var eventsRead = 0
    public var eventsInRange = 0
    /// Missing periods `[start, end)` inside the whole build's row range.
    public var gaps: [[Nanos]] = []
    public var quietPeriods: [[Nanos]] = []
    /// Rows whose `t + h_max` lies past the last stored event.
    public var droppedAtEnd = 0
    /// The last grid point a vector was computed for (nil: none).
    public var lastGrid: Nanos?
    public var rows = 0
    /// Every event the replay read, warm-up from the checkpoint included (the task's cost).
    public var replayed = 0
    /// Written by the symbol's last task (the one that sums up the end of the replay).
    public var last = false

    public init(symbol: String) { self.symbol = symbol }
}

/// Computes the rows of one ``DatasetTask``: replays the symbol from the latest checkpoint at
/// or before `rowStart - W` (features.md §6), so a chunk costs its own period plus at most one
/// lookback and checkpoint interval, and reads events up to `rowEnd + h_max` for the targets.
public struct DatasetRowProducer: Sendable {
    public let config: DatasetConfig
    public let registry: FeatureRegistry
    public let store: RawStore
    /// The registry plus two hidden entries the targets need.
    let augmented: FeatureRegistry

    static let midName = "zz_dataset_mid"
    static let sigmaName = "zz_dataset_sigma"

    public init(config: DatasetConfig, registry: FeatureRegistry, store: RawStore) throws {
        self.config = config
        self.registry = registry
        self.store = store
        var definitions = registry.features
        definitions.append(FeatureDefinition(name: Self.midName, kind: .midPrice))
        definitions.append(
            FeatureDefinition(
                name: Self.sigmaName, kind: .volatility, window: config.targets.volWindow,
                maxLookbackDays: max(1, Double(config.targets.volWindow) / Double(Time.nanosPerDay))))
        augmented = try FeatureRegistry(version: registry.version, features: definitions, quietLimit: registry.quietLimit)
    }

    /// One sampled row before its targets are known.
    struct PendingRow {
        var t: Nanos
        var features: [Double?]
        var sigma: Double?
        var lastEventTs: Nanos
    }

    /// Replays the task's symbol and hands each finished row to `emit`, in time order.
    /// `progress` receives the fraction of the replay done and the events read so far.
    public func run(
        _ task: DatasetTask, progress: (Double, Int) -> Void = { _, _ in }, isCancelled: () -> Bool = { false },
        emit: (DatasetRow) throws -> Void
    ) throws -> DatasetPartStats {
        let (start, end) = config.rowRange
        let (rowStart, rowEnd) = (task.rowStart, task.rowEnd)
        // Events revealing counts, gaps and quiet periods belong to the task whose range holds them.
        let owned = (task.first ? Nanos.min : rowStart)..<(task.last ? Nanos.max : rowEnd)
        let hMax = config.maxHorizon
        let featureCount = registry.features.count
        var engine = FeatureEngine(registry: augmented)
        var stats = DatasetPartStats(symbol: task.symbol)
        stats.last = task.last
        var mids: [Int64: Double] = [:]  // grid second -> mid (absent: null)
        // Quiet periods (features.md §1): grid points without vectors, and the mid the state had
        // through them (no event, no change), which targets reaching into them read.
        var quiet: [(first: Nanos, last: Nanos, mid: Double?)] = []
        var lastEmitted: Nanos = .min
        func mid(at g: Nanos) -> Double? {
            if let mid = mids[g / Time.nanosPerSecond] { return mid }
            return quiet.last(where: { $0.first <= g && g <= $0.last })?.mid
        }
        var pending: [PendingRow] = []
        pending.reserveCapacity(Int(hMax / config.sampleEvery) + 2)
        var lastApplied: Nanos = .min
        var eventsRead = 0

        func flush(through grid: Nanos) throws {
            var consumed = 0
            for row in pending {
                guard row.t + hMax <= grid else { break }
                consumed += 1
                let mid0 = mid(at: row.t)
                var targets: [Double?] = []
                var directions: [String?] = []
                for h in config.targets.horizons {
                    let midH = mid(at: row.t + h)
                    var ret: Double?
                    if let mid0, let midH { ret = midH / mid0 - 1 }
                    for type in config.targets.types {
                        switch type {
                        case .return: targets.append(ret)
                        case .logReturn: targets.append(mid0.flatMap { m0 in midH.map { log($0 / m0) } })
                        case .sharpe:
                            if let ret, let sigma = row.sigma, sigma != 0 {
                                targets.append(ret / (sigma * (Double(h) / Double(Time.nanosPerSecond)).squareRoot()))
                            } else {
                                targets.append(nil)
                            }
                        case .direction:
                            targets.append(nil)  // placeholder: strings go to their own column
                            directions.append(
                                ret.map { $0 > config.targets.threshold ? "up" : $0 < -config.targets.threshold ? "down" : "flat" })
                        }
                    }
                }
                stats.rows += 1
                try emit(
                    DatasetRow(
                        symbol: task.symbol, t: row.t, features: row.features, targets: targets, directions: directions,
                        lastEventTs: row.lastEventTs))
            }
            pending.removeFirst(consumed)
            // Mids older than every pending row's t are no longer needed.
            if let oldest = pending.first?.t ?? (consumed > 0 ? grid : nil) {
                let cutoff = oldest / Time.nanosPerSecond
                if mids.count > 4 * Int(hMax / Time.nanosPerSecond) + 16 { mids = mids.filter { $0.key >= cutoff } }
                quiet.removeAll { $0.last < oldest }
            }
        }

        // The one replay: from the latest checkpoint at or before rowStart - W, so that a task
        // costs its own period, not the whole stored history (features.md §6).
        let horizonEnd = rowEnd + hMax
        // Bounded at rowEnd + h_max: the store decodes the row groups a replay's range overlaps,
        // so an open end would decode the rest of each file for every chunk.
        var opened = try EngineReplay.open(
            store: store, checkpoints: CheckpointStore(root: store.layout.root), symbol: task.symbol,
            firstNeeded: rowStart, lookback: augmented.lookback, to: horizonEnd + 1, fields: .engineInputs)
        if let checkpoint = opened.checkpoint {
            engine.restore(checkpoint)
            lastApplied = checkpoint.lastEventRecvTs
        }
        var replayStart = rowStart
        if let at = opened.checkpoint?.at {
            replayStart = at
        } else if let first = try store.coverage(symbol: task.symbol).first?.lowerBound {
            replayStart = first
        }
        let span = Double(max(1, horizonEnd - replayStart))
        var failure: (any Error)?
        // Missing periods inside the build's row range, from the events themselves (the data-quality
        // report's definition: runs of at least 5 whole seconds without any event of the symbol).
        var missing = MissingPeriods(range: start..<end)
        /// Applies one event; false once it is past rowEnd + h_max (every row's targets are then known).
        func process(_ event: MarketEvent) throws -> Bool {
            eventsRead += 1
            let isOwned = owned.contains(event.recvTs)
            if isOwned { stats.eventsRead += 1 }
            if event.recvTs >= rowStart && event.recvTs < rowEnd { stats.eventsInRange += 1 }
            if isOwned { missing.observe(event.recvTs, after: lastApplied) }
            if lastApplied != .min, event.recvTs - lastApplied > registry.quietLimit {
                // Grid points G with G - last event > quiet_limit and G < this event have no vector.
                let second = Time.nanosPerSecond
                let firstQuiet = Time.floorDiv(lastApplied + registry.quietLimit, second) * second + second
                let lastQuiet = Time.floorDiv(event.recvTs - 1, second) * second
                if firstQuiet <= lastQuiet {
                    quiet.append((firstQuiet, lastQuiet, lastEmitted == .min ? nil : mids[lastEmitted / second]))
                    if isOwned && firstQuiet < end && lastQuiet >= start { stats.quietPeriods.append([firstQuiet, lastQuiet + second]) }
                }
            }
            engine.apply(event) { vector in
                guard failure == nil else { return }
                let g = vector.ts
                stats.lastGrid = g
                lastEmitted = g
                if let mid = vector.values[featureCount] { mids[g / Time.nanosPerSecond] = mid }
                if g >= rowStart && g < rowEnd && (g - start) % config.sampleEvery == 0 {
                    pending.append(
                        PendingRow(
                            t: g, features: Array(vector.values[0..<featureCount]), sigma: vector.values[featureCount + 1],
                            lastEventTs: lastApplied))
                }
                do { try flush(through: g) } catch { failure = error }
            }
            if let failure { throw failure }
            lastApplied = event.recvTs
            if eventsRead % 262_144 == 0 {
                if isCancelled() { throw DatasetBuildError.cancelled }
                progress(min(1, Double(event.recvTs - replayStart) / span), stats.eventsRead)
            }
            // Every grid point up to rowEnd - 1 s + h_max is closed once an event after it is read.
            return event.recvTs <= horizonEnd
        }
        var open = true
        // Parquet decoding on a second core, ahead of the engine; one event's storage reused.
        opened.events.readAhead()
        var event = StoreReplay.emptyEvent(symbol: task.symbol)
        while open, try opened.events.next(into: &event) { open = try process(event) }
        if open {
            // The first event after rowEnd + h_max closes the last grid points: found in widening
            // windows, so that a quiet stretch after the range costs a few lookups, not a decode of
            // everything stored after it.
            var (from, window) = (horizonEnd + 1, 60 * Time.nanosPerSecond)
            while true {
                let to = window >= Nanos.max / 64 || from > Nanos.max - window ? Nanos.max : from + window
                var tail = try store.replay(symbol: task.symbol, from: from, to: to, fields: .engineInputs)
                if let event = try tail.next() {
                    _ = try process(event)
                    break
                }
                if to == .max { break }
                (from, window) = (to, window * 16)
            }
        }
        if isCancelled() { throw DatasetBuildError.cancelled }
        stats.replayed = eventsRead
        if task.last { missing.finish(after: lastApplied) }
        stats.gaps = missing.periods.map { [$0.start, $0.end] }
        // Rows whose t + h lies past the last stored event are dropped (features.md §4).
        stats.droppedAtEnd = pending.count
        return stats
    }
}

/// Runs of at least `minimum` whole seconds without any event, within a range: what the
/// data-quality report calls missing periods, found from the event times as they are read.
struct MissingPeriods {
    let range: Range<Nanos>
    let minimum: Int64 = 5
    private(set) var periods: [(start: Nanos, end: Nanos)] = []

    init(range: Range<Nanos>) { self.range = range }

    /// The seconds strictly between the previous event's second and this one's held nothing.
    mutating func observe(_ time: Nanos, after previous: Nanos) {
        let second = Time.nanosPerSecond
        let from = previous == .min ? Time.floorDiv(range.lowerBound + second - 1, second) : Time.floorDiv(previous, second) + 1
        add(from: from, to: Time.floorDiv(time, second))
    }

    /// After the last event: the rest of the range held nothing.
    mutating func finish(after last: Nanos) {
        let second = Time.nanosPerSecond
        let from = last == .min ? Time.floorDiv(range.lowerBound + second - 1, second) : Time.floorDiv(last, second) + 1
        add(from: from, to: Time.floorDiv(range.upperBound + second - 1, second))
    }

    private mutating func add(from: Int64, to: Int64) {
        guard to - from >= minimum else { return }
        let second = Time.nanosPerSecond
        let start = max(from * second, range.lowerBound), end = min(to * second, range.upperBound)
        if start < end { periods.append((start, end)) }
    }
}
