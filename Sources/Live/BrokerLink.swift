public import AMQP
import FeatureEngine
import Foundation
public import Logging
import MarketData
public import Routing
public import ServiceRuntime
import Synchronization

/// The broker side of the live path (interfaces.md §1–§2): consumes the gateway's queues into
/// the pipeline, acknowledges only what the store made durable (group commit every
/// ``commitInterval``), publishes vectors to `features.live` and dataset notifications to
/// `features.dataset.ready`. Both directions reconnect with backoff.
public final class BrokerLink: Sendable {
    /// The gateway's queues (``GatewayQueues``).
    public static let gatewayQueues = GatewayQueues.required
    /// Consumed when present: own executions, and the position manager's events.
    public static let optionalQueues = GatewayQueues.optional
    /// The arguments the gateway declares its queues with.
    public static let gatewayArguments = GatewayQueues.arguments
    /// The queue of vectors (interfaces.md §2), bound to the topic exchange of the same name.
    public static let liveQueue = "features.live"
    /// The topic exchange vectors are published to, keyed by symbol: each downstream consumer
    /// binds its own queue (`#` for all, `BTCUSDT` for one) instead of splitting one queue's stream.
    public static let liveExchange = "features.live"
    public static let datasetReadyQueue = "features.dataset.ready"
    /// How often the group commit makes what was ingested durable and acks it (`serve`'s store
    /// committer uses it too). An fsync costs ~70 µs of CPU whatever it carries: every 2 ms that
    /// was ~9 % of the service's CPU flat out.
    /// Acking 10 ms later costs nothing visible — vectors do not wait for it, and 10 ms of traffic
    /// is far below the prefetch — and a crash redelivers at most those 10 ms (deduplicated).
    public static let commitInterval: Duration = .milliseconds(10)

    /// Declares the gateway's queues (with the gateway's arguments) and `features.live` (the queue,
    /// the topic exchange and the binding between them); `purge` empties the queues first (tests
    /// and benchmarks start from clean queues).
    public static func declareQueues(on channel: AMQPChannel, gateway: Bool = true, live: Bool = true, purge: Bool = false) async throws {
        if gateway { try await GatewayQueues.declare(on: channel, purge: purge) }
        if live {
            try await channel.queueDeclare(liveQueue, durable: true)
            try await channel.exchangeDeclare(liveExchange, type: "topic", durable: true)
            try await channel.queueBind(queue: liveQueue, exchange: liveExchange, routingKey: "#")
            if purge { try await channel.queuePurge(liveQueue) }
        }
    }

    public let configuration: AMQPConfiguration
    let pipeline: LivePipeline
    let logger: Logger
    let latencies: PublicationLatencies?
    let clock: any WallClock
    private let pending = Mutex<[AMQPDelivery.Receipt]>([])
    private let acknowledger = Mutex(AMQPBatchAcknowledger())
    /// Whether the link runs its own group commit (sync, then ack, every ``commitInterval``).
    /// `serve` turns it off and acks from its store committer instead (``acknowledgeIngested(after:)``):
    /// one fsync per interval for everything, not one per committer.
    public let commitsItself: Bool
    private let publisherLink = Mutex<(connection: AMQPConnection, channel: AMQPChannel)?>(nil)
    private let connected = Mutex<Bool>(false)
    private let published = Mutex<(sent: Int, dropped: Int)>((0, 0))
    private let datasetReady: DatasetReadyPublisher
    /// The shard this instance is (nil: a lone instance consuming the gateway's queues directly).
    public let shard: ShardAssignment?

    /// A link for a lone instance (consumes the gateway queues) or, with `shard`, for one shard
    /// behind `feature-service route` (consumes its own queue, bound to its symbols); `latencies`
    /// are recorded as vectors are written.
    public init(
        configuration: AMQPConfiguration, pipeline: LivePipeline, logger: Logger, clock: any WallClock,
        latencies: PublicationLatencies? = nil, shard: ShardAssignment? = nil, commitsItself: Bool = true
    ) {
        self.shard = shard
        self.commitsItself = commitsItself
        self.clock = clock
        self.configuration = configuration
        self.pipeline = pipeline
        self.logger = logger
        self.latencies = latencies
        datasetReady = DatasetReadyPublisher(configuration: configuration)
    }

    /// "up" when the consumer is connected, "down" otherwise (for /health).
    public var status: String { connected.withLock { $0 } ? "up" : "down" }

