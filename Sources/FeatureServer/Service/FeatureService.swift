import AMQP
import EngineHistory
public import FeatureEngine
import Foundation
import Hummingbird
public import Logging
import MarketData
import Metadata
public import RawStore
import ServiceLifecycle

/// `feature-service serve`: wires configuration, raw store, live pipeline, market data
/// sources (simulated feed, recording replay, `POST /ingest`, broker), the grid clock,
/// the HTTP API, and a graceful shutdown that flushes the store.
public struct FeatureService: Sendable {
    public let configuration: ServiceConfiguration
    public let logger: Logger
    public let format: any ColumnFileFormat

    public init(configuration: ServiceConfiguration, format: any ColumnFileFormat, logger: Logger) {
        self.configuration = configuration
        self.format = format
        self.logger = logger
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

    /// Runs until SIGINT/SIGTERM.
    public func run(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let (registry, registryText) = try initialRegistry()
        var apiKeys = configuration.apiKeys
        if apiKeys.isEmpty {
            let key = (0..<4).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 16) }.joined()
            apiKeys = [key]
            // For the person at the terminal only: a secret never goes into the structured log.
            logger.notice("no FEATURE_SERVICE_API_KEYS set: generated an API key for this run (printed on standard output)")
            FileHandle.standardOutput.write(Data("API key for this run: \(key)\n".utf8))
        }
        var amqp: AMQPConfiguration?
        if let url = configuration.amqpURL {
            do { amqp = try AMQPConfiguration(url: url) } catch { throw ConfigurationError("AMQP_URL: \(error)") }
        }
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        // Metadata first: a wrong DATABASE_URL stops the start with the reason, before any ingest.
        let metadata: MetadataStore
        do {
            metadata = try await MetadataStore.open(url: configuration.databaseURL, dataDirectory: configuration.dataDirectory,
                                                    logger: logger, now: wallClockNanos())
        } catch {
            throw ConfigurationError("metadata store: \(error)")
        }
        await RegistryHistory.record(registry, text: registryText, in: metadata, instance: configuration.instance,
                                     reason: .startup, source: configuration.registryPath ?? "bundled", at: wallClockNanos(), logger: logger)
        let store = try RawStore(root: configuration.dataDirectory, format: format)
        let checkpointStore = CheckpointStore(root: configuration.dataDirectory)
        let throttle = configuration.bookUpdateThrottleMs.map { Nanos($0) * Time.nanosPerMilli }
        let pipeline = try LivePipeline(configuration: .init(registry: registry, symbols: configuration.symbols, bookUpdateThrottle: throttle),
                                        store: store)
        // Warm start: each symbol from its latest checkpoint at or before now - W, then the stored
        // events after it, so vectors after a restart are the ones an offline rebuild computes;
        // the cost is W plus at most one checkpoint interval of events, not the history.
        let warmed = try await pipeline.reload(registry: registry, now: wallClockNanos())
        logger.notice("engine warmed from the raw store", metadata: [
            "seconds": .stringConvertible(warmed.seconds), "events": .stringConvertible(warmed.replayed),
            "symbols_from_checkpoints": .stringConvertible(warmed.fromCheckpoints),
            "checkpoints_skipped": .stringConvertible(warmed.skippedCheckpoints)])
        let latency = LatencyHistogram()
        let logger = self.logger
        let broker = amqp.map { BrokerLink(configuration: $0, pipeline: pipeline, logger: logger, latency: latency) }
        let datasets = try await DatasetJobs(directory: "\(configuration.dataDirectory)/datasets", store: store, metadata: metadata,
                                             owner: configuration.instance, workers: 1, logger: logger,
                                       registry: { await pipeline.configuration.registry },
                                       notify: { message in
                                           if let broker { await broker.publishDatasetReady(message) } else {
                                               // No broker configured: the features.dataset.ready message goes to the log.
                                               logger.notice("features.dataset.ready", metadata: ["message": .string(message)])
                                           }
                                       })
        await datasets.resume()
        let context = ServiceContext(pipeline: pipeline, store: store, registryPath: configuration.registryPath, latency: latency,
                                     startedAt: wallClockNanos(), datasets: datasets, metadata: metadata, instance: configuration.instance,
                                     brokerStatus: { broker?.status })
        let router = APIRoutes.router(context, apiKeys: apiKeys)
        var services: [any Service] = [
            BackgroundTask(name: "grid-clock") {
                // Close grid points as soon as the clock passes them; durability every tick;
                // the log is rolled into Parquet at least every 5 minutes (and when it fills).
                var lastRoll = wallClockNanos()
                while !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(10))
                    let now = wallClockNanos()
                    await pipeline.tick(now: now)
                    // Checkpoints taken before this sync are written after it: a checkpoint is
                    // only ever as new as the durable events it summarises.
                    let checkpoints = await pipeline.takeCheckpoints()
                    // fsync, rolls and file writes on NIO's blocking pool: never on the pipeline's
                    // actor or the cooperative threads.
                    try await Blocking.run { try store.sync() }
                    if !checkpoints.isEmpty {
                        do {
                            try await Blocking.run { for checkpoint in checkpoints { try checkpointStore.write(checkpoint) } }
                        } catch {
                            logger.error("cannot write engine checkpoints", metadata: ["error": .string("\(error)")])
                        }
                    }
                    if now - lastRoll > 300 * Time.nanosPerSecond {
                        try await Blocking.run { try store.flush() }
                        lastRoll = now
                    }
                    let letters = await pipeline.takeDeadLetters()
                    for letter in letters where letter.logIndividually {
                        logger.warning("malformed message dead-lettered", metadata: ["error": .string(letter.error.description),
                                                                                     "trace_id": .string(letter.error.traceId ?? "-"),
                                                                                     "source": .string(letter.source)])
                    }
                    do {
                        if !letters.isEmpty {
                            try await Blocking.run { try DeadLetterFile.append(letters, directory: store.layout.deadLetterDirectory) }
                        }
                    } catch {
                        logger.error("cannot write dead letters", metadata: ["error": .string("\(error)"), "count": .stringConvertible(letters.count)])
                    }
                }
            },
            BackgroundTask(name: "publisher") {
                if let broker {
                    await broker.runPublisher(names: {
                        let registry = await pipeline.configuration.registry
                        return (registry.names, registry.version)
                    })
                } else {
                    // No broker: vectors are only measured (GET /features/latest computes its own).
                    for await publication in pipeline.publications {
                        let now = wallClockNanos()
                        latency.observe(seconds: Double(now - (publication.trigger ?? publication.vector.ts)) / 1e9)
                    }
                }
            },
            BackgroundTask(name: "quality-recorder") {
                // Finished minutes of data-quality counters go to the metadata store.
                let history = QualityHistory(metadata: metadata)
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(10))
                    let now = wallClockNanos()
                    do { try await history.add(await pipeline.takeQualityBuckets(endedBy: now), computedAt: now) } catch {
                        logger.error("cannot store data-quality counters", metadata: ["error": .string("\(error)")])
                    }
                }
            },
            BackgroundTask(name: "retention-and-compaction") {
                let retention = try Retention(layout: store.layout, days: configuration.retentionDays)
                while !Task.isCancelled {
                    // Listing, counting and deleting files: on NIO's blocking pool, not the cooperative one.
                    let now = wallClockNanos()
                    let (expired, removed) = try await Blocking.run { () throws -> ([Retention.Partition], Retention.Summary) in
                        let expired = try retention.expired(now: now)
                        guard !expired.isEmpty else { return ([], Retention.Summary()) }
                        // Counted before deleting: the log is the only trace of what went (e.g. an old import).
                        let removed = retention.summary(of: expired, format: store.format)
                        try retention.apply(.delete, to: expired)
                        return (expired, removed)
                    }
                    if !expired.isEmpty {
                        logger.notice("retention deleted expired partitions", metadata: [
                            "partitions": .stringConvertible(removed.partitions), "days": .stringConvertible(removed.dates.count),
                            "from": .string(removed.dates.first ?? "-"), "to": .string(removed.dates.last ?? "-"),
                            "events": .stringConvertible(removed.events), "rows": .stringConvertible(removed.rows),
                            "unreadable_files": .stringConvertible(removed.unreadableFiles),
                            "retention_days": .stringConvertible(configuration.retentionDays), "summary": .string(removed.description)])
                    }
                    // Engine checkpoints go with their day (a checkpoint of a deleted day would
                    // start replays whose events are gone).
                    let firstKept = Time.formatDate(Retention.firstKeptDay(now: now, days: configuration.retentionDays) * Time.nanosPerDay)
                    let removedCheckpoints = try await Blocking.run { try checkpointStore.removeDays(before: firstKept) }
                    if removedCheckpoints > 0 {
                        logger.notice("retention deleted engine checkpoints", metadata: ["files": .stringConvertible(removedCheckpoints),
                                                                                        "before": .string(firstKept)])
                    }
                    // Yesterday's and older partitions no longer grow: merge their small files.
                    let today = Time.formatDate(now)
                    let report = try await Blocking.runCancellable { isCancelled in try store.compact(before: today, isCancelled: isCancelled) }
                    if report.partitions > 0 {
                        logger.info("compacted partitions", metadata: ["partitions": .stringConvertible(report.partitions),
                                                                       "files": .stringConvertible(report.filesMerged)])
                    }
                    try await Task.sleep(for: .seconds(3600))
                }
            },
        ]
        if let broker {
            services.append(BackgroundTask(name: "broker-consumer") { await broker.runConsumer() })
        }
        if let base = configuration.positionManagerURL {
            let client = PositionManagerClient(baseURL: base, apiKey: configuration.positionManagerAPIKey)
            services.append(BackgroundTask(name: "position-fallback") {
                await PositionFallback().run(pipeline: pipeline, lookup: client, logger: logger, clock: { wallClockNanos() })
            })
        }
        if let base = configuration.snapshotURL {
            let source = BybitRESTSnapshotSource(baseURL: base)
            services.append(BackgroundTask(name: "book-resync") { await Resync.run(pipeline: pipeline, source: source, logger: logger) })
        }
        // Services beside the application whose return shuts the whole service down gracefully.
        var finishing: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let replay = configuration.replayFile {
            let exitAfterReplay = configuration.exitAfterReplay
            let feed = BackgroundTask(name: "replay-feed") {
                try await Feeds.replay(path: replay, speed: configuration.replaySpeed, into: pipeline, logger: logger)
                if exitAfterReplay {
                    logger.notice("replay done: stopping (--exit-after-replay)")
                } else {
                    // A service that returns stops the group as failed: keep serving what was played until shut down.
                    logger.notice("replay done: the API keeps serving until SIGINT/SIGTERM")
                    try await gracefulShutdown()
                }
            }
            if exitAfterReplay {
                finishing.append(.init(service: feed, successTerminationBehavior: .gracefullyShutdownGroup))
            } else {
                services.append(feed)
            }
        } else if configuration.simulate && broker == nil {
            services.append(BackgroundTask(name: "simulated-feed") {
                try await Feeds.simulate(into: pipeline, symbols: configuration.symbols, logger: logger)
                // No symbol of the simulator is ours: nothing to feed, but the API keeps serving.
                try await gracefulShutdown()
            })
        }
        let port = configuration.port
        let app = Application(router: router, configuration: .init(address: .hostname(configuration.host, port: port), serverName: "feature-service"),
                              services: services, onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
                              logger: logger)
        logger.notice("feature-service starting", metadata: ["port": .stringConvertible(port), "data_dir": .string(configuration.dataDirectory),
                                                             "metadata": .string(metadata.database.location), "instance": .string(configuration.instance),
                                                             "registry": .string("\(registry.version) \(registry.contentHash.prefix(12))")])
        // Our own group rather than app.runService(): a finished --exit-after-replay feed shuts it down gracefully.
        try await ServiceGroup(configuration: .init(services: [.init(service: app)] + finishing,
                                                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
        // Graceful shutdown: everything accepted is made durable and converted.
        try await pipeline.sync()
        try store.flush()
        // The current minute's data-quality counters too.
        do { try await QualityHistory(metadata: metadata).add(await pipeline.takeQualityBuckets(endedBy: .max), computedAt: wallClockNanos()) } catch {
            logger.error("cannot store data-quality counters at shutdown", metadata: ["error": .string("\(error)")])
        }
        await metadata.close()
        logger.notice("feature-service stopped; raw store flushed")
    }
}

/// A named background loop run by the service group and cancelled on graceful shutdown.
struct BackgroundTask: Service, CustomStringConvertible {
    let name: String
    let body: @Sendable () async throws -> Void
    var description: String { name }

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            do { try await body() } catch is CancellationError {}
        }
    }
}
