import Foundation
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix

/// Consumes queues through broker restarts and network failures: connects, runs `setup`
/// (declarations, qos) on a fresh channel, consumes every queue, and on any failure
/// reconnects with exponential backoff (capped, with jitter) and does it all again.
/// Unacked deliveries of a dead connection are redelivered by the broker (flagged
/// `redelivered`); acks for them are refused by their dead channel.
public struct AMQPReconnectingConsumer: Sendable {
    /// The broker to connect to, at each attempt.
    public let configuration: AMQPConfiguration
    /// Queues consumed on every connection; one that is missing fails the round (and it is retried).
    public let queues: [String]
    /// Queues consumed only if they exist (checked passively at each connect).
    public let optionalQueues: [String]
    /// The channel's basic.qos prefetch count: unacked deliveries the broker sends ahead.
    public let prefetch: UInt16
    /// Runs on each fresh channel before consuming (declarations, bindings): declared
    /// resources are then back after a broker restart.
    public let setup: @Sendable (AMQPChannel) async throws -> Void
    /// The delay before the first retry; it doubles with each consecutive failure.
    public let initialBackoff: Duration
    /// The cap on the delay between retries (before jitter, which takes 0-50% off).
    public let maximumBackoff: Duration
    /// Called with each connection failure (for logs and metrics).
    public let onFailure: @Sendable (any Error, Int) -> Void
    /// Consume exclusively: while another connection holds an exclusive consumer on a queue, the
    /// broker refuses this one (403 ACCESS_REFUSED) and the round is retried with backoff — a hot
    /// standby that takes over once the active consumer's connection is gone.
    public let exclusive: Bool
    /// Where connections run (their event loop).
    public let eventLoopGroup: any EventLoopGroup
    /// Where the tasks that take each queue's deliveries prefer to run (nil: the global executor).
    public let taskExecutor: (any TaskExecutor)?

    /// A consumer that does nothing until ``deliveries()`` is called. `onFailure` receives each
    /// error with the attempt number (0 for an optional queue found missing).
    public init(
        configuration: AMQPConfiguration, queues: [String], optionalQueues: [String] = [], prefetch: UInt16 = 1000,
        initialBackoff: Duration = .milliseconds(100), maximumBackoff: Duration = .seconds(10), exclusive: Bool = false,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, taskExecutor: (any TaskExecutor)? = nil,
        onFailure: @escaping @Sendable (any Error, Int) -> Void = { _, _ in },
        setup: @escaping @Sendable (AMQPChannel) async throws -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.queues = queues
        self.optionalQueues = optionalQueues
        self.prefetch = prefetch
        self.setup = setup
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.onFailure = onFailure
        self.exclusive = exclusive
        self.eventLoopGroup = eventLoopGroup
        self.taskExecutor = taskExecutor
    }

    /// Deliveries from every queue, across reconnects, until the consuming task is cancelled.
    public func deliveries() -> AsyncStream<AMQPDelivery> {
        let (stream, continuation) = AsyncStream.makeStream(of: AMQPDelivery.self, bufferingPolicy: .unbounded)
        let task = Task {
            await run { delivery in continuation.yield(delivery) }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Consumes every queue, across reconnects, until the calling task is cancelled, handing each
    /// delivery to `handle` on the task that reads its queue: one task per queue, no stream in
    /// between (each hop between tasks is latency on a busy machine). Deliveries of one queue are
    /// handled one at a time, in order; different queues are handled concurrently.
    public func run(handle: @escaping @Sendable (AMQPDelivery) async -> Void) async {
        await run(batches: { deliveries in
            for delivery in deliveries { await handle(delivery) }
        })
    }

    /// ``run(handle:)`` with the deliveries handed over in batches: each call gets what arrived on
    /// its queue since the previous call returned (at most `maximumBatch`), in order. At
    /// saturation one hand-over serves many deliveries; when idle a batch is one delivery.
    public func run(maximumBatch: Int = 512, batches handle: @escaping @Sendable ([AMQPDelivery]) async -> Void) async {
        var attempt = 0
        var generator = SystemRandomNumberGenerator()
        while !Task.isCancelled {
            var open: AMQPConnection?
            do {
                let connection = try await AMQPConnection.connect(configuration, group: eventLoopGroup)
                open = connection
                attempt = 0
                var present: [String] = []
                for queue in optionalQueues {
                    // A passive declare of a missing queue closes its channel: use a scratch one.
                    let probe = try await connection.openChannel()
                    do {
                        try await probe.queueDeclare(queue, passive: true)
                        present.append(queue)
                        try await probe.close()
                    } catch AMQPError.channelClosed(404, _, _, _) {
                        onFailure(
                            AMQPError.channelClosed(
                                code: 404, text: "optional queue \(queue) does not exist: not consumed", classId: 50, methodId: 10), 0)
                    }
                }
                let channel = try await connection.openChannel()
                try await setup(channel)
                try await channel.basicQos(prefetchCount: prefetch)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for queue in queues + present {
                        let (_, deliveries) = try await channel.consumeInBatches(queue: queue, exclusive: exclusive)
                        group.addTask(executorPreference: taskExecutor) {
                            while let batch = try await deliveries.next(maximum: maximumBatch) { await handle(batch) }
                            throw AMQPError.connectionLost("consumer of \(queue) ended")
                        }
                    }
                    try await group.next()
                }
            } catch {
                // Whatever ended this round (cancellation, a channel error, a lost link), the
                // connection goes with it: a live one left behind would keep a consumer that
                // takes deliveries and never acks them.
                if let open { try? await open.close() }
                if Task.isCancelled { break }
                attempt += 1
                onFailure(error, attempt)
                let base = initialBackoff * Int(1 << min(attempt - 1, 16))
                let capped = min(base, maximumBackoff)
                let jitter = Double.random(in: 0.5...1.0, using: &generator)
                try? await Task.sleep(for: capped * jitter)
            }
        }
    }
}