    /// Consumes until cancelled.
    public func runConsumer() async {
        let logger = self.logger
        let shard = self.shard
        let consumer = AMQPReconnectingConsumer(
            configuration: configuration, queues: shard.map { [SymbolRoute.shardQueue($0.name)] } ?? Self.gatewayQueues,
            optionalQueues: shard == nil ? Self.optionalQueues : [], prefetch: 2000,
            eventLoopGroup: pipeline.eventLoop, taskExecutor: EventLoopTaskExecutor(pipeline.eventLoop),
            onFailure: { [self] error, attempt in
                self.connected.withLock { $0 = false }
                logger.warning("broker consumer: \(error)", metadata: ["attempt": .stringConvertible(attempt)])
            },
            setup: { [self] channel in
                if let shard {
                    try await SymbolRoute.declareShard(name: shard.name, symbols: shard.symbols, released: shard.released, on: channel)
                } else {
                    try await Self.declareQueues(on: channel, live: false)
                }
                // Connected and consuming: up, even while the queues are idle.
                self.connected.withLock { $0 = true }
            })
        await withTaskGroup(of: Void.self) { group in
            if commitsItself {
                // On the pipeline's event loop too: its timer wakes it (no dispatch timer, no cooperative
                // thread), the fsync runs on NIO's blocking pool and the acks go out from the loop that
                // owns the consumer's socket.
                group.addTask(executorPreference: EventLoopTaskExecutor(pipeline.eventLoop)) { await self.commitLoop() }
            }
            // Each queue's task decodes its deliveries itself (pure work, outside the actor, on the
            // pipeline's event loop) and hands over what arrived meanwhile: one hop per batch.
            let pipeline = self.pipeline
            await consumer.run(batches: { [self] deliveries in
                let decoded = deliveries.map { delivery in
                    LivePipeline.Received(decoded: EnvelopeDecoder.decodeResult(delivery.body), body: delivery.body, at: clock.now())
                }
                await pipeline.ingest(decoded)
                pending.withLock { $0.append(contentsOf: deliveries.lazy.map(\.receipt)) }
            })
            group.cancelAll()
        }
    }

    /// Runs `sync` (a sync of the store), then acks every delivery ingested before it began; when
    /// it throws, nacks them so that the broker redelivers them, and rethrows. Taken before the
    /// sync, the deliveries are all covered by it (one is listed only once its message is in the
    /// store's buffer).
    public func acknowledgeIngested(after sync: () async throws -> Void) async throws {
        let receipts = pending.withLock { list in
            defer { list.removeAll(keepingCapacity: true) }
            return list
        }
        do {
            try await sync()
        } catch {
            if !receipts.isEmpty {
                logger.error("store sync failed: deliveries nacked for redelivery", metadata: ["count": .stringConvertible(receipts.count)])
                for delivery in receipts { delivery.channel.nack(deliveryTag: delivery.deliveryTag, requeue: true) }
                acknowledger.withLock { $0.settle(receipts) }
            }
            throw error
        }
        if !receipts.isEmpty { acknowledger.withLock { $0.acknowledge(receipts) } }
    }

    /// Group commit, when the link ``commitsItself``: every ``commitInterval``, make what was
    /// ingested durable, then ack it.
    private func commitLoop() async {
        while !Task.isCancelled {
            // Ends with the pipeline's loop (the consumer's connection is on it: nothing left to ack).
            guard (try? await pipeline.eventLoop.sleep(for: Self.commitInterval)) != nil else { return }
            guard pending.withLock({ !$0.isEmpty }) else { continue }
            do {
                // Straight to the store, on NIO's blocking pool: fsync never holds up ingestion on the
                // pipeline's actor, nor a cooperative thread.
                try await acknowledgeIngested { try await pipeline.sync() }
            } catch {
                logger.error("store sync failed", metadata: ["error": .string("\(error)")])
            }
        }
    }

    /// Publishes the pipeline's vectors to `features.live` until cancelled, each labelled with
    /// the registry that computed it. What waits in the outbox goes out together, in order, with one
    /// socket write (up to 256 vectors): at saturation one wake-up and one write serve many vectors.
    public func runPublisher() async {
        // On the pipeline's event loop, as its connection: taking a batch and writing it need no other thread.
        await withTaskExecutorPreference(EventLoopTaskExecutor(pipeline.eventLoop)) { await publishLive() }
    }

