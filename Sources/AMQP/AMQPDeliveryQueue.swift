import Synchronization

/// One consumer's deliveries, taken in batches: what arrived while the consumer was busy is
/// taken with one call, so at saturation one wake-up and one hand-over serve many deliveries
/// (a stream hands them over one `next()` at a time). Its size is bounded by the channel's
/// prefetch: the broker sends no more than that many unacked deliveries.
public final class AMQPDeliveryQueue: Sendable {
    private let waiting = Outbox<AMQPDelivery>(limit: .max)
    /// Why the consumer ended, when it was an error.
    private let failure = Mutex<(any Error)?>(nil)

    init() {}

    /// Called by the connection as each delivery completes.
    func append(_ delivery: AMQPDelivery) { waiting.push(delivery) }

    /// The consumer ended (cancelled, its channel or connection closed): what waits can still be
    /// taken, then ``next(maximum:)`` throws `error`, or returns nil when there is none.
    func finish(throwing error: (any Error)? = nil) {
        if let error { failure.withLock { if $0 == nil { $0 = error } } }
        waiting.finish()
    }

    /// Up to `maximum` of the oldest waiting deliveries, in order, waiting for one when there is
    /// none; nil once the consumer ended cleanly and all were taken, or when the calling task is
    /// cancelled. Throws the error that ended the consumer. One taker at a time.
    public func next(maximum: Int = 512) async throws -> [AMQPDelivery]? {
        if let batch = await waiting.take(maximum: maximum) { return batch }
        if let error = failure.withLock({ $0 }) { throw error }
        return nil
    }
}

/// Where a consumer's deliveries go: a stream (one at a time) or a queue (in batches).
enum AMQPConsumerSink: Sendable {
    case stream(AsyncThrowingStream<AMQPDelivery, any Error>.Continuation)
    case queue(AMQPDeliveryQueue)

    func yield(_ delivery: AMQPDelivery) {
        switch self {
        case .stream(let continuation): continuation.yield(delivery)
        case .queue(let queue): queue.append(delivery)
        }
    }

    func finish(throwing error: (any Error)? = nil) {
        switch self {
        case .stream(let continuation): continuation.finish(throwing: error)
        case .queue(let queue): queue.finish(throwing: error)
        }
    }
}
