public import AMQP
import Foundation
public import Logging
import MarketData
import Synchronization

/// `feature-service route`: consumes the gateway's queues and republishes every message,
/// unchanged (body, headers, properties), to ``SymbolRoute/exchange`` keyed by its symbol, with
/// publisher confirms; a gateway message is acked only once the broker confirmed its copy, so a
/// router killed at any point loses nothing (the broker redelivers what it had not acked; a copy
/// published twice is dropped by the shard's duplicate filter on the event id).
///
/// Consumers are exclusive: a second router started against the same broker waits as a hot
/// standby — the broker refuses its consumers while the active router's connection lives and
/// accepts them within its retry interval (at most ``Options/standbyRetry``) once it is gone.
public final class SymbolRouter: Sendable {
    /// Tuning; the defaults suit a whole-exchange feed.
    public struct Options: Sendable {
        /// Unacked gateway deliveries (and so unconfirmed republished copies) in flight per connection.
        public var prefetch: UInt16 = 2000
        /// The longest wait between two attempts of a standby to take the queues over.
        public var standbyRetry: Duration = .milliseconds(500)
        /// The gateway queues this router consumes (nil: all of them). Several active routers can
        /// split the queues between them, each with its own standby: a message's copies stay in
        /// order per queue, whichever router moves it.
        public var queues: [String]?
        public init() {}
    }

    /// What the router did so far.
    public struct Counters: Sendable, Equatable {
        /// Messages republished and confirmed (then acked at the gateway queue).
        public var routed = 0
        /// Of those, messages without a readable symbol (sent on to the unrouted queue).
        public var withoutSymbol = 0
        /// Confirms that failed (nack or lost channel): their gateway messages are redelivered.
        public var failed = 0
        /// Rounds refused because another router holds the queues (this one is the standby).
        public var standbyRounds = 0
        /// Whether this router holds the gateway queues now.
        public var active = false
    }

    public let configuration: AMQPConfiguration
    public let options: Options
    let logger: Logger
    private let counters = Mutex(Counters())
    private let publishChannel = Mutex<AMQPChannel?>(nil)
    /// Gateway deliveries whose copies the broker confirmed, to ack (in batches, see ``ackLoop()``).
    private let confirmed = Mutex<[AMQPDelivery.Receipt]>([])

    public init(configuration: AMQPConfiguration, options: Options = Options(), logger: Logger) {
        self.configuration = configuration
        self.options = options
        self.logger = logger
    }

    /// The counters now.
    public var snapshot: Counters { counters.withLock { $0 } }

    /// Routes until the calling task is cancelled, through broker restarts and failovers.
    public func run() async {
        let logger = self.logger
        let required = options.queues ?? GatewayQueues.required
        let consumer = AMQPReconnectingConsumer(
            configuration: configuration, queues: required, optionalQueues: options.queues == nil ? GatewayQueues.optional : [],
            prefetch: options.prefetch, initialBackoff: .milliseconds(50), maximumBackoff: options.standbyRetry, exclusive: true,
            onFailure: { [self] error, attempt in
                let wasActive = counters.withLock { c in
                    defer { c.active = false }
                    return c.active
                }
                publishChannel.withLock { $0 = nil }
                if case AMQPError.channelClosed(403, _, _, _) = error {
                    let rounds = counters.withLock { c in
                        c.standbyRounds += 1
                        return c.standbyRounds
                    }
                    if wasActive || rounds == 1 {
                        logger.notice("another router holds the gateway queues: standing by")
                    }
                } else if attempt > 0 {
                    logger.warning("router connection failed: \(error)", metadata: ["attempt": .stringConvertible(attempt)])
                }
            },
            setup: { [self] channel in
                if options.queues == nil { try await GatewayQueues.declare(on: channel) }
                try await SymbolRoute.declareTopology(on: channel)
                // Republished copies go out on their own channel of the same connection, in
                // confirm mode: a failure of either ends the round and everything unacked comes back.
                let publisher = try await channel.owner.openChannel()
                try await publisher.confirmSelect()
                publishChannel.withLock { $0 = publisher }
            })
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.ackLoop() }
            await consumer.run { [self] delivery in
                let first = counters.withLock { c in
                    defer { c.active = true }
                    return !c.active
                }
                if first { logger.notice("router active: consuming the gateway queues") }
                route(delivery)
            }
            group.cancelAll()
        }
    }

    /// Every millisecond, acks what was confirmed since: one `multiple` ack per contiguous batch
    /// instead of one frame per message (the broker's work per ack is most of a plain consumer's).
    private func ackLoop() async {
        var acknowledger = AMQPBatchAcknowledger()
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(1))
            let batch = confirmed.withLock { list -> [AMQPDelivery.Receipt] in
                defer { list.removeAll(keepingCapacity: true) }
                return list
            }
            if !batch.isEmpty { acknowledger.acknowledge(batch) }
        }
    }

    /// Republishes one delivery and acks it once confirmed. Runs on the task reading its queue, so
    /// the copies of one queue go out in the order the gateway published them.
    private func route(_ delivery: AMQPDelivery) {
        let (key, symbol) = SymbolRoute.routingKey(for: delivery.body, source: delivery.routingKey)
        guard let publisher = publishChannel.withLock({ $0 }) else {
            // Between rounds: the delivery's channel is closing too; the broker redelivers it.
            return
        }
        do {
            try publisher.publish(
                delivery.body, exchange: SymbolRoute.exchange, routingKey: key, properties: delivery.properties
            ) { [self] result in
                switch result {
                case .success:
                    confirmed.withLock { $0.append(delivery.receipt) }
                    counters.withLock { c in
                        c.routed += 1
                        if symbol == nil { c.withoutSymbol += 1 }
                    }
                case .failure:
                    counters.withLock { $0.failed += 1 }
                    // Not acked: closing the connection hands every unacked message back, in order.
                    Self.abandon(delivery.channel)
                }
            }
        } catch {
            counters.withLock { $0.failed += 1 }
            Self.abandon(delivery.channel)
        }
    }

    private static func abandon(_ channel: AMQPChannel) {
        let connection = channel.owner
        Task { try? await connection.close() }
    }
}
