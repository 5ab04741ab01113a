import API
import Datasets
import FeatureEngine
import FeatureServer
import Foundation
import Live
import MarketData
import Offline
import Parquet
import RawStore
import ServiceRuntime
import ServiceTestSupport
import TestSupport
import Testing

@Suite struct DatasetIdentityTests {
    /// The feature columns of a dataset equal the vectors the live path published for the
    /// same grid points, bit for bit; pyarrow reads every split and the manifest's counts match.
    @Test func datasetFeaturesEqualLiveVectors() async throws {
        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat())
        let registry = FeatureRegistry.bundledDefault
        let pipeline = try LivePipeline(configuration: .init(registry: registry), store: store)
        let envelopes = simulatedEnvelopes(count: 15_000, seed: 9)
        var clock = envelopes[0].0
        for (time, body) in envelopes {
            while clock + 100_000_000 < time {
                clock += 100_000_000
                await pipeline.tick(now: clock)
            }
            await pipeline.ingest(Array(body.utf8), receivedAt: time)
        }
        try await pipeline.sync()
        await pipeline.finish()
        var live: [Nanos: FeatureVector] = [:]
        for await publication in pipeline.publications where publication.vector.symbol == "ETHUSDT" {
            live[publication.vector.ts] = publication.vector
        }
        try store.flush()

        let first = envelopes[0].0 / Time.nanosPerSecond * Time.nanosPerSecond
        let second = Time.nanosPerSecond
        var config = DatasetConfig(
            symbol: "ETHUSDT",
            splits: .explicit(
                periods: [
                    ("train", first + 10 * second, first + 60 * second), ("test", first + 60 * second, first + 80 * second),
                ], embargo: 0))
        config.targets.types = [.return, .direction, .sharpe, .logReturn]
        config.targets.horizons = [5 * second, 10 * second]
        config.targets.volWindow = 10 * second
        let output = root + "/dataset"
        let manifest = try DatasetBuilder(
            config: config, registry: registry, store: store, outputDirectory: output, datasetId: "id", createdAt: first
        ).build()
        #expect(manifest.splits.map(\.name) == ["train", "test"])
        var compared = 0
        for split in manifest.splits {
            let reader = try ParquetReader(path: "\(output)/\(split.file)")
            let columns = try reader.readAll()
            guard case .int64(let times) = columns[0].values else { Issue.record("timestamp"); continue }
            for (row, t) in times.enumerated() {
                guard let vector = live[t] else { Issue.record("no live vector at \(t)"); continue }
                for (index, value) in vector.values.enumerated() {
                    let column = columns[2 + index]
                    guard case .double(let values) = column.values else { continue }
                    let stored: Double? = column.isNull(row) ? nil : values[row]
                    #expect(stored?.bitPattern == value?.bitPattern, "\(registry.names[index]) at \(t)")
                }
                compared += 1
            }
        }
        #expect(compared == manifest.splits.reduce(0) { $0 + $1.rows })
        #expect(compared > 40)
        let (status, text) = try runPython(["scripts/interop/parquet_interop.py", "manifest", output])
        #expect(status == 0, "\(text)")
    }
}
