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
///
/// Batches go round: once the caller has read a batch, it goes back to the decoding thread,
/// which reads the next events into the same events (``StoreReplay/next(into:)``), so a book's
/// level arrays are refilled rather than allocated per message when the caller keeps no event.
public final class PrefetchingReplay {
    /// Decoded batches handed from the decoding thread to the caller.
    private final class Channel: @unchecked Sendable {
        let condition = NSCondition()
        var batches: [[MarketEvent]] = []
        /// Batches the caller has read, for the decoding thread to refill.
        var spare: [[MarketEvent]] = []
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
                channel.condition.lock()
                var events = channel.spare.popLast() ?? []
                channel.condition.unlock()
                var filled = 0
                var failure: (any Error)?
                do {
                    while filled < batch {
                        if filled == events.count { events.append(RowCursor.emptyEvent(symbol: "")) }
                        guard try source.replay.next(into: &events[filled]) else { break }
                        filled += 1
                    }
                } catch {
                    failure = error
                }
                events.removeLast(events.count - filled)
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
        let read = current
        current = channel.batches.removeFirst()
        if read.count > 0 { channel.spare.append(read) }
        channel.condition.broadcast()
        channel.condition.unlock()
        index = 1
        return current[0]
    }
}
