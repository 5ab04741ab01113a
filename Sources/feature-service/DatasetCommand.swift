import ArgumentParser
import Datasets
import FeatureEngine
import Foundation
import RawStore
import ServiceRuntime

struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Training datasets from the raw store.",
        subcommands: [Build.self])

    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build a dataset offline, with a progress bar.",
            discussion: """
                The config is the JSON body of POST /dataset/build: symbol (or symbols: [...], rows \\
                by symbol as listed, then time), targets (types \\
                return/log_return/direction/sharpe, horizons, threshold, vol_window), splits \\
                (explicit periods with embargo, walk_forward, or random with allow_random_split), \\
                sample_every, leakage_check. Writes one Parquet file per split (per fold for \\
                walk-forward) and manifest.json into --output.
                """)

        @Option(name: .long, help: "Dataset config (JSON).")
        var config: String

        @Option(name: .long, help: "Data directory (env FEATURE_SERVICE_DATA_DIR, default ./data).")
        var dataDir: String = ProcessInfo.processInfo.environment["FEATURE_SERVICE_DATA_DIR"] ?? "./data"

        @Option(name: .long, help: "Output directory (default: <data-dir>/datasets/<id>).")
        var output: String?

        @Option(name: .long, help: "Feature registry file (default: the bundled registry).")
        var registry: String?

        func run() throws {
            guard let data = FileManager.default.contents(atPath: config) else { throw ValidationError("cannot read '\(config)'") }
            let parsed: DatasetConfig
            do { parsed = try DatasetConfig.parse(json: String(decoding: data, as: UTF8.self)) } catch {
                throw ValidationError(error.description)
            }
            let registry = try loadRegistry(self.registry)
            let store = try RawStore(root: dataDir, format: ParquetFormat())
            let id = "ds-" + UUID().uuidString.lowercased().prefix(8)
            let directory = output ?? "\(dataDir)/datasets/\(id)"
            // Durations for the progress bar: a monotonic clock (the wall clock may step).
            let started = ContinuousClock.now
            var lastDraw = started - .seconds(1)
            let builder = DatasetBuilder(
                config: parsed, registry: registry, store: store, outputDirectory: directory,
                datasetId: String(id), createdAt: SystemClock().now())
            do {
                let manifest = try builder.build(progress: { progress in
                    guard ContinuousClock.now - lastDraw > .milliseconds(200) || progress.fraction >= 1 else { return }
                    lastDraw = ContinuousClock.now
                    let width = 30
                    let filled = Int(progress.fraction * Double(width))
                    let elapsed = (ContinuousClock.now - started) / .seconds(1)
                    let eta = progress.fraction > 0.01 ? elapsed / progress.fraction - elapsed : 0
                    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                    FileHandle.standardError.write(
                        Data(
                            String(
                                format: "\r[%@] %3.0f%%  %d rows  %d events  ETA %.0fs ",
                                bar, progress.fraction * 100, progress.rows, progress.eventsRead, eta
                            ).utf8))
                })
                FileHandle.standardError.write(Data("\n".utf8))
                print("dataset \(manifest.id) ready in \(directory)")
                for split in manifest.splits { print("  \(split.name): \(split.rows) rows -> \(split.file)") }
            } catch let error as DatasetBuildError {
                FileHandle.standardError.write(Data("\n".utf8))
                throw ValidationError(error.description)
            }
        }
    }
}
