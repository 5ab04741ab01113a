import Foundation  // log (libm)
import MarketData

/// The mid price as of any instant within a lookback: a list of `(time, mid)` changes, with
/// NaN standing for "no mid" (out of sync or a side empty). Entries are evicted only when new
/// ones are recorded (event time), so reads are pure.
struct MidHistory: Sendable {
    let lookback: Nanos
    private var times: [Int64] = []
    private var mids: [Double] = []
    private var head = 0

    init(lookback: Nanos) { self.lookback = lookback }

    /// Records the mid after an event at `time` (non-decreasing).
    mutating func record(time: Nanos, mid: Double) {
        if head < times.count {
            let last = times.count - 1
            if mids[last].bitPattern == mid.bitPattern || (mids[last].isNaN && mid.isNaN) { return }
            if times[last] == time {
                // Same instant: only the final state of that instant is visible to readers.
                mids[last] = mid
                if last > head, mids[last - 1].bitPattern == mid.bitPattern || (mids[last - 1].isNaN && mid.isNaN) {
                    times.removeLast()
                    mids.removeLast()
                }
                return
            }
        } else if mid.isNaN {
            return  // nothing known before is the same as NaN
        }
        times.append(time)
        mids.append(mid)
        // Keep the last entry at or before `time - lookback`: reads down to that instant need it.
        let horizon = time &- lookback
        while head + 1 < times.count && times[head + 1] <= horizon { head += 1 }
        if head > 4096 && head * 2 > times.count {
            times.removeFirst(head)
            mids.removeFirst(head)
            head = 0
        }
    }

    /// The mid as of `instant` (NaN when unknown), for `instant >= lastTime - lookback`.
    func mid(asOf instant: Nanos) -> Double {
        var low = head
        var high = times.count
        while low < high {
            let middle = (low + high) >> 1
            if times[middle] <= instant { low = middle + 1 } else { high = middle }
        }
        return low == head ? .nan : mids[low - 1]
    }
}

/// The mid at every 1 s grid point within a lookback, for the grid-based kinds
/// (`volatility`, `zscore`). Grid point G holds the mid as of G; points not recorded yet
/// (no event since them) read the current mid, so reads are pure.
///
/// A settled point also keeps its log return from the point before, computed once when it is
/// recorded with the very expression a read would use, so a volatility read takes logs only of
/// the points not settled yet (the same bits, a few logs per vector instead of one per second).
struct GridMids: Sendable {
    private var tags: [Int64]
    private var mids: [Double]
    private var logReturns: [Double?]
    private(set) var lastRecorded: Int64 = .min  // grid index (seconds)

    init(capacity: Int) {
        tags = [Int64](repeating: .min, count: max(capacity, 1))
        mids = [Double](repeating: .nan, count: max(capacity, 1))
        logReturns = [Double?](repeating: nil, count: max(capacity, 1))
    }

    /// `log(m / previous)`, nil when either mid is unknown: the one definition of a grid return.
    @inline(__always) static func logReturn(_ m: Double, from previous: Double) -> Double? {
        m.isNaN || previous.isNaN ? nil : Foundation.log(m / previous)
    }

    var capacity: Int { tags.count }

    /// Before applying an event at `time`, records `currentMid` for every grid point `G < time`
    /// not recorded yet (the state as of all of them is the current one).
    mutating func advance(before time: Nanos, currentMid: Double, isFirstEvent: Bool) {
        let upTo = Time.floorDiv(time &- 1, Time.nanosPerSecond)
        if isFirstEvent {
            lastRecorded = upTo  // nothing was known before the first event
            return
        }
        guard upTo > lastRecorded else { return }
        let from = max(lastRecorded + 1, upTo - Int64(capacity) + 1)
        var g = from
        // The point before `from`, as a read would see it once `from` is settled.
        var previous = mid(at: from - 1, currentMid: .nan)
        while g <= upTo {
            let index = slot(g)
            tags[index] = g
            mids[index] = currentMid
            logReturns[index] = Self.logReturn(currentMid, from: previous)
            previous = currentMid
            g += 1
        }
        lastRecorded = upTo
    }

    private func slot(_ g: Int64) -> Int { ringSlot(of: g, capacity: capacity) }

    /// After a checkpoint restore: grid points up to `lastRecorded` are settled (and never read:
    /// a replay from a checkpoint reads only points after it); later ones read the current mid.
    mutating func restore(lastRecorded: Int64) {
        self.lastRecorded = lastRecorded
    }

    /// The mid at grid index `g` (seconds); NaN when unknown.
    func mid(at g: Int64, currentMid: Double) -> Double {
        if g > lastRecorded { return lastRecorded == .min ? .nan : currentMid }
        let index = slot(g)
        return tags[index] == g ? mids[index] : .nan
    }

    /// The known mids of the grid points in `range`, oldest first, into `buffer` (room for
    /// `range.count`); returns how many. The same values as ``mid(at:currentMid:)`` point by point.
    func mids(in range: ClosedRange<Int64>, currentMid: Double, into buffer: UnsafeMutablePointer<Double>) -> Int {
        var count = 0
        var index = slot(range.lowerBound)
        for g in range {
            let m = g > lastRecorded ? (lastRecorded == .min ? .nan : currentMid) : (tags[index] == g ? mids[index] : .nan)
            if !m.isNaN {
                buffer[count] = m
                count += 1
            }
            index = index + 1 == capacity ? 0 : index + 1
        }
        return count
    }

    /// The known log returns of the grid points in `range`, oldest first, into `buffer` (room for
    /// `range.count`); returns how many. The same values as ``logReturn(at:currentMid:)`` point by point.
    func logReturns(in range: ClosedRange<Int64>, currentMid: Double, into buffer: UnsafeMutablePointer<Double>) -> Int {
        var count = 0
        var index = slot(range.lowerBound)
        var g = range.lowerBound
        let lastSettled = min(range.upperBound, lastRecorded)
        tags.withUnsafeBufferPointer { tags in
            logReturns.withUnsafeBufferPointer { logReturns in
                while g <= lastSettled {
                    if tags[index] == g, let r = logReturns[index] {
                        buffer[count] = r
                        count += 1
                    }
                    index = index + 1 == tags.count ? 0 : index + 1
                    g += 1
                }
            }
        }
        // Points not recorded yet read the current mid (a few: the seconds since the last event).
        while g <= range.upperBound {
            if let r = logReturn(at: g, currentMid: currentMid) {
                buffer[count] = r
                count += 1
            }
            g += 1
        }
        return count
    }

    /// `logReturn(mid(at: g), from: mid(at: g - 1))`: kept for settled points, computed otherwise.
    func logReturn(at g: Int64, currentMid: Double) -> Double? {
        if g <= lastRecorded {
            let index = slot(g)
            return tags[index] == g ? logReturns[index] : nil
        }
        return Self.logReturn(mid(at: g, currentMid: currentMid), from: mid(at: g - 1, currentMid: currentMid))
    }
}

/// The slot of second (or grid index) `g` in a ring of `capacity` slots, for negative `g` too.
func ringSlot(of g: Int64, capacity: Int) -> Int {
    let slot = Int(g.remainderReportingOverflow(dividingBy: Int64(capacity)).partialValue)
    return slot < 0 ? slot + capacity : slot
}
