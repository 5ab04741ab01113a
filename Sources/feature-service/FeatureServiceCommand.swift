import ArgumentParser
import EngineHistory
import FeatureEngine
import FeatureServer
import Foundation
import MarketData
import Offline
import RawStore
import ServiceRuntime

@main
struct FeatureServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feature-service",
        abstract: "Market data in, feature vectors and training datasets out.",
        discussion: """
            Computes the features of the Feature Registry (YAML) from Bybit v5 market data \
            republished by the gateway. See README.md for the full picture.
            """,
        subcommands: [
            Serve.self, Replay.self, ImportCommand.self, DatasetCommand.self, RetentionCommand.self, Registry.self,
            CheckpointsCommand.self, QualityCommand.self, Route.self, WorkerCommand.self,
        ])
}

/// Reads a registry file, or the bundled default.
func loadRegistry(_ path: String?) throws -> FeatureRegistry {
    guard let path else { return FeatureRegistry.bundledDefault }
    guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read registry file '\(path)'") }
    do {
        return try FeatureRegistry.parse(String(decoding: data, as: UTF8.self))
    } catch {
        throw ValidationError("registry '\(path)' rejected:\n\(error.description)")
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn a recording into feature vectors (no storage).",
        discussion: """
            A recording is JSON Lines, one gateway envelope per line, with an optional top-level \
            integer recv_ts (ns). Without it the event's time is its received_at, made \
            non-decreasing. Vectors are written at every grid point (multiples of --every \
            seconds) from each symbol's first event to its last, one row per symbol and grid \
            point: columns ts_ns, symbol, then every registry feature in registry order. \
            Malformed lines are reported with their line numbers and skipped; a summary is \
            printed to standard error at the end.
            """)

    @Option(name: .long, help: "Recording to read (JSON Lines; '-' for standard input).")
    var input: String

    @Option(name: .long, help: "File to write ('-' for standard output).")
    var output: String

    @Option(name: .long, help: "Output format: csv or jsonl.")
    var format: String = "csv"

    @Option(name: .long, help: "Feature registry file (YAML or JSON). Default: the bundled registry.")
    var registry: String?

    @Option(name: .long, help: "Emit a vector every N seconds (grid points that are multiples of N s).")
    var every: Int = 1

    @Option(name: .long, help: "Only this symbol (repeat for several). Default: all symbols.")
    var symbol: [String] = []

    func run() throws {
        guard let format = VectorFormat(rawValue: format) else { throw ValidationError("--format must be csv or jsonl") }
        guard every > 0 else { throw ValidationError("--every must be a positive number of seconds") }
        let registry = try loadRegistry(self.registry)
        let runner = ReplayRunner(
            options: .init(
                input: input, output: output, format: format, registry: registry,
                everySeconds: every, symbols: symbol.isEmpty ? nil : Set(symbol)))
        do {
            let summary = try runner.run(report: printError)
            printError(summary.description)
        } catch let error as CLIError {
            throw ValidationError(error.description)
        }
    }
}

struct Registry: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Feature registry tools.",
        subcommands: [Validate.self, Show.self])

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a registry file and list every problem.",
            discussion: "Exits 0 and prints the version and content hash when valid; exits 1 listing every problem otherwise.")

        @Argument(help: "Registry file (YAML or JSON).")
        var file: String

        func run() throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read '\(file)'") }
            do {
                let registry = try FeatureRegistry.parse(String(decoding: data, as: UTF8.self))
                print("valid: version \(registry.version), \(registry.features.count) features, sha256 \(registry.contentHash)")
            } catch {
                printError(error.description)
                throw ExitCode(1)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the bundled default registry's features.")
        func run() throws {
            let registry = FeatureRegistry.bundledDefault
            print("version \(registry.version), sha256 \(registry.contentHash)")
            for feature in registry.features {
                var parts = [feature.kind.rawValue]
                if let window = feature.window { parts.append("window \(Time.formatDuration(window))") }
                if let levels = feature.levels { parts.append("levels \(levels)") }
                print("  \(feature.name): \(parts.joined(separator: ", "))")
            }
        }
    }
}

