import API
import Datasets
import FeatureEngine
import FeatureServer
import Foundation
import Live
import Logging
import MarketData
import Metadata
import RawStore
import ServiceRuntime
import ServiceTestSupport
import Synchronization
import TestSupport
import Testing

/// A dataset job spread over workers, without a broker: the coordinator's messages go straight
/// to two in-process task executors (what `worker` runs for each delivery), over SQLite.
@Suite struct DistributedDatasetJobTests {
    @Test func aJobBuiltByTasksEqualsTheLocalBuild() async throws {
        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat())
        let pipeline = try LivePipeline(configuration: .init(registry: .bundledDefault), store: store)
        let envelopes = simulatedEnvelopes(count: 12_000, seed: 21)
        for (time, body) in envelopes { await pipeline.ingest(Array(body.utf8), receivedAt: time) }
        try await pipeline.sync()
        try store.flush()
        let logger = Logger(label: "test")
        let registry = FeatureRegistry.bundledDefault
        let metadata = try await MetadataStore.open(url: nil, dataDirectory: root, logger: logger, now: 0)
        try await metadata.recordRegistry(
            version: registry.version, contentHash: registry.contentHash, featureCount: registry.features.count,
            document: FeatureRegistry.bundledDefaultText,
            activation: RegistryActivation(
                instance: "node-a", contentHash: registry.contentHash, activatedAt: 0, reason: .startup, source: "bundled"))

        let workers = ["w1", "w2"].map {
            DatasetTaskExecutor(
                metadata: metadata, dataDirectory: root, store: RawStore(readingRoot: root, format: ParquetFormat()), owner: $0,
                lease: 30 * Time.nanosPerSecond, clock: SystemClock(), logger: logger)
        }
        let outcomes = Outcomes()
        let distributed = DistributedDatasetBuilds(
            metadata: metadata, store: store, dataDirectory: root, chunk: 20 * Time.nanosPerSecond, pollInterval: .milliseconds(20),
            clock: SystemClock(), logger: logger,
            enqueue: { messages in
                let bodies = try messages.map { Array(try JSONEncoder().encode($0)) }
                Task {
                    await withTaskGroup(of: Void.self) { group in
                        for (k, worker) in workers.enumerated() {
                            group.addTask {
                                for (index, body) in bodies.enumerated() where index % 2 == k {
                                    let outcome = await worker.handle(body: body)
                                    outcomes.list.withLock { $0.append(outcome) }
                                }
                            }
                        }
                    }
                }
            })
        let jobs = try await DatasetJobs(
            directory: root + "/datasets", store: store, metadata: metadata, owner: "node-a", logger: logger, clock: SystemClock(),
            registry: { registry }, distributed: distributed, notify: { _ in })
        Task { try await jobs.run() }

        let first = envelopes[0].0 / Time.nanosPerSecond * Time.nanosPerSecond
        let iso = { (s: Int64) in Time.formatISO8601(first + s * Time.nanosPerSecond) }
        let json = """
            {"symbols": ["ETHUSDT", "BTCUSDT", "SOLUSDT"], "targets": {"types": ["return", "direction"], "horizons": ["5s"]},
             "splits": {"strategy": "explicit", "periods": {"train": ["\(iso(5))", "\(iso(40))"], "validation": ["\(iso(40))",
              "\(iso(60))"]}}}
            """
        let submitted = try await jobs.submit(configJSON: json)
        #expect(submitted.symbol == "ETHUSDT,BTCUSDT,SOLUSDT")
        var job = submitted
        while job.status == .queued || job.status == .running {
            try await Task.sleep(for: .milliseconds(20))
            job = try #require(await jobs.job(submitted.id))
        }
        #expect(job.status == .ready, "\(job.error ?? "")")
        // 3 symbols x 55 s of rows in 20 s chunks: 9 tasks, each done once and acked.
        #expect(outcomes.list.withLock { $0 } == Array(repeating: .ack, count: 9))
        #expect(try await metadata.tasks(datasetId: job.id).isEmpty)

        let local = root + "/local"
        let reference = try DatasetBuilder(
            config: try DatasetConfig.parse(json: json), registry: registry, store: store, outputDirectory: local, datasetId: job.id,
            createdAt: job.startedAt ?? 0
        ).build()
        #expect(job.splits.map(\.name) == reference.splits.map(\.name))
        #expect(job.rows == reference.document.rows && job.rows > 100)
        let directory = await jobs.outputDirectory(job.id)
        for split in reference.splits {
            let expected = try Data(contentsOf: URL(fileURLWithPath: "\(local)/\(split.file)"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(split.file)")) == expected, "\(split.name)")
        }
        let built = try JSONDecoder().decode(
            DatasetManifestDocument.self, from: Data(contentsOf: URL(fileURLWithPath: "\(directory)/manifest.json")))
        var expected = reference.document
        (expected.createdAt, expected.buildSeconds) = (built.createdAt, built.buildSeconds)
        #expect(built == expected)
    }
}

/// What the in-process workers answered, message by message.
final class Outcomes: Sendable {
    let list = Mutex<[DatasetTaskExecutor.Outcome]>([])
}
