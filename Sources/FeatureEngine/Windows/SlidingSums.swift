import MarketData

/// Exact sums of `laneCount` values over several trailing time windows of one event stream.
///
/// Each window covers items with `T - length < ts <= T`. Two rules shape the design:
/// - **State changes only with events.** Items are evicted when an item is appended (at the
///   item's time), never when a value is read. Reading at a later `T` leaves out the items
///   that expired since without mutating anything, so the values at a grid point do not
///   depend on who read what before: the online and offline paths get the same bits.
/// - **Exact sums** (features.md §2). Each window and lane holds an ``ExactAccumulator``: an
///   item is added on entry and removed, exactly, on expiry, and a read rounds once. A sum
///   is a function of the items in the window alone — not of the order or the moment they
///   were added — so a replay that began at another time gives the same bits, and an empty
///   window is exactly 0.
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
        var sums: [ExactAccumulator]
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
        windows = lengths.map { Window(length: $0, sums: [ExactAccumulator](repeating: ExactAccumulator(), count: laneCount)) }
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
            for lane in 0..<laneCount where lanes[lane] != 0 { windows[index].sums[lane].add(lanes[lane]) }
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
        while windows[index].start < tail && ts[windows[index].start & mask] <= cutoff {
            let base = (windows[index].start & mask) * laneCount
            for lane in 0..<laneCount where values[base + lane] != 0 { windows[index].sums[lane].remove(values[base + lane]) }
            windows[index].start += 1
        }
        if windows[index].start == tail {
            // Empty: the accumulators hold exactly zero already; fresh ones keep them compact.
            for lane in 0..<laneCount { windows[index].sums[lane] = ExactAccumulator() }
        }
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

    /// The exact sum of `lanes` over the cut's items, rounded once (exactly 0 when there are none).
    func sum(_ cut: Cut, lanes: Range<Int>) -> Double {
        if cut.first >= tail { return 0 }
        let window = windows[cut.window]
        var total = window.sums[lanes.lowerBound]
        for lane in lanes.dropFirst() { total.add(window.sums[lane]) }
        // Items that expired between the last event and the read are left out of a copy.
        for absolute in window.start..<cut.first {
            let base = (absolute & mask) * laneCount
            for lane in lanes where values[base + lane] != 0 { total.remove(values[base + lane]) }
        }
        return total.value
    }

    /// The exact sum of one lane over the cut's items.
    func sum(_ cut: Cut, lane: Int) -> Double { sum(cut, lanes: lane..<(lane + 1)) }
}
