import NIOCore

/// Publishes awaiting their confirm, in publish order. The broker numbers a channel's publishes
/// from 1 in confirm mode and confirms them in order (singly or `multiple` up to a tag), so a ring
/// of waiters from `firstTag` settles each in O(1), whatever is in flight: a dictionary copied on
/// each publish was quadratic in the pipelining depth.
struct PendingConfirms {
    private(set) var firstTag: UInt64 = 1
    private var waiters = CircularBuffer<AMQPConnection.ConfirmWaiter?>()

    /// The tag the next publish gets.
    var nextTag: UInt64 { firstTag + UInt64(waiters.count) }
    var isEmpty: Bool { waiters.isEmpty }

    /// Registers the waiter of the next publish.
    mutating func append(_ waiter: AMQPConnection.ConfirmWaiter) {
        waiters.append(waiter)
    }

    /// Takes the waiters `tag` settles: that one, or with `multiple` every one up to it.
    mutating func settle(_ tag: UInt64, multiple: Bool) -> [AMQPConnection.ConfirmWaiter] {
        var settled: [AMQPConnection.ConfirmWaiter] = []
        if multiple {
            while firstTag <= tag, let first = waiters.popFirst() {
                firstTag += 1
                if let first { settled.append(first) }
            }
        } else if tag >= firstTag && tag < nextTag {
            let index = waiters.index(waiters.startIndex, offsetBy: Int(tag - firstTag))
            if let waiter = waiters[index] { settled.append(waiter) }
            waiters[index] = nil
        }
        // Settled ones at the front go, so the ring holds only what is still in flight (and the gaps inside).
        while case .some(.none) = waiters.first {
            waiters.removeFirst()
            firstTag += 1
        }
        return settled
    }

    /// Takes every waiter (the channel failed).
    mutating func removeAll() -> [AMQPConnection.ConfirmWaiter] {
        defer {
            firstTag = nextTag
            waiters.removeAll()
        }
        return waiters.compactMap { $0 }
    }
}
