import Foundation
public import MarketData

/// A ``StoreReplay`` whose reading and Parquet decoding run on a thread of its own, a few
/// batches ahead of the caller: the decoder and the engine that consumes the events then use
/// two cores instead of taking turns on one. Same events, same order, same errors (an error is
/// thrown by ``next()`` where the plain replay would have thrown it).
///
/// For long replays (datasets, offline rebuilds, quality rebuilds). The thread stops when the
/// replay ends, fails, or this object is released (a caller that stops early costs at most the
/// batches already decoded).
public final class PrefetchingReplay {
    /// Decoded batches handed from the decoding thread to the caller.
    private final class Channel: @unchecked Sendable {
        let condition = NSCondition()
        var batches: [[MarketEvent]] = []
        var finished = false
        var failure: (any Error)?
        var cancelled = false
        let depth: Int

        init(depth: Int) { self.depth = depth }
    }

    /// The replay, handed over to the decoding thread (never touched by the caller again).
    private final class Source: @unchecked Sendable {
        var replay: StoreReplay
        init(_ replay: StoreReplay) { self.replay = replay }
    }

    private let channel: Channel
    private var current: [MarketEvent] = []
    private var index = 0

    /// - Parameters:
    ///   - replay: the replay to read ahead of the caller.
    ///   - batch: events per hand-over (one lock round trip each).
    ///   - depth: batches decoded ahead at most (bounds the memory held).
    public init(_ replay: StoreReplay, batch: Int = 8_192, depth: Int = 4) {
        let channel = Channel(depth: max(1, depth))
        self.channel = channel
        let source = Source(replay)
        let thread = Thread {
            var done = false
            while !done {
                var events: [MarketEvent] = []
                events.reserveCapacity(batch)
                var failure: (any Error)?
                do {
                    while events.count < batch, let event = try source.replay.next() { events.append(event) }
                } catch {
                    failure = error
                }
                done = events.count < batch || failure != nil
                channel.condition.lock()
                while channel.batches.count >= channel.depth && !channel.cancelled { channel.condition.wait() }
                if channel.cancelled {
                    channel.condition.unlock()
                    return
                }
                if !events.isEmpty { channel.batches.append(events) }
                if done {
                    channel.failure = failure
                    channel.finished = true
                }
                channel.condition.broadcast()
                channel.condition.unlock()
            }
        }
        thread.name = "store-replay-decode"
        thread.start()
    }

    deinit {
        channel.condition.lock()
        channel.cancelled = true
        channel.condition.broadcast()
        channel.condition.unlock()
    }

    /// The next event, nil at the end; throws what reading the store threw.
    public func next() throws -> MarketEvent? {
        if index < current.count {
            defer { index += 1 }
            return current[index]
        }
        channel.condition.lock()
        while channel.batches.isEmpty && !channel.finished { channel.condition.wait() }
        if channel.batches.isEmpty {
            let failure = channel.failure
            channel.failure = nil
            channel.condition.unlock()
            if let failure { throw failure }
            return nil
        }
        current = channel.batches.removeFirst()
        channel.condition.broadcast()
        channel.condition.unlock()
        index = 1
        return current[0]
    }
}
