import AMQP
import Logging
import ServiceLifecycle

/// `feature-service worker`: takes dataset build tasks from the durable work queue, one at a
/// time (prefetch 1), through broker restarts. A message is acked only once its task is done
/// (part durable, state `done`) or needs no more work; on graceful shutdown the current task is
/// given back and its message requeued.
struct DatasetWorkerService: Service, CustomStringConvertible {
    let configuration: AMQPConfiguration
    let executor: DatasetTaskExecutor
    let logger: Logger
    var description: String { "dataset-worker" }

    func run() async throws {
        let logger = self.logger
        let consumer = AMQPReconnectingConsumer(
            configuration: configuration, queues: [DatasetWorkQueue.name], prefetch: 1,
            onFailure: { error, attempt in
                logger.warning(
                    "work queue connection failed; reconnecting", metadata: ["error": .string("\(error)"), "attempt": "\(attempt)"])
            },
            setup: { try await DatasetWorkQueue.declare(on: $0) })
        let executor = self.executor
        try await runUntilShutdown {
            await consumer.run { delivery in
                switch await executor.handle(body: delivery.body) {
                case .ack: _ = delivery.channel.ack(deliveryTag: delivery.deliveryTag)
                case .requeue: _ = delivery.channel.nack(deliveryTag: delivery.deliveryTag, requeue: true)
                }
            }
        }
    }
}
