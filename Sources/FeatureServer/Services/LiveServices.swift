import FeatureEngine
import Live
import Logging
import MarketData
import Metadata
import Prometheus
import ServiceLifecycle
import ServiceRuntime

/// Consumes the gateway's queues into the pipeline and acks what the store made durable.
struct BrokerConsumerService: Service, CustomStringConvertible {
    let broker: BrokerLink
    var description: String { "broker-consumer" }

    func run() async throws {
        try await runUntilShutdown { await broker.runConsumer() }
    }
}

/// Hands the pipeline's vectors to `features.live` (or, with no broker, only measures them:
/// `GET /features/latest` computes its own).
struct PublisherService: Service, CustomStringConvertible {
    let pipeline: LivePipeline
    let broker: BrokerLink?
    let latencies: PublicationLatencies
    let clock: any WallClock
    var description: String { "publisher" }

    func run() async throws {
        try await runUntilShutdown {
            if let broker {
                await broker.runPublisher()
            } else {
                for await publication in pipeline.publications { latencies.record(CollectionOfOne(publication), now: clock.now()) }
            }
        }
    }
}

/// Asks the exchange's REST API for a snapshot when a book goes out of sync.
struct BookResyncService: Service, CustomStringConvertible {
    let pipeline: LivePipeline
    let source: any SnapshotSource
    let clock: any WallClock
    let logger: Logger
    var description: String { "book-resync" }

    func run() async throws {
        try await runUntilShutdown { await Resync.run(pipeline: pipeline, source: source, logger: logger, clock: clock) }
    }
}

/// Asks the position manager for positions that no event brought for a while.
struct PositionFallbackService: Service, CustomStringConvertible {
    let pipeline: LivePipeline
    let lookup: any PositionLookup
    let clock: any WallClock
    let logger: Logger
    var description: String { "position-fallback" }

    func run() async throws {
        try await runUntilShutdown { await PositionFallback().run(pipeline: pipeline, lookup: lookup, logger: logger, clock: clock) }
    }
}

/// Every 10 s, hands finished minutes of data-quality counters to the metadata store; at
/// shutdown, the current minute's too.
struct QualityRecorderService: Service, CustomStringConvertible {
    let pipeline: LivePipeline
    let metadata: MetadataStore
    let clock: any WallClock
    let logger: Logger
    var description: String { "quality-recorder" }

    func run() async throws {
        let history = QualityHistory(metadata: metadata)
        try await runUntilShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(10))
                let now = clock.now()
                do { try await history.add(await pipeline.takeQualityBuckets(endedBy: now), computedAt: now) } catch {
                    logger.error("cannot store data-quality counters", metadata: ["error": .string("\(error)")])
                }
            }
        }
    }
}
