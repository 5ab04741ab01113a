import AMQP
import API
import EngineHistory
public import FeatureEngine
import Foundation
import Hummingbird
public import Live
public import Logging
public import MarketData
import Metadata
public import RawStore
import Routing
import ServiceLifecycle
public import ServiceRuntime

/// `feature-service serve`: assembles the named services of one `ServiceGroup` from the
/// configuration — the HTTP API, the grid clock, the store's commit loop, housekeeping, the
/// publisher, the data-quality recorder, dataset builds, and the market data sources (broker,
/// simulated feed, recording replay; `POST /ingest` is an API route) — runs them until
/// SIGINT/SIGTERM, then flushes the store.
public struct FeatureService: Sendable {
    public let configuration: ServiceConfiguration
    public let logger: Logger
    public let format: any ColumnFileFormat
    /// The one wall clock every part of the service reads.
    public let clock: any WallClock
    /// Where every figure of `/metrics` goes.
    public let metrics: ServiceMetrics

    public init(
        configuration: ServiceConfiguration, format: any ColumnFileFormat, logger: Logger, clock: any WallClock = SystemClock(),
        metrics: ServiceMetrics = ServiceMetrics()
    ) {
        self.metrics = metrics
        self.configuration = configuration
        self.format = format
        self.logger = logger
        self.clock = clock
    }

