public import AMQP

/// The gateway's queues (interfaces.md §1): what the service, or the router in front of its
/// shards, consumes.
public enum GatewayQueues {
    /// Declared by the gateway and by us with ``arguments``.
    public static let required = [
        "ws-gateway.orderbook", "ws-gateway.trade", "ws-gateway.kline", "ws-gateway.ticker",
        "ws-gateway.funding", "ws-gateway.position",
    ]
    /// Consumed when present: own executions, and the position manager's events.
    public static let optional = ["ws-gateway.order", "position-manager.position_updated"]
    /// The arguments the gateway declares its queues with (a mismatch is a channel error).
    public static let arguments: AMQPTable = [
        "x-message-ttl": .int64(86_400_000), "x-max-length": .int64(100_000),
        "x-overflow": .string("drop-head"),
    ]

    /// Declares the required queues with the gateway's arguments; `purge` empties them first
    /// (tests and benchmarks start from clean queues).
    public static func declare(on channel: AMQPChannel, purge: Bool = false) async throws {
        for queue in required {
            try await channel.queueDeclare(queue, durable: true, arguments: arguments)
            if purge { try await channel.queuePurge(queue) }
        }
    }
}
