import AMQP
import API
import Datasets
import EngineHistory
import FeatureEngine
import FeatureServer
import Foundation
import Logging
import MarketData
import Metadata
import Offline
import RawStore
import ServiceRuntime
import ServiceTestSupport
import TestSupport
import Testing

/// Distributed dataset builds for real: a RabbitMQ work queue (scripts/rabbitmq.sh), a
/// PostgreSQL task table (scripts/postgres.sh), two `feature-service worker` processes, one of
/// them killed with SIGKILL while it holds a task.
@Suite(.serialized) struct DatasetWorkerTests {
    static let logger = Logger(label: "dataset-worker-tests")

    /// A fresh PostgreSQL database on the test server; its URL.
    /// The broker's URL and a fresh database's, once the executable is built and both servers are up.
    func servers() async throws -> (amqpURL: String, databaseURL: String) {
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the executable first (scripts/test.sh does)")
        let amqpURL = try #require(
            ProcessInfo.processInfo.environment["AMQP_TEST_URL"], "run scripts/rabbitmq.sh start and export AMQP_TEST_URL")
        return (amqpURL, try await freshDatabase())
    }

    func freshDatabase() async throws -> String {
        let base = try #require(
            ProcessInfo.processInfo.environment["POSTGRES_TEST_URL"], "run scripts/postgres.sh start and export POSTGRES_TEST_URL")
        let name = "w_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let admin = try await PostgresDatabase(url: base, logger: Self.logger)
        try await admin.execute("CREATE DATABASE \(name)")
        await admin.close()
        var components = try #require(URLComponents(string: base))
        components.path = "/\(name)"
        return try #require(components.string)
    }

    /// Three symbols over two hours, stored with checkpoints every 10 min, in `root`.
    func simulatedStore(root: String) throws -> (RawStore, start: Nanos) {
        let store = try RawStore(root: root, format: ParquetFormat())
        let start: Nanos = 1_767_225_600_000_000_000  // 2026-01-01T00:00:00Z
        var simulator = MarketSimulator(seed: 77, start: start, eventsPerSecond: 6, depth: 10)
        var stamper = Stamper()
        var events: [MarketEvent] = []
        while true {
            let (time, event) = simulator.nextEvent()
            if time >= start + 7_200 * Time.nanosPerSecond { break }
            events.append(stamper.stamp(event, at: time))
        }
        store.append(events)
        try store.sync()
        try store.flush()
        for (symbol, _, _) in MarketSimulator.defaultSymbols {
            try CheckpointRebuild.run(store: store, checkpoints: CheckpointStore(root: root), symbol: symbol)
        }
        return (store, start)
    }

    /// The coordinator's metadata store, with the bundled registry recorded (workers load the
    /// registry by content hash from there).
    func openMetadata(_ url: String, data: String, at start: Nanos) async throws -> MetadataStore {
        let registry = FeatureRegistry.bundledDefault
        let metadata = try await MetadataStore.open(url: url, dataDirectory: data, logger: Self.logger, now: start)
        try await metadata.recordRegistry(
            version: registry.version, contentHash: registry.contentHash, featureCount: registry.features.count,
            document: FeatureRegistry.bundledDefaultText,
            activation: RegistryActivation(
                instance: "test", contentHash: registry.contentHash, activatedAt: start, reason: .startup, source: "bundled"))
        return metadata
    }

    func logged(_ process: ServiceProcess, _ message: String, task: Int) -> Bool {
        process.log.contains { $0.contains("\"message\":\"\(message)\"") && $0.contains("\"task\":\"\(task)\"") }
    }

    /// SIGTERM while a worker holds a task: the task goes back to the queue (not counted as an
    /// attempt), the worker exits 0, and another worker finishes the build.
    @Test func sigtermGivesTheCurrentTaskBack() async throws {
        let (amqpURL, databaseURL) = try await servers()
        let data = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (store, start) = try simulatedStore(root: data)
        let iso = { (minutes: Int64) in Time.formatISO8601(start + minutes * 60 * Time.nanosPerSecond) }
        let configJSON = """
            {"symbol": "ETHUSDT", "targets": {"types": ["return"], "horizons": ["1m"]},
             "splits": {"strategy": "explicit", "periods": {"train": ["\(iso(20))", "\(iso(60))"]}}}
            """
        let registry = FeatureRegistry.bundledDefault
        let metadata = try await openMetadata(databaseURL, data: data, at: start)
        let environment = ["AMQP_URL": amqpURL, "DATABASE_URL": databaseURL, "LOG_LEVEL": "info"]
        // A worker that holds each part for a minute: it is stopped while it holds the first task.
        let slow = try ServiceProcess(
            ["worker", "--data-dir", data, "--instance", "slow"],
            environment: environment.merging(["FEATURE_SERVICE_TEST_TASK_HOLD_MS": "60000"]) { $1 })
        #expect(try await slow.waitForLog("dataset worker starting") != nil, "\(slow.standardError)")
        let publisher = DatasetTaskPublisher(configuration: try AMQPConfiguration(url: amqpURL))
        let coordinator = DistributedDatasetBuilds(
            metadata: metadata, store: store, dataDirectory: data, chunk: 20 * 60 * Time.nanosPerSecond,
            pollInterval: .milliseconds(100), clock: SystemClock(), logger: Self.logger,
            enqueue: { try await publisher.publish($0) })
        let build = Task {
            try await coordinator.build(
                id: "ds-term", configJSON: configJSON, registry: registry, directory: "\(data)/datasets/ds-term", createdAt: start,
                progress: { _ in }, isCancelled: { false })
        }
        while try await !metadata.tasks(datasetId: "ds-term").contains(where: { $0.status == .running && $0.owner == "slow" }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(slow.process.processIdentifier, SIGTERM)
        #expect(try await slow.waitForExit() == 0, "\(slow.standardError)")
        #expect(try await slow.waitForLog("dataset task given back: worker shutting down") != nil, "\(slow.standardError)")
        let tasks = try await metadata.tasks(datasetId: "ds-term")
        #expect(tasks.allSatisfy { $0.status == .queued && $0.attempts == 0 }, "\(tasks)")
        // Another worker finishes the build.
        let other = try ServiceProcess(["worker", "--data-dir", data, "--instance", "other"], environment: environment)
        let manifest = try await build.value
        #expect(manifest.document.rows == 40 * 60)
        kill(other.process.processIdentifier, SIGTERM)
        #expect(try await other.waitForExit() == 0, "\(other.standardError)")
        await publisher.close()
        await metadata.close()
    }

    @Test func twoWorkersBuildWhatOneProcessBuildsEvenWhenOneIsKilledMidTask() async throws {
        let (amqpURL, databaseURL) = try await servers()
        let data = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (store, start) = try simulatedStore(root: data)
        let iso = { (minutes: Int64) in Time.formatISO8601(start + minutes * 60 * Time.nanosPerSecond) }
        let configJSON = """
            {"symbols": ["BTCUSDT", "ETHUSDT", "SOLUSDT"], "sample_every": "5s",
             "targets": {"types": ["return", "direction", "sharpe"], "horizons": ["30s", "2m"]},
             "splits": {"strategy": "explicit", "embargo": "1m",
                        "periods": {"train": ["\(iso(20))", "\(iso(80))"], "validation": ["\(iso(80))", "\(iso(95))"],
                                    "test": ["\(iso(95))", "\(iso(110))"]}}}
            """
        let config = try DatasetConfig.parse(json: configJSON)
        let registry = FeatureRegistry.bundledDefault

        // The reference: one process.
        let single = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: single) }
        let reference = try DatasetBuilder(
            config: config, registry: registry, store: store, outputDirectory: single, datasetId: "ds-workers", createdAt: start
        ).build()

        // The coordinator's side: the metadata store with the registry recorded, the work queue emptied.
        let metadata = try await openMetadata(databaseURL, data: data, at: start)
        let connection = try await AMQPConnection.connect(try AMQPConfiguration(url: amqpURL))
        let channel = try await connection.openChannel()
        try await DatasetWorkQueue.declare(on: channel)
        _ = try await channel.queuePurge(DatasetWorkQueue.name)
        try await connection.close()

        // Two workers; each part is held 1.5 s before it is marked done, so a worker is found holding one.
        func worker(_ name: String) throws -> ServiceProcess {
            try ServiceProcess(
                ["worker", "--data-dir", data, "--lease", "2s"],
                environment: [
                    "AMQP_URL": amqpURL, "DATABASE_URL": databaseURL, "FEATURE_SERVICE_INSTANCE": name, "LOG_LEVEL": "info",
                    "FEATURE_SERVICE_TEST_TASK_HOLD_MS": "1500",
                ])
        }
        let a = try worker("worker-a")
        let b = try worker("worker-b")
        for process in [a, b] { #expect(try await process.waitForLog("dataset worker starting") != nil, "\(process.standardError)") }

        let publisher = DatasetTaskPublisher(configuration: try AMQPConfiguration(url: amqpURL))
        let coordinator = DistributedDatasetBuilds(
            metadata: metadata, store: store, dataDirectory: data, chunk: 20 * 60 * Time.nanosPerSecond,
            pollInterval: .milliseconds(100), clock: SystemClock(), logger: Self.logger,
            enqueue: { try await publisher.publish($0) })
        let directory = "\(data)/datasets/ds-workers"
        let build = Task {
            try await coordinator.build(
                id: "ds-workers", configJSON: configJSON, registry: registry, directory: directory, createdAt: start,
                progress: { _ in }, isCancelled: { false })
        }
        // Kill worker-a while the task table shows it running a task.
        var killedTask: Int?
        while killedTask == nil {
            let tasks = try await metadata.tasks(datasetId: "ds-workers")
            if let held = tasks.first(where: { $0.status == .running && $0.owner == "worker-a" }) {
                kill(a.process.processIdentifier, SIGKILL)
                killedTask = held.index
            } else if !tasks.isEmpty && tasks.allSatisfy({ $0.status == .done }) {
                Issue.record("worker-a was never seen holding a task")
                break
            } else {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        let manifest = try await build.value
        await publisher.close()

        // The killed worker's task was finished by the other one.
        let task = try #require(killedTask)
        #expect(!logged(a, "dataset task done", task: task))
        #expect(logged(b, "dataset task done", task: task), "\(b.standardError)")
        #expect(DatasetPlan.tasks(for: config, chunk: 20 * 60 * Time.nanosPerSecond).count == 15)

        // Same rows, values and manifest as the single-process build.
        for split in reference.splits {
            let expected = try Data(contentsOf: URL(fileURLWithPath: "\(single)/\(split.file)"))
            let actual = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(split.file)"))
            #expect(actual == expected, "\(split.name)")
        }
        var expected = reference.document
        expected.buildSeconds = manifest.document.buildSeconds
        #expect(manifest.document == expected)
        #expect(manifest.document.rows == reference.document.rows && manifest.document.rows > 1_000)

        kill(b.process.processIdentifier, SIGTERM)
        #expect(try await b.waitForExit() == 0, "\(b.standardError)")
        _ = try await a.waitForExit(timeout: .seconds(5))
        await metadata.close()
    }
}