    /// The registry the service starts with and its source text (read once: the text recorded
    /// in the metadata store is the one that was parsed).
    public func initialRegistry() throws -> (registry: FeatureRegistry, text: String) {
        guard let path = configuration.registryPath else { return (.bundledDefault, FeatureRegistry.bundledDefaultText) }
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigurationError("cannot read registry file '\(path)'") }
        let text = String(decoding: data, as: UTF8.self)
        do { return (try FeatureRegistry.parse(text), text) } catch {
            throw ConfigurationError("registry '\(path)' rejected:\n\(error.description)")
        }
    }

    /// Runs until SIGINT/SIGTERM (or, with `--exit-after-replay`, until the recording is played).
    ///   - onServerRunning: called with the API's bound port once it listens.
    ///   - onConsoleRunning: called with the console's bound port once it listens.
    public func run(
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        onConsoleRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let (registry, registryText) = try initialRegistry()
        var shard = try configuration.shardAssignment()
        let apiKeys = apiKeysForThisRun()
        var amqp: AMQPConfiguration?
        if let url = configuration.amqpURL {
            do { amqp = try AMQPConfiguration(url: url) } catch { throw ConfigurationError("AMQP_URL: \(error)") }
        }
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        // Metadata first: a wrong DATABASE_URL stops the start with the reason, before any ingest.
        let metadata: MetadataStore
        do {
            metadata = try await MetadataStore.open(
                url: configuration.databaseURL, dataDirectory: configuration.dataDirectory,
                logger: logger, now: clock.now())
        } catch {
            throw ConfigurationError("metadata store: \(error)")
        }
        await RegistryHistory.record(
            registry, text: registryText, in: metadata, instance: configuration.instance,
            reason: .startup, source: configuration.registryPath ?? "bundled", at: clock.now(), logger: logger)
        if let assigned = shard { shard = try await register(assigned, in: metadata) }
        var storeOptions = RawStore.Options()
        storeOptions.writer = shard?.name
        let store = try RawStore(root: configuration.dataDirectory, format: format, options: storeOptions)
        let checkpoints = CheckpointStore(root: configuration.dataDirectory)
        let throttle = configuration.bookUpdateThrottleMs.map { Nanos($0) * Time.nanosPerMilli }
        let pipeline = try LivePipeline(
            configuration: .init(registry: registry, symbols: configuration.symbols, bookUpdateThrottle: throttle),
            store: store, metrics: LiveMetrics(registry: metrics.registry))
        // Warm start: each symbol from its latest checkpoint at or before now - W, then the stored
        // events after it, so vectors after a restart are the ones an offline rebuild computes;
        // the cost is W plus at most one checkpoint interval of events, not the history.
        let warmed = try await pipeline.reload(registry: registry, now: clock.now())
        logger.notice(
            "engine warmed from the raw store",
            metadata: [
                "seconds": .stringConvertible(warmed.seconds), "events": .stringConvertible(warmed.replayed),
                "symbols_from_checkpoints": .stringConvertible(warmed.fromCheckpoints),
                "checkpoints_skipped": .stringConvertible(warmed.skippedCheckpoints),
            ])
        let (clock, logger) = (self.clock, self.logger)
        let metrics = self.metrics
        let latencies = PublicationLatencies(fromGateway: metrics.ingestToVector, fromReceipt: metrics.receiptToPublish)
        let broker = amqp.map {
            // Acked by the store's committer after each sync (one fsync for every source).
            BrokerLink(
                configuration: $0, pipeline: pipeline, logger: logger, clock: clock, latencies: latencies, shard: shard,
                commitsItself: false)
        }
        let distributed = try distributedBuilds(amqp: amqp, metadata: metadata, store: store)
        let datasets = try await DatasetJobs(
            directory: "\(configuration.dataDirectory)/datasets", store: store, metadata: metadata, owner: configuration.instance,
            workers: distributed == nil ? 1 : 4, logger: logger, clock: clock, registry: { await pipeline.configuration.registry },
            distributed: distributed?.builds,
            notify: { message in
                if let broker {
                    await broker.publishDatasetReady(message)
                } else {
                    // No broker configured: the features.dataset.ready message goes to the log.
                    logger.notice("features.dataset.ready", metadata: ["message": .string(message)])
                }
            })
        let context = APIContext(
            live: pipeline, clock: clock, store: store, registryPath: configuration.registryPath,
            metrics: Self.exposition(of: pipeline, in: metrics),
            startedAt: clock.now(), datasets: datasets, metadata: metadata, instance: configuration.instance,
            brokerStatus: { broker?.status }, owner: ShardOwnerLookup(metadata: metadata, shard: shard?.name, clock: clock).owner)
        var services: [any Service] = [
            GridClockService(pipeline: pipeline, clock: clock),
            StoreCommitService(pipeline: pipeline, store: store, checkpoints: checkpoints, broker: broker, clock: clock, logger: logger),
            PublisherService(pipeline: pipeline, broker: broker, latencies: latencies, clock: clock),
            QualityRecorderService(pipeline: pipeline, metadata: metadata, clock: clock, logger: logger),
            HousekeepingService(
                store: store, checkpoints: checkpoints, retentionDays: configuration.retentionDays, symbols: shard?.symbols, clock: clock,
                logger: logger),
            datasets,
        ]
        if let broker { services.append(BrokerConsumerService(broker: broker)) }
        if let base = configuration.positionManagerURL {
            let client = PositionManagerClient(baseURL: base, apiKey: configuration.positionManagerAPIKey)
            services.append(PositionFallbackService(pipeline: pipeline, lookup: client, clock: clock, logger: logger))
        }
        if let base = configuration.snapshotURL {
            services.append(
                BookResyncService(pipeline: pipeline, source: BybitRESTSnapshotSource(baseURL: base), clock: clock, logger: logger))
        }
        var group = services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
        if let replay = configuration.replayFile {
            let feed = ReplayFeedService(
                pipeline: pipeline, path: replay, speed: configuration.replaySpeed,
                exitAfterReplay: configuration.exitAfterReplay, clock: clock, logger: logger)
            // --exit-after-replay: the feed's return shuts the whole service down gracefully.
            group.append(
                .init(service: feed, successTerminationBehavior: configuration.exitAfterReplay ? .gracefullyShutdownGroup : .cancelGroup))
        } else if configuration.simulate && broker == nil {
            group.append(
                .init(service: SimulatedFeedService(pipeline: pipeline, symbols: configuration.symbols, clock: clock, logger: logger)))
        }
        let port = configuration.port
        let app = Application(
            router: APIRoutes.router(context, apiKeys: apiKeys),
            configuration: .init(address: .hostname(configuration.host, port: port), serverName: "feature-service"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) }, logger: logger)
        // The HTTP servers start last and stop first: no request finds a stopped part.
        group.append(.init(service: app))
        if let consolePort = configuration.consolePort {
            guard let directory = configuration.consoleDirectory ?? ConsoleFiles.locate() else {
                throw ConfigurationError(
                    "web console: no Console folder with index.html found (beside or above the executable, in the working directory, "
                        + "or in the source tree); set FEATURE_SERVICE_CONSOLE_DIR, or FEATURE_SERVICE_CONSOLE_PORT=off / --no-console")
            }
            guard FileManager.default.fileExists(atPath: "\(directory)/index.html") else {
                throw ConfigurationError("web console: '\(directory)' has no index.html (FEATURE_SERVICE_CONSOLE_DIR)")
            }
            let console = Application(
                router: APIRoutes.router(context, apiKeys: apiKeys, console: ConsoleFiles(directory: directory)),
                configuration: .init(address: .hostname(configuration.host, port: consolePort), serverName: "feature-service-console"),
                onServerRunning: { channel in await onConsoleRunning(channel.localAddress?.port ?? consolePort) }, logger: logger)
            group.append(.init(service: ConsoleServerService(application: console, directory: directory)))
        }
        logger.notice(
            "feature-service starting",
            metadata: [
                "port": .stringConvertible(port), "console_port": .string(configuration.consolePort.map(String.init) ?? "off"),
                "data_dir": .string(configuration.dataDirectory),
                "metadata": .string(metadata.database.location), "instance": .string(configuration.instance),
                "shard": .string(shard.map { "\($0.name): \($0.symbols.sorted().joined(separator: ","))" } ?? "none (lone instance)"),
                "registry": .string("\(registry.version) \(registry.contentHash.prefix(12))"),
                "services": .string(group.map { "\($0.service)" }.joined(separator: ",")),
            ])
        try await ServiceGroup(configuration: .init(services: group, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
        // Every service has stopped: nothing publishes any more, so the broker connections close.
        await broker?.close()
        await distributed?.publisher.close()
        // Graceful shutdown: everything accepted is made durable and converted.
        try await pipeline.sync()
        try store.flush()
        // The current minute's data-quality counters too.
        do {
            try await QualityHistory(metadata: metadata).add(await pipeline.takeQualityBuckets(endedBy: .max), computedAt: clock.now())
        } catch {
            logger.error("cannot store data-quality counters at shutdown", metadata: ["error": .string("\(error)")])
        }
        await metadata.close()
        logger.notice("feature-service stopped; raw store flushed")
    }

    /// Records this shard in the metadata store's directory (so that the other shards can name
    /// its symbols' owner) and returns the assignment with the symbols it owned before and gives
    /// up now, whose queue bindings go. A symbol that another shard also claims is logged.
    func register(_ shard: ShardAssignment, in metadata: MetadataStore) async throws -> ShardAssignment {
        let url = configuration.advertiseURL ?? "http://\(configuration.instance):\(configuration.port)"
        let record = ShardRecord(
            name: shard.name, symbols: shard.symbols.sorted(), url: url, instance: configuration.instance, updatedAt: clock.now())
        let previous: [String]
        do { previous = try await metadata.registerShard(record) } catch {
            throw ConfigurationError("metadata store: cannot register shard '\(shard.name)': \(error)")
        }
        for other in (try? await metadata.shards()) ?? [] where other.name != shard.name {
            let both = shard.symbols.intersection(other.symbols)
            if !both.isEmpty {
                logger.warning(
                    "another shard also claims some of this shard's symbols: both queues receive their messages",
                    metadata: ["other_shard": .string(other.name), "symbols": .string(both.sorted().joined(separator: ","))])
            }
        }
        var assigned = shard
        assigned.released = Set(previous).subtracting(shard.symbols)
        return assigned
    }

    /// The coordinator of distributed dataset builds, when `FEATURE_SERVICE_DATASET_WORKERS=broker`.
    func distributedBuilds(
        amqp: AMQPConfiguration?, metadata: MetadataStore, store: RawStore
    ) throws -> (builds: DistributedDatasetBuilds, publisher: DatasetTaskPublisher)? {
        guard configuration.datasetDistribution.enabled else { return nil }
        guard let amqp else { throw ConfigurationError("FEATURE_SERVICE_DATASET_WORKERS=broker needs AMQP_URL (the work queue)") }
        let publisher = DatasetTaskPublisher(configuration: amqp)
        let builds = DistributedDatasetBuilds(
            metadata: metadata, store: store, dataDirectory: configuration.dataDirectory, chunk: configuration.datasetDistribution.chunk,
            clock: clock, logger: logger, enqueue: { try await publisher.publish($0) })
        return (builds, publisher)
    }

    /// What `GET /metrics` answers at `now`: the registry, with the gauges that are read rather
    /// than counted brought up to date first.
    public static func exposition(of pipeline: LivePipeline, in metrics: ServiceMetrics) -> @Sendable (Nanos) async -> String {
        { now in
            await pipeline.updateGauges(now: now)
            return metrics.render()
        }
    }

    /// The configured API keys, or one generated for this run: printed once on standard output for
    /// the person at the terminal, never written to the structured log.
    func apiKeysForThisRun() -> [String] {
        guard configuration.apiKeys.isEmpty else { return configuration.apiKeys }
        let key = (0..<4).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 16) }.joined()
        logger.notice("no FEATURE_SERVICE_API_KEYS set: generated an API key for this run (printed on standard output)")
        FileHandle.standardOutput.write(Data("API key for this run: \(key)\n".utf8))
        return [key]
    }
}
