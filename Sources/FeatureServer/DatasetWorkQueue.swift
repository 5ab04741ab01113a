public import AMQP
public import API
import Foundation

/// The durable work queue of distributed dataset builds: one persistent message per task,
/// holding only the task's id (``DatasetTaskMessage``); its state and lease are in the
/// metadata store.
public enum DatasetWorkQueue {
    public static let name = "feature-service.dataset.tasks"

    /// Declares the queue (durable, so queued tasks survive a broker restart).
    public static func declare(on channel: AMQPChannel) async throws {
        try await channel.queueDeclare(name, durable: true)
    }
}

/// Publishes task messages with publisher confirms: ``publish(_:)`` returns once the broker
/// has every message. Connects on first use and again after a failure.
public actor DatasetTaskPublisher {
    public let configuration: AMQPConfiguration
    private var connection: AMQPConnection?
    private var channel: AMQPChannel?

    public init(configuration: AMQPConfiguration) {
        var configuration = configuration
        configuration.connectionName = "feature-service dataset coordinator"
        self.configuration = configuration
    }

    /// Publishes every message (persistent); retries once on a fresh connection (a message sent
    /// twice is harmless: a worker finds the task done and acks it).
    public func publish(_ messages: [DatasetTaskMessage]) async throws {
        var lastError: (any Error)?
        for _ in 0..<2 {
            do {
                let channel = try await open()
                for message in messages {
                    try await channel.publish(
                        Array(try JSONEncoder().encode(message)), routingKey: DatasetWorkQueue.name, properties: .persistentJSON)
                }
                return
            } catch {
                lastError = error
                await reset()
            }
        }
        throw lastError!
    }

    private func open() async throws -> AMQPChannel {
        if let channel, channel.isOpen { return channel }
        await reset()
        let connection = try await AMQPConnection.connect(configuration)
        self.connection = connection
        let channel = try await connection.openChannel()
        try await DatasetWorkQueue.declare(on: channel)
        try await channel.confirmSelect()
        self.channel = channel
        return channel
    }

    private func reset() async {
        channel = nil
        if let connection { try? await connection.close() }
        connection = nil
    }

    /// Closes the connection.
    public func close() async { await reset() }
}