struct RetentionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Apply the raw-data retention policy.",
        discussion: """
            Archives (moves under --archive DIR, same layout) or deletes (--delete) the raw \
            partitions whose date is more than --days days before today (UTC). Today's \
            partitions are never touched. --dry-run lists what would be done. A summary (partitions, \
            days, events, table rows) goes to standard error.
            """)

    @Option(name: .long, help: "Data directory (env FEATURE_SERVICE_DATA_DIR, default ./data).")
    var dataDir: String = ProcessInfo.processInfo.environment["FEATURE_SERVICE_DATA_DIR"] ?? "./data"

    @Option(name: .long, help: "Retention period in days (env FEATURE_SERVICE_RETENTION_DAYS, default 90).")
    var days: Int = Int(ProcessInfo.processInfo.environment["FEATURE_SERVICE_RETENTION_DAYS"] ?? "") ?? 90

    @Option(name: .long, help: "Move expired partitions under this directory.")
    var archive: String?

    @Flag(name: .long, help: "Delete expired partitions.")
    var delete = false

    @Flag(name: .long, help: "Only list what would be archived or deleted.")
    var dryRun = false

    func validate() throws {
        if (archive == nil) == !delete { throw ValidationError("choose exactly one of --archive DIR or --delete") }
        if days < 1 { throw ValidationError("--days must be at least 1") }
    }

    func run() throws {
        let retention = try Retention(layout: PartitionLayout(root: dataDir), days: days)
        let now = SystemClock().now()
        let expired = try retention.expired(now: now)
        let verb = delete ? "delete" : "archive"
        for partition in expired { print("\(dryRun ? "would \(verb)" : verb): \(partition.path)") }
        // Counted before acting: afterwards the partitions are gone (or elsewhere).
        let summary = retention.summary(of: expired, format: ParquetFormat())
        if !dryRun { try retention.apply(delete ? .delete : .archive(root: archive!), to: expired) }
        printError("older than \(days) days: \(summary)\(dryRun ? " (dry run, nothing changed)" : "")")
        // Engine checkpoints of those days go too (they would start replays whose events are gone).
        if !dryRun {
            let firstKept = Time.formatDate(Retention.firstKeptDay(now: now, days: days) * Time.nanosPerDay)
            let removed = try CheckpointStore(root: dataDir).removeDays(before: firstKept)
            if removed > 0 { printError("engine checkpoints removed: \(removed) (days before \(firstKept))") }
        }
    }
}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Store a recording in the raw store, as if it had arrived live.",
        discussion: """
            Duplicates (same symbol, type and exchange ids) are dropped, events are stamped \
            after what the store already holds, made durable in batches through the \
            write-ahead log, then converted to Parquet partitions. Malformed lines are kept in \
            a dead-letter file under the data directory. Events older than the retention period \
            (FEATURE_SERVICE_RETENTION_DAYS, default 90) are stored too, with a warning: serve \
            deletes them when it starts unless FEATURE_SERVICE_RETENTION_DAYS is raised (the \
            warning names the value needed).
            """)

    @Option(name: .long, help: "Recording to import (JSON Lines of gateway envelopes).")
    var input: String

    @Option(name: .long, help: "Data directory (env FEATURE_SERVICE_DATA_DIR, default ./data).")
    var dataDir: String = ProcessInfo.processInfo.environment["FEATURE_SERVICE_DATA_DIR"] ?? "./data"

    @Option(name: .long, help: "Events per durability batch (one fsync each).")
    var batch: Int = 10_000

    @Flag(name: .long, help: "Print 'durable N' on standard output after each batch is on disk.")
    var reportDurable = false

    func run() throws {
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        // Read first: a bad value is reported before anything is stored, as serve would refuse it.
        let retentionDays: Int
        do { retentionDays = try ServiceConfiguration.retentionDays() } catch { throw ValidationError("\(error)") }
        let store = try RawStore(root: dataDir, format: ParquetFormat())
        let report = reportDurable
        let summary = try Importer.run(input: input, store: store, batch: batch) { durable in
            if report {
                FileHandle.standardOutput.write(Data("durable \(durable)\n".utf8))
            }
        }
        printError(summary.description)
        let now = SystemClock().now()
        if let warning = summary.retentionWarning(retentionDays: retentionDays, now: now) { printError(warning) }
    }
}
