import AMQP
import Foundation
public import Logging
public import MarketData
import Metadata
import RawStore
import ServiceLifecycle
public import ServiceRuntime

/// `feature-service worker`: one process of the pool that runs distributed dataset builds.
/// Several may run on several machines; they share the data directory (a shared filesystem)
/// and the metadata database (PostgreSQL), and take tasks from the broker's work queue.
public struct DatasetWorker: Sendable {
    /// What a worker needs.
    public struct Configuration: Sendable {
        public var amqpURL: String
        public var databaseURL: String?
        public var dataDirectory: String
        /// This worker's name in the task table (default: host name and process id).
        public var instance: String
        /// How long a task's claim holds without renewal.
        public var lease: Nanos = 30 * Time.nanosPerSecond
        /// Executions of one task before it fails its dataset.
        public var maxAttempts = 3
        /// Test only (`FEATURE_SERVICE_TEST_TASK_HOLD_MS`): wait after writing each part.
        public var holdAfterWrite: Duration?
        public var logLevel: Logger.Level = .info

        public init(amqpURL: String, databaseURL: String?, dataDirectory: String, instance: String) {
            self.amqpURL = amqpURL
            self.databaseURL = databaseURL
            self.dataDirectory = dataDirectory
            self.instance = instance
        }
    }

    public let configuration: Configuration
    public let logger: Logger
    public let clock: any WallClock

    public init(configuration: Configuration, logger: Logger, clock: any WallClock = SystemClock()) {
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
    }

    /// Runs until SIGTERM/SIGINT.
    public func run() async throws {
        let amqp: AMQPConfiguration
        do {
            amqp = try AMQPConfiguration(url: configuration.amqpURL)
        } catch {
            throw ConfigurationError("AMQP_URL: \(error)")
        }
        var named = amqp
        named.connectionName = "feature-service worker \(configuration.instance)"
        let metadata: MetadataStore
        do {
            metadata = try await MetadataStore.open(
                url: configuration.databaseURL, dataDirectory: configuration.dataDirectory, logger: logger, now: clock.now())
        } catch {
            throw ConfigurationError("metadata store: \(error)")
        }
        // Reading only: `serve` owns the data directory's write-ahead log.
        let store = RawStore(readingRoot: configuration.dataDirectory, format: ParquetFormat())
        var log = logger
        log[metadataKey: "worker"] = .string(configuration.instance)
        let executor = DatasetTaskExecutor(
            metadata: metadata, dataDirectory: configuration.dataDirectory, store: store, owner: configuration.instance,
            lease: configuration.lease, maxAttempts: configuration.maxAttempts, holdAfterWrite: configuration.holdAfterWrite,
            clock: clock, logger: log)
        let service = DatasetWorkerService(configuration: named, executor: executor, logger: log)
        log.notice(
            "dataset worker starting",
            metadata: [
                "queue": .string(DatasetWorkQueue.name), "data_dir": .string(configuration.dataDirectory),
                "metadata": .string(metadata.database.location), "lease": .string(Time.formatDuration(configuration.lease)),
            ])
        try await ServiceGroup(
            configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        ).run()
        await metadata.close()
        log.notice("dataset worker stopped")
    }
}
