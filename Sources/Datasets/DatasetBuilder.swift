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
/// path replay the symbol's events; rows are sampled on the 1 s grid; targets read exactly
/// one later state, `mid(t + h)`; rows are split per features.md §5 and written as Parquet,
/// one file per split (per fold for walk-forward), with a `manifest.json`.
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

    static let midName = "zz_dataset_mid"
    static let sigmaName = "zz_dataset_sigma"

    /// One sampled row before its targets are known.
    struct PendingRow {
        var t: Nanos
        var features: [Double?]
        var sigma: Double?
        var lastEventTs: Nanos
    }

    /// Runs the build. `progress` is called every few hundred thousand events; `isCancelled`
    /// is polled as often.
    public func build(progress: (Progress) -> Void = { _ in }, isCancelled: () -> Bool = { false }) throws -> DatasetManifest {
        let started = ContinuousClock.now
        let problems = config.validationProblems()
        guard problems.isEmpty else { throw DatasetBuildError.invalid(DatasetConfigError(problems: problems)) }
        if let wanted = config.registryVersion, wanted != registry.version {
            throw DatasetBuildError.registryMismatch(requested: wanted, inForce: registry.version)
        }
        let (start, end) = config.rowRange
        let hMax = config.maxHorizon
        let coverage = try store.coverage(symbol: config.symbol)
        guard let first = coverage.first?.lowerBound, coverage.contains(where: { $0.upperBound >= start && $0.lowerBound < end }) else {
            throw DatasetBuildError.noData(symbol: config.symbol, requested: (start, end), available: coverage)
        }
        // The registry in force plus two hidden entries the targets need.
        var definitions = registry.features
        definitions.append(FeatureDefinition(name: Self.midName, kind: .midPrice))
        definitions.append(
            FeatureDefinition(
                name: Self.sigmaName, kind: .volatility, window: config.targets.volWindow,
                maxLookbackDays: max(1, Double(config.targets.volWindow) / Double(Time.nanosPerDay))))
        let augmented = try FeatureRegistry(version: registry.version, features: definitions, quietLimit: registry.quietLimit)
        let featureCount = registry.features.count
        var engine = FeatureEngine(registry: augmented)

        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        let sink = SplitSink(config: config, registry: registry, directory: outputDirectory)
        var checker = LeakageChecker(config: config)
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
        var lastGrid: Nanos = .min
        var eventsRead = 0
        var rowsDroppedAtEnd = 0

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
                checker.checkRow(t: row.t, lastEventTs: row.lastEventTs, targetTimes: config.targets.horizons.map { row.t + $0 })
                try sink.add(t: row.t, features: row.features, targets: targets, directions: directions, lastEventTs: row.lastEventTs)
            }
            pending.removeFirst(consumed)
            // Mids older than every pending row's t are no longer needed.
            if let oldest = pending.first?.t ?? (consumed > 0 ? grid : nil) {
                let cutoff = oldest / Time.nanosPerSecond
                if mids.count > 4 * Int(hMax / Time.nanosPerSecond) + 16 { mids = mids.filter { $0.key >= cutoff } }
                quiet.removeAll { $0.last < oldest }
            }
        }

        // The one replay: from the latest checkpoint at or before start - W, so that a build
        // costs its own period, not the whole stored history (features.md §6).
        var opened = try EngineReplay.open(
            store: store, checkpoints: CheckpointStore(root: store.layout.root), symbol: config.symbol,
            firstNeeded: start, lookback: augmented.lookback)
        if let checkpoint = opened.checkpoint {
            engine.restore(checkpoint)
            lastApplied = checkpoint.lastEventRecvTs
        }
        let replayStart = opened.checkpoint?.at ?? first
        let horizonEnd = end + hMax
        let span = Double(max(1, horizonEnd - replayStart))
        var failure: (any Error)?
        var quietPeriods: [(start: Nanos, end: Nanos)] = []
        // Missing periods inside the rows' range, from the events themselves (the data-quality
        // report's definition: runs of at least 5 whole seconds without any event of the symbol).
        var missing = MissingPeriods(range: start..<end)
        var eventsInRange = 0
        while let event = try opened.events.next() {
            eventsRead += 1
            if event.recvTs >= start && event.recvTs < end { eventsInRange += 1 }
            missing.observe(event.recvTs, after: lastApplied)
            if lastApplied != .min, event.recvTs - lastApplied > registry.quietLimit {
                // Grid points G with G - last event > quiet_limit and G < this event have no vector.
                let second = Time.nanosPerSecond
                let firstQuiet = Time.floorDiv(lastApplied + registry.quietLimit, second) * second + second
                let lastQuiet = Time.floorDiv(event.recvTs - 1, second) * second
                if firstQuiet <= lastQuiet {
                    quiet.append((firstQuiet, lastQuiet, lastEmitted == .min ? nil : mids[lastEmitted / second]))
                    if firstQuiet < end && lastQuiet >= start { quietPeriods.append((firstQuiet, lastQuiet + second)) }
                }
            }
            engine.apply(event) { vector in
                guard failure == nil else { return }
                let g = vector.ts
                lastGrid = g
                lastEmitted = g
                if let mid = vector.values[featureCount] { mids[g / Time.nanosPerSecond] = mid }
                if g >= start && g < end && (g - start) % config.sampleEvery == 0 {
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
                if isCancelled() { sink.abort(); throw DatasetBuildError.cancelled }
                progress(
                    Progress(fraction: min(1, Double(event.recvTs - replayStart) / span), rows: sink.totalRows, eventsRead: eventsRead))
            }
            // Every grid point up to end - 1 s + h_max is closed once an event after it is read.
            if event.recvTs > horizonEnd { break }
        }
        if isCancelled() { sink.abort(); throw DatasetBuildError.cancelled }
        // Stored files overlapping the range may still hold no event inside it (an outage within
        // a file): the events decide, not the file bounds.
        guard eventsInRange > 0 else {
            sink.abort()
            throw DatasetBuildError.noData(symbol: config.symbol, requested: (start, end), available: coverage)
        }
        missing.finish(after: lastApplied)
        // Rows whose t + h lies past the last stored event are dropped (features.md §4).
        rowsDroppedAtEnd = pending.count
        let files = try sink.finish()
        let leakage = checker.finish(sink: sink)
        if config.leakageCheck, !leakage.violations.isEmpty {
            for file in files.values { try? FileManager.default.removeItem(atPath: "\(outputDirectory)/\(file)") }
            throw DatasetBuildError.leakage(leakage.violations)
        }
        progress(Progress(fraction: 1, rows: sink.totalRows, eventsRead: eventsRead))
        let manifest = try DatasetManifest.make(
            id: datasetId, config: config, registry: registry, sink: sink, files: files,
            coverage: coverage, missingPeriods: missing.periods, quietPeriods: quietPeriods,
            leakage: leakage, eventsRead: eventsRead, droppedAtEnd: rowsDroppedAtEnd,
            lastGrid: lastGrid, buildSeconds: Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000, createdAt: createdAt)
        try manifest.json.write(toFile: "\(outputDirectory)/manifest.json", atomically: true, encoding: .utf8)
        return manifest
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
