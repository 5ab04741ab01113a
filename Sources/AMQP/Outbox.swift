import Synchronization

/// An ordered, bounded queue between producers and one consumer that takes what is waiting in
/// batches, woken only when it had nothing left to do: a consumer's deliveries
/// (``AMQPDeliveryQueue``), the vectors the live publisher writes with one socket write. It keeps
/// the newest `limit` elements: a consumer that falls that far behind loses the oldest, and
/// ``push(_:)`` says so.
///
/// It is also an `AsyncSequence` of its elements (one consumer at a time), which ends when the
/// outbox is finished and drained, or when the iterating task is cancelled.
public final class Outbox<Element: Sendable>: AsyncSequence, Sendable {
    private struct State {
        var buffer: [Element] = []
        /// Elements before this index were taken.
        var head = 0
        var waiter: CheckedContinuation<Void, Never>?
        var finished = false
        var waiting: Int { buffer.count - head }
    }

    private let state = Mutex(State())
    /// The most elements kept waiting.
    public let limit: Int

    public init(limit: Int) {
        precondition(limit > 0)
        self.limit = limit
    }

    /// Appends `element`; false when the outbox was full and dropped its oldest element for it.
    /// After ``finish()``, nothing is appended (and true is returned: nothing was dropped).
    @discardableResult
    public func push(_ element: Element) -> Bool {
        let (kept, waiter) = state.withLock { s -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !s.finished else { return (true, nil) }
            var kept = true
            if s.waiting >= limit {
                s.head += 1
                kept = false
            }
            s.buffer.append(element)
            defer { s.waiter = nil }
            return (kept, s.waiter)
        }
        waiter?.resume()
        return kept
    }

    /// No more elements: what is waiting can still be taken, then takers get nil.
    public func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.finished = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Elements waiting now, without waiting.
    public var count: Int { state.withLock { $0.waiting } }

    /// Up to `maximum` of the oldest waiting elements, in order, waiting for one when there is
    /// none; nil once the outbox is finished and empty, or when the calling task is cancelled.
    /// One taker at a time.
    public func take(maximum: Int) async -> [Element]? {
        while true {
            if let batch = takeWaiting(maximum: maximum) { return batch }
            if state.withLock({ $0.finished }) || Task.isCancelled { return nil }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = state.withLock { s -> Bool in
                        if s.waiting > 0 || s.finished || Task.isCancelled { return true }
                        precondition(s.waiter == nil, "an Outbox has one taker at a time")
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

    /// Up to `maximum` of the oldest waiting elements without waiting; nil when there is none.
    public func takeWaiting(maximum: Int) -> [Element]? {
        state.withLock { s -> [Element]? in
            guard s.waiting > 0 else { return nil }
            if s.head == 0 && s.buffer.count <= maximum {
                // Everything: the array changes hands (no copy of its elements).
                defer { s.buffer = [] }
                return s.buffer
            }
            let end = Swift.min(s.head + maximum, s.buffer.count)
            let batch = Array(s.buffer[s.head..<end])
            s.head = end
            if s.head == s.buffer.count {
                s.buffer.removeAll(keepingCapacity: true)
                s.head = 0
            } else if s.head >= 4096 && s.head * 2 >= s.buffer.count {
                // Taken elements are dropped from the front once they are half the array (amortised O(1)).
                s.buffer.removeFirst(s.head)
                s.head = 0
            }
            return batch
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let outbox: Outbox
        var batch: [Element] = []
        var index = 0

        public mutating func next() async -> Element? {
            if index == batch.count {
                guard let taken = await outbox.take(maximum: 256) else { return nil }
                batch = taken
                index = 0
            }
            defer { index += 1 }
            return batch[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(outbox: self) }
}
