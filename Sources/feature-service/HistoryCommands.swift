import ArgumentParser
import EngineHistory
import FeatureServer
import Foundation
import Logging
import MarketData
import Metadata
import Offline
import RawStore
import ServiceRuntime

/// `--from` / `--to`: ISO 8601 or ns since the epoch, within 2000–2100.
func parseInstant(_ text: String?, name: String) throws -> Nanos? {
    guard let text else { return nil }
    guard let value = Time.parseInstant(text) else {
        throw ValidationError(
            "--\(name) must be ISO 8601 (2026-11-25T00:00:00Z) or ns since the epoch, \(Time.acceptedRangeText); "
                + "got '\(text.prefix(40))'")
    }
    return value
}

/// The symbols to work on: the one asked for, or every stored one.
func storedSymbols(_ store: RawStore, only symbol: String?) throws -> [String] {
    let all = try store.layout.symbols()
    guard let symbol else { return all }
    guard all.contains(symbol) else {
        throw ValidationError("no stored data for symbol '\(symbol.prefix(40))'; stored: \(all.joined(separator: ", "))")
    }
    return [symbol]
}

/// The options both history commands take: where the store is, which symbol, which period.
struct HistoryScope: ParsableArguments {
    @Option(name: .long, help: "Data directory (env FEATURE_SERVICE_DATA_DIR, default ./data).")
    var dataDir: String = ProcessInfo.processInfo.environment["FEATURE_SERVICE_DATA_DIR"] ?? "./data"
    @Option(name: .long, help: "Only this symbol (default: every stored symbol).")
    var symbol: String?
    @Option(name: .long, help: "From (ISO 8601 or ns since the epoch; default: the beginning).")
    var from: String?
    @Option(name: .long, help: "To, exclusive (ISO 8601 or ns since the epoch; default: the end).")
    var to: String?
}

struct CheckpointsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoints",
        abstract: "Engine checkpoints (the registry-independent state replays start from).",
        subcommands: [Rebuild.self])

    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write engine checkpoints for stored data that has none.",
            discussion: """
                Replays each symbol's stored events from its latest checkpoint at or before --from (or from its first event) \
                and writes a checkpoint every --every (default 10m) of recv_ts in [--from, --to), under \
                <data-dir>/checkpoints/symbol=<S>/date=<day>/. The live path and import write them as they go; this is for \
                stores written before checkpoints existed, or after checkpoints were removed.
                """)

        @OptionGroup var scope: HistoryScope
        @Option(name: .long, help: "Cadence: 1m, 10m, 1h, ... (default 10m).")
        var every: String = "10m"

        func run() throws {
            guard let cadence = Time.parseDuration(every), cadence >= Time.nanosPerSecond else {
                throw ValidationError("--every must be a duration of at least 1s (forms: 30s, 10m, 1h)")
            }
            let (start, end) = (try parseInstant(scope.from, name: "from") ?? .min, try parseInstant(scope.to, name: "to") ?? .max)
            let store = try RawStore(root: scope.dataDir, format: ParquetFormat())
            let checkpoints = CheckpointStore(root: scope.dataDir)
            for symbol in try storedSymbols(store, only: scope.symbol) {
                let summary = try CheckpointRebuild.run(
                    store: store, checkpoints: checkpoints, symbol: symbol, from: start, to: end, every: cadence)
                let origin = summary.startedFrom.map { "from the checkpoint at \(Time.formatISO8601($0))" } ?? "from the first stored event"
                print("\(symbol): \(summary.written) checkpoints written, \(summary.events) events replayed \(origin)")
            }
        }
    }
}

struct QualityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quality",
        abstract: "Data-quality counters.",
        subcommands: [Rebuild.self])

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute data-quality counters from the raw store.",
            discussion: """
                Recounts every stored event of each symbol in [--from, --to) (widened to whole hours) through the same book and \
                counters as the live path and replaces those hours in the metadata store (DATABASE_URL, default SQLite in \
                the data directory), so that data brought in with `import` has a quality history.
                """)

        @OptionGroup var scope: HistoryScope
        @Option(name: .long, help: "Metadata database (env DATABASE_URL, default: SQLite in the data directory).")
        var databaseURL: String?

        func run() async throws {
            let hour = 3_600 * Time.nanosPerSecond
            let start = try parseInstant(scope.from, name: "from").map { Time.floorDiv($0, hour) * hour } ?? .min
            let end = try parseInstant(scope.to, name: "to").map { Time.floorDiv($0 + hour - 1, hour) * hour } ?? .max
            guard start < end else { throw ValidationError("--from must be before --to") }
            let store = try RawStore(root: scope.dataDir, format: ParquetFormat())
            let now = SystemClock().now()
            let url = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"]
            let metadata = try await MetadataStore.open(url: url, dataDirectory: scope.dataDir, logger: Logger(label: "quality"), now: now)
            let history = QualityHistory(metadata: metadata)
            do {
                for symbol in try storedSymbols(store, only: scope.symbol) {
                    let buckets = try QualityRebuild.buckets(store: store, symbol: symbol, from: start, to: end)
                    try await history.replace(symbol: symbol, buckets: buckets, computedAt: now)
                    let events = buckets.reduce(0) { $0 + $1.totalEvents }
                    print("\(symbol): \(buckets.count) minutes, \(events) events recounted")
                }
            } catch {
                await metadata.close()
                throw error
            }
            await metadata.close()
        }
    }
}
