import Synchronization

/// One consumer's deliveries, taken in batches: what arrived while the consumer was busy is
/// taken with one call, so at saturation one wake-up and one hand-over serve many deliveries
/// (a stream hands them over one `next()` at a time). Its size is bounded by the channel's
/// prefetch: the broker sends no more than that many unacked deliveries.
public final class AMQPDeliveryQueue: Sendable {
    private struct State {
        var waiting: [AMQPDelivery] = []
        var waiter: CheckedContinuation<Void, Never>?
        /// Set once the consumer ended: nil error for a clean end (cancelled, channel closed).
        var ended: (any Error)?? = nil
    }

    private let state = Mutex(State())

    init() {}

    /// Called by the connection as each delivery completes.
    func append(_ delivery: AMQPDelivery) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard s.ended == nil else { return nil }
            s.waiting.append(delivery)
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// The consumer ended (cancelled, its channel or connection closed): what waits can still be
    /// taken, then ``next(maximum:)`` throws `error`, or returns nil when there is none.
    func finish(throwing error: (any Error)? = nil) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.ended == nil { s.ended = .some(error) }
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Up to `maximum` of the oldest waiting deliveries, in order, waiting for one when there is
    /// none; nil once the consumer ended cleanly and all were taken, or when the calling task is
    /// cancelled. Throws the error that ended the consumer. One taker at a time.
    public func next(maximum: Int = 512) async throws -> [AMQPDelivery]? {
        while true {
            let taken = state.withLock { s -> Result<[AMQPDelivery]?, any Error>? in
                if !s.waiting.isEmpty {
                    guard s.waiting.count > maximum else {
                        defer { s.waiting = [] }
                        return .success(s.waiting)
                    }
                    defer { s.waiting.removeFirst(maximum) }
                    return .success(Array(s.waiting.prefix(maximum)))
                }
                guard let ended = s.ended else { return nil }
                if let error = ended { return .failure(error) }
                return .success(nil)
            }
            if let taken { return try taken.get() }
            if Task.isCancelled { return nil }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = state.withLock { s -> Bool in
                        if !s.waiting.isEmpty || s.ended != nil || Task.isCancelled { return true }
                        precondition(s.waiter == nil, "an AMQPDeliveryQueue has one taker at a time")
                        s.waiter = continuation
                        return false
                    }
                    if ready { continuation.resume() }
                }
            } onCancel: {
                state.withLock { s -> CheckedContinuation<Void, Never>? in
                    defer { s.waiter = nil }
                    return s.waiter
                }?.resume()
            }
        }
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
