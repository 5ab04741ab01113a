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
    /// The exact sums, one ``ExactDigits`` block per window and lane, in one flat buffer.
    private var sums: [Int64]

    private struct Window: Sendable {
        let length: Nanos
        var start = 0  // first live item (absolute)
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
        windows = lengths.map { Window(length: $0) }
        sums = [Int64](repeating: 0, count: lengths.count * laneCount * ExactDigits.stride)
    }

    /// Appends one item at time `time` (non-decreasing), evicting expired items first.
    ///
    /// Per item, every window's exact sum takes one add and, later, one removal per non-zero
    /// lane; the buffers are reached through one pointer each per call (no uniqueness check or
    /// retain per window or per element: this runs for every trade and book event).
    mutating func append(time: Nanos, lanes: UnsafeBufferPointer<Double>) {
        let laneCount = self.laneCount
        let stride = ExactDigits.stride
        let tail = self.tail
        let head = evictExpired(at: time)
        if tail - head == ts.count { grow(head: head) }
        let slot = tail & self.mask
        let windowCount = windows.count
        ts.withUnsafeMutableBufferPointer { $0[slot] = time }
        values.withUnsafeMutableBufferPointer { buffer in
            for lane in 0..<laneCount { buffer[slot * laneCount + lane] = lanes[lane] }
        }
        self.tail = tail + 1
        sums.withUnsafeMutableBufferPointer { blocks in
            for lane in 0..<laneCount where lanes[lane] != 0 {
                for index in 0..<windowCount {
                    ExactDigits.add(lanes[lane], sign: 1, to: blocks.baseAddress! + (index * laneCount + lane) * stride)
                }
            }
        }
    }

    /// Removes from every window the items that expire at `time`; returns the oldest item any
    /// window still holds.
    private mutating func evictExpired(at time: Nanos) -> Int {
        let laneCount = self.laneCount
        let stride = ExactDigits.stride
        let (tail, mask) = (self.tail, self.mask)
        var head = tail
        ts.withUnsafeBufferPointer { ts in
            values.withUnsafeBufferPointer { values in
                sums.withUnsafeMutableBufferPointer { blocks in
                    windows.withUnsafeMutableBufferPointer { windows in
                        for index in 0..<windows.count {
                            var start = windows[index].start
                            let cutoff = time &- windows[index].length
                            if start < tail && ts[start & mask] <= cutoff {
                                let first = blocks.baseAddress! + index * laneCount * stride
                                repeat {
                                    let base = (start & mask) * laneCount
                                    for lane in 0..<laneCount where values[base + lane] != 0 {
                                        ExactDigits.add(values[base + lane], sign: -1, to: first + lane * stride)
                                    }
                                    start += 1
                                } while start < tail && ts[start & mask] <= cutoff
                                // Empty: the digits are exactly zero; cleared, they need no carry propagation later.
                                if start == tail { first.update(repeating: 0, count: laneCount * stride) }
                                windows[index].start = start
                            }
                            head = min(head, start)
                        }
                    }
                }
            }
        }
        return head
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
    func sum(_ cut: Cut, lanes: Range<Int>) -> Double { sum(cut, signed: lanes.map { ($0, 1) }) }

    /// The exact sum of lanes, each added (sign 1) or subtracted (sign -1), over the cut's
    /// items, rounded once: e.g. buy volume minus sell volume as one exact value.
    func sum(_ cut: Cut, signed lanes: [(lane: Int, sign: Int64)]) -> Double {
        if cut.first >= tail { return 0 }
        let start = windows[cut.window].start
        return sums.withUnsafeBufferPointer { blocks in
            let first = blocks.baseAddress! + cut.window * laneCount * ExactDigits.stride
            if lanes.count == 1 && lanes[0].sign == 1 && start == cut.first {
                return ExactDigits.value(of: first + lanes[0].lane * ExactDigits.stride)
            }
            return withUnsafeTemporaryAllocation(of: Int64.self, capacity: ExactDigits.stride) { scratch in
                let total = scratch.baseAddress!
                total.initialize(repeating: 0, count: ExactDigits.stride)
                for (lane, sign) in lanes { ExactDigits.merge(first + lane * ExactDigits.stride, into: total, sign: sign) }
                // Items that expired between the last event and the read are left out of the copy.
                for absolute in start..<cut.first {
                    let base = (absolute & mask) * laneCount
                    for (lane, sign) in lanes where values[base + lane] != 0 {
                        ExactDigits.add(values[base + lane], sign: -sign, to: total)
                    }
                }
                return ExactDigits.value(of: total)
            }
        }
    }

    /// The exact sum of one lane over the cut's items.
    func sum(_ cut: Cut, lane: Int) -> Double { sum(cut, lanes: lane..<(lane + 1)) }
}