    private func publishLive() async {
        var attempt = 0
        let properties = AMQPProperties(contentType: "application/json", deliveryMode: 1)
        while let batch = await pipeline.publications.take(maximum: 256) {
            let messages = batch.map { publication in
                AMQPChannel.Message(
                    body: publication.encoder.encode(publication.vector, traceId: publication.traceId), exchange: Self.liveExchange,
                    routingKey: publication.vector.symbol, properties: properties)
            }
            do {
                let channel = try await publisher()
                try channel.publish(batch: messages)
                attempt = 0
                published.withLock { $0.sent += batch.count }
                latencies?.record(batch, now: clock.now())
            } catch {
                published.withLock { $0.dropped += batch.count }
                // A failed link is closed, not just forgotten: its socket would stay open.
                if let failed = publisherLink.withLock({ link in
                    defer { link = nil }; return link
                }) {
                    try? await failed.connection.close()
                }
                attempt += 1
                if attempt == 1 || attempt % 100 == 0 { logger.warning("features.live publish failed: \(error)") }
                try? await Task.sleep(for: .milliseconds(min(1000, 50 * attempt)))
            }
        }
    }

    /// Publishes a `features.dataset.ready` message (with publisher confirms) on the link's kept
    /// connection for notifications.
    public func publishDatasetReady(_ message: String) async {
        do {
            try await datasetReady.publish(Array(message.utf8))
        } catch {
            logger.error("features.dataset.ready publish failed", metadata: ["error": .string("\(error)")])
        }
    }

    /// Closes the publishing connections (`features.live` and dataset notifications); for after
    /// the publisher has stopped, at shutdown. A later publish opens a new connection.
    public func close() async {
        if let link = publisherLink.withLock({ link in
            defer { link = nil }; return link
        }) {
            try? await link.connection.close()
        }
        await datasetReady.close()
    }

    private func publisher() async throws -> AMQPChannel {
        if let link = publisherLink.withLock({ $0 }) {
            if link.channel.isOpen { return link.channel }
            publisherLink.withLock { $0 = nil }
            try? await link.connection.close()
        }
        let connection = try await AMQPConnection.connect(configuration, group: pipeline.eventLoop)
        let channel = try await connection.openChannel()
        try await Self.declareQueues(on: channel, gateway: false)
        publisherLink.withLock { $0 = (connection, channel) }
        return channel
    }

    /// Vectors sent and dropped (broker unreachable) so far.
    public var publishCounts: (sent: Int, dropped: Int) { published.withLock { $0 } }
}

/// The connection for `features.dataset.ready`, kept between notifications instead of one per
/// message: opened on first use (queue declared, confirm mode), replaced when it has failed.
private actor DatasetReadyPublisher {
    let configuration: AMQPConfiguration
    private var link: (connection: AMQPConnection, channel: AMQPChannel)?

    init(configuration: AMQPConfiguration) {
        self.configuration = configuration
    }

    func publish(_ body: [UInt8]) async throws {
        // A kept connection can have died unnoticed since the last message (broker restart): the
        // message then gets one more try on a fresh one, as it had with a connection per message.
        let attempts = link?.channel.isOpen == true ? 2 : 1
        for attempt in 1...attempts {
            let used = try await open()
            do {
                try await used.channel.publish(body, routingKey: BrokerLink.datasetReadyQueue, properties: .persistentJSON)
                return
            } catch {
                // A failed connection is closed, not just forgotten: its socket would stay open.
                await close(used.connection)
                if attempt == attempts { throw error }
            }
        }
    }

    /// Closes the kept connection, if any.
    func close() async {
        if let link { await close(link.connection) }
    }

    private func close(_ connection: AMQPConnection) async {
        if link?.connection === connection { link = nil }
        try? await connection.close()
    }

    /// The kept connection and channel, opened first when there is none or it has closed.
    private func open() async throws -> (connection: AMQPConnection, channel: AMQPChannel) {
        if let link, link.channel.isOpen { return link }
        await close()
        let connection = try await AMQPConnection.connect(configuration)
        do {
            let channel = try await connection.openChannel()
            try await channel.queueDeclare(BrokerLink.datasetReadyQueue, durable: true)
            try await channel.confirmSelect()
            // Another notification opened one meanwhile (the actor is reentrant at each await): use that.
            if let link, link.channel.isOpen {
                try? await connection.close()
                return link
            }
            link = (connection, channel)
            return (connection, channel)
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
