import MarketData

/// Sums of `laneCount` values over several trailing time windows of one event stream.
///
/// Each window covers items with `T - length < ts <= T`. Two rules shape the design:
/// - **State changes only with events.** Items are evicted when an item is appended (at the
///   item's time), never when a value is read. Reading at a later `T` excludes the extra
///   expired items without mutating anything, so the values at a grid point do not depend on
///   who read what before: the online and offline paths get the same bits.
/// - **No subtraction drift.** A running sum that adds on entry and subtracts on exit drifts
///   and can leave `1e-17` where the exact answer is 0 (turning a null rule into a huge
///   ratio). Each window is a two-stack queue: the older part ("front") stores suffix sums
///   computed once when items move there, the newer part ("back") a plain running sum. Every
///   read adds at most two partial sums of items actually in the window, so the result is as
///   exact as summing the window directly, O(1) amortised per item, and exactly 0 when empty.
struct SlidingSums: Sendable {
    let laneCount: Int
    private(set) var lengths: [Nanos]

    private var ts: [Int64]
    private var values: [Double]
    private var mask: Int
    private var tail = 0  // absolute index of the next item

    private var windows: [Window]

    private struct Window: Sendable {
        let length: Nanos
        var start = 0  // first live item (absolute)
        var flip = 0  // items [start, flip) are the front, [flip, tail) the back
        var frontBase = 0  // absolute index of suffix's first row
        var suffix: [Double] = []  // (flip - frontBase) rows of laneCount
        var back: [Double]

        mutating func evict(cutoff: Nanos, ts: [Int64], values: [Double], mask: Int, tail: Int, laneCount: Int) {
            guard start < tail, ts[start & mask] <= cutoff else { return }
            while start < tail && ts[start & mask] <= cutoff {
                if start == flip { flipAll(values: values, mask: mask, tail: tail, laneCount: laneCount) }
                start += 1
            }
            if start == tail {
                // Empty: start over from exact zeros.
                flip = tail
                frontBase = tail
                suffix.removeAll(keepingCapacity: true)
                for lane in 0..<laneCount { back[lane] = 0 }
            }
        }

        /// Moves the back into the front, computing suffix sums newest to oldest.
        mutating func flipAll(values: [Double], mask: Int, tail: Int, laneCount: Int) {
            let count = tail - start
            frontBase = start
            suffix.removeAll(keepingCapacity: true)
            suffix.append(contentsOf: repeatElement(0, count: count * laneCount))
            var row = count - 1
            var absolute = tail - 1
            while row >= 0 {
                let source = (absolute & mask) * laneCount
                for lane in 0..<laneCount {
                    let value = values[source + lane]
                    suffix[row * laneCount + lane] = row + 1 < count ? value + suffix[(row + 1) * laneCount + lane] : value
                }
                row -= 1
                absolute -= 1
            }
            for lane in 0..<laneCount { back[lane] = 0 }
            flip = tail
        }
    }

    /// A window cut at some `T`: live items are `[first, end)`.
    struct Cut {
        let window: Int
        let first: Int
        let end: Int
        var count: Int { end - first }
    }

    init(laneCount: Int, lengths: [Nanos]) {
        self.laneCount = laneCount
        self.lengths = lengths
        let capacity = 1024
        ts = [Int64](repeating: 0, count: capacity)
        values = [Double](repeating: 0, count: capacity * laneCount)
        mask = capacity - 1
        windows = lengths.map { Window(length: $0, back: [Double](repeating: 0, count: laneCount)) }
    }

    /// Appends one item at time `time` (non-decreasing), evicting expired items first.
    mutating func append(time: Nanos, lanes: UnsafeBufferPointer<Double>) {
        for index in windows.indices { evict(index, cutoff: time &- windows[index].length) }
        var head = tail
        for window in windows { head = min(head, window.start) }
        if tail - head == ts.count { grow(head: head) }
        let slot = tail & mask
        ts[slot] = time
        let base = slot * laneCount
        for lane in 0..<laneCount { values[base + lane] = lanes[lane] }
        tail += 1
        for index in windows.indices {
            windows[index].back.withUnsafeMutableBufferPointer { back in
                for lane in 0..<laneCount { back[lane] += lanes[lane] }
            }
        }
    }

    private mutating func grow(head: Int) {
        let newCapacity = ts.count * 2
        var newTs = [Int64](repeating: 0, count: newCapacity)
        var newValues = [Double](repeating: 0, count: newCapacity * laneCount)
        let newMask = newCapacity - 1
        for absolute in head..<tail {
            newTs[absolute & newMask] = ts[absolute & mask]
            for lane in 0..<laneCount {
                newValues[(absolute & newMask) * laneCount + lane] = values[(absolute & mask) * laneCount + lane]
            }
        }
        ts = newTs
        values = newValues
        mask = newMask
    }

    private mutating func evict(_ index: Int, cutoff: Nanos) {
        // The window is mutated in place: a local copy would make its arrays copy on write.
        windows[index].evict(cutoff: cutoff, ts: ts, values: values, mask: mask, tail: tail, laneCount: laneCount)
    }

    /// The live items of window `index` at time `time` (>= the last appended item's time).
    func cut(_ index: Int, at time: Nanos) -> Cut {
        let window = windows[index]
        let cutoff = time &- window.length
        var low = window.start
        var high = tail
        while low < high {
            let mid = (low + high) >> 1
            if ts[mid & mask] <= cutoff { low = mid + 1 } else { high = mid }
        }
        return Cut(window: index, first: low, end: tail)
    }

    /// The sum of `lane` over the cut's items (exactly 0 when there are none).
    func sum(_ cut: Cut, lane: Int) -> Double {
        let window = windows[cut.window]
        if cut.first >= tail { return 0 }
        if cut.first < window.flip {
            let front = window.suffix[(cut.first - window.frontBase) * laneCount + lane]
            return window.flip == tail ? front : front + window.back[lane]
        }
        if cut.first == window.flip { return window.back[lane] }
        // Items expired between the last event and `time` reach into the back: sum directly.
        var total = 0.0
        for absolute in cut.first..<tail { total += values[(absolute & mask) * laneCount + lane] }
        return total
    }
}
