import MarketData

/// Exact sums of `laneCount` values over several trailing time windows of one event stream.
///
/// Each window covers items with `T - length < ts <= T`. Three rules shape the design:
/// - **State changes only with events.** Nothing is written when a value is read, so the values
///   at a grid point do not depend on who read what before: the online and offline paths get the
///   same bits.
/// - **Exact sums** (features.md §2). A window's sum is the exact sum of its items, rounded once;
///   it is a function of the items in the window alone — not of the order or the moment they were
///   added — so a replay that began at another time gives the same bits, and an empty window is
///   exactly 0.
/// - **One exact add per item, whatever the number of windows.** Every lane keeps one running
///   exact total of all its items (an ``ExactDigits`` block), and a copy of that total is kept at
///   the end of every second: `S(b)`, the exact sum of the items with `ts <= b` seconds. A window
///   cut at `x = T - length` is `total - S(x)`, where `S(x)` is the mark of the second at or before
///   `x` plus the few items after that second up to `x` (none for grid reads of whole-second
///   windows). The difference of two exact values is exact: the same bits as summing the items.
struct SlidingSums: Sendable {
    let laneCount: Int
    private(set) var lengths: [Nanos]

    // Items back to the longest window plus a second (what a cut between marks reads).
    private var ts: [Int64]
    private var values: [Double]
    private var mask: Int
    private var head = 0  // absolute index of the oldest kept item
    private var tail = 0  // absolute index of the next item
    private let retention: Nanos

    /// The running exact totals, one block per lane.
    private var totals: [Int64]
    /// `S(b)` for the seconds `b` in `(lastMarked - markCapacity, lastMarked]`: `laneCount` blocks
    /// per second in a ring, tagged with their second.
    private var marks: [Int64]
    private var markTags: [Int64]
    private let markCapacity: Int
    /// Every second `b` with `b * 1 s` before the last item is marked; seconds up to `origin` come
    /// before the first item (their marks are 0).
    private var lastMarked: Int64 = .min
    private var origin: Int64 = .min

    /// A window cut at some `T`: live items are `[first, end)`, `cutoff` is `T - length`.
    struct Cut {
        let window: Int
        let first: Int
        let end: Int
        let cutoff: Nanos
        var count: Int { end - first }
    }

    init(laneCount: Int, lengths: [Nanos]) {
        self.laneCount = laneCount
        self.lengths = lengths
        let longest = lengths.max() ?? 0
        retention = longest &+ Time.nanosPerSecond
        let capacity = 1024
        ts = [Int64](repeating: 0, count: capacity)
        values = [Double](repeating: 0, count: capacity * laneCount)
        mask = capacity - 1
        totals = [Int64](repeating: 0, count: laneCount * ExactDigits.stride)
        // Reads reach back to the second at or before `last item - longest`; two more for rounding.
        markCapacity = Int(Time.floorDiv(longest, Time.nanosPerSecond)) + 3
        marks = [Int64](repeating: 0, count: markCapacity * laneCount * ExactDigits.stride)
        markTags = [Int64](repeating: .min, count: markCapacity)
    }

    /// Appends one item at time `time` (non-decreasing): marks the seconds it closes, adds the item
    /// to each lane's total (one exact add per non-zero lane) and lets items older than every
    /// window go.
    mutating func append(time: Nanos, lanes: UnsafeBufferPointer<Double>) {
        let laneCount = self.laneCount
        let stride = ExactDigits.stride
        markSeconds(before: time)
        let horizon = time &- retention
        let (mask, tail) = (self.mask, self.tail)
        var head = self.head
        ts.withUnsafeBufferPointer { ts in
            while head < tail && ts[head & mask] <= horizon { head += 1 }
        }
        self.head = head
        if tail - head == ts.count { grow() }
        let slot = tail & self.mask
        ts.withUnsafeMutableBufferPointer { $0[slot] = time }
        values.withUnsafeMutableBufferPointer { buffer in
            for lane in 0..<laneCount { buffer[slot * laneCount + lane] = lanes[lane] }
        }
        self.tail = tail + 1
        totals.withUnsafeMutableBufferPointer { blocks in
            for lane in 0..<laneCount where lanes[lane] != 0 {
                ExactDigits.add(lanes[lane], sign: 1, to: blocks.baseAddress! + lane * stride)
            }
        }
    }

    /// Before an item at `time`: every second `b` with `b * 1 s < time` not marked yet gets the
    /// totals so far (no item of this one is at or before it).
    private mutating func markSeconds(before time: Nanos) {
        let upTo = Time.floorDiv(time &- 1, Time.nanosPerSecond)
        if lastMarked == .min {
            lastMarked = upTo
            origin = upTo
            return
        }
        guard upTo > lastMarked else { return }
        let blockCount = laneCount * ExactDigits.stride
        let capacity = markCapacity
        let from = max(lastMarked + 1, upTo - Int64(capacity) + 1)
        for second in from...upTo { markTags[Self.slot(second, capacity: capacity)] = second }
        totals.withUnsafeBufferPointer { totals in
            marks.withUnsafeMutableBufferPointer { marks in
                for second in from...upTo {
                    let slot = Self.slot(second, capacity: capacity)
                    (marks.baseAddress! + slot * blockCount).update(from: totals.baseAddress!, count: blockCount)
                }
            }
        }
        lastMarked = upTo
    }

    private static func slot(_ second: Int64, capacity: Int) -> Int {
        let slot = Int(second.remainderReportingOverflow(dividingBy: Int64(capacity)).partialValue)
        return slot < 0 ? slot + capacity : slot
    }

    private mutating func grow() {
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

    /// The first kept item with `ts > instant`, searching `[low, high)`.
    private func firstItem(after instant: Nanos, from low: Int, to high: Int) -> Int {
        var (low, high) = (low, high)
        while low < high {
            let mid = (low + high) >> 1
            if ts[mid & mask] <= instant { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The live items of window `index` at time `time` (>= the last appended item's time).
    func cut(_ index: Int, at time: Nanos) -> Cut {
        let cutoff = time &- lengths[index]
        return Cut(window: index, first: firstItem(after: cutoff, from: head, to: tail), end: tail, cutoff: cutoff)
    }

    /// A reader of the windows' sums as of `time` (>= the last appended item's time): a vector
    /// reads each window's lanes for several features, so each window's exact lane sums are
    /// taken once, on first use.
    func reader(at time: Nanos) -> Reader { Reader(self, at: time) }

    /// The exact sum of every lane over the cut's items, one ``ExactDigits`` block per lane into
    /// `blocks`: the totals minus `S(cutoff)`.
    fileprivate func laneSums(_ cut: Cut, into blocks: UnsafeMutablePointer<Int64>) {
        let stride = ExactDigits.stride
        if cut.first >= tail {
            blocks.update(repeating: 0, count: laneCount * stride)
            return
        }
        // S(cutoff): the mark of the second at or before it, then the items after that second.
        let second = Time.floorDiv(cut.cutoff, Time.nanosPerSecond)
        var markSlot: Int?
        var partialFrom = head  // before the first item every mark is 0: S(cutoff) is the items up to it
        if second > origin {
            let slot = Self.slot(second, capacity: markCapacity)
            // Reads come at or after the last item, so the second is within the kept marks.
            precondition(markTags[slot] == second, "a window reaches past the kept marks")
            markSlot = slot
            partialFrom = firstItem(after: second &* Time.nanosPerSecond, from: head, to: cut.first)
        }
        totals.withUnsafeBufferPointer { totals in
            marks.withUnsafeBufferPointer { marks in
                for lane in 0..<laneCount {
                    let block = blocks + lane * stride
                    let total = totals.baseAddress! + lane * stride
                    if let markSlot {
                        ExactDigits.difference(total, marks.baseAddress! + (markSlot * laneCount + lane) * stride, into: block)
                    } else {
                        block.update(from: total, count: stride)
                    }
                }
            }
        }
        values.withUnsafeBufferPointer { values in
            for absolute in partialFrom..<cut.first {
                let base = (absolute & mask) * laneCount
                for lane in 0..<laneCount where values[base + lane] != 0 {
                    ExactDigits.add(values[base + lane], sign: -1, to: blocks + lane * stride)
                }
            }
        }
    }

    /// The windows' cuts and exact lane sums as of one instant, each computed on first use.
    struct Reader {
        private let sums: SlidingSums
        private let time: Nanos
        private var cuts: [Cut?]
        private var blocks: [Int64]

        fileprivate init(_ sums: SlidingSums, at time: Nanos) {
            self.sums = sums
            self.time = time
            cuts = [Cut?](repeating: nil, count: sums.lengths.count)
            blocks = []
        }

        /// The live items of window `index`.
        mutating func cut(_ index: Int) -> Cut {
            if let cut = cuts[index] { return cut }
            let cut = sums.cut(index, at: time)
            cuts[index] = cut
            if blocks.isEmpty {
                // Uninitialised: a window's blocks are written whole (`laneSums`) before they are read.
                blocks = [Int64](unsafeUninitializedCapacity: sums.lengths.count * sums.laneCount * ExactDigits.stride) { _, count in
                    count = sums.lengths.count * sums.laneCount * ExactDigits.stride
                }
            }
            let offset = index * sums.laneCount * ExactDigits.stride
            blocks.withUnsafeMutableBufferPointer { sums.laneSums(cut, into: $0.baseAddress! + offset) }
            return cut
        }

        /// The number of items in window `index`.
        mutating func count(_ index: Int) -> Int { cut(index).count }

        /// The exact sum of one lane over window `index`, rounded once.
        mutating func sum(_ index: Int, lane: Int) -> Double { sum(index, lanes: lane..<(lane + 1)) }

        /// The exact sum of `lane` plus (`sign` 1) or minus (`sign` -1) `other`, rounded once: e.g.
        /// buy volume minus sell volume as one exact value.
        mutating func sum(_ index: Int, lane: Int, _ sign: Int64, _ other: Int) -> Double {
            _ = cut(index)
            let stride = ExactDigits.stride
            let first = index * sums.laneCount
            return blocks.withUnsafeBufferPointer { blocks in
                withUnsafeTemporaryAllocation(of: Int64.self, capacity: stride) { scratch in
                    let total = scratch.baseAddress!
                    total.update(from: blocks.baseAddress! + (first + lane) * stride, count: stride)
                    ExactDigits.merge(blocks.baseAddress! + (first + other) * stride, into: total, sign: sign)
                    return ExactDigits.value(of: total)
                }
            }
        }

        /// The exact sum of `lanes` over window `index`, rounded once (exactly 0 when it is empty).
        mutating func sum(_ index: Int, lanes: Range<Int>) -> Double {
            _ = cut(index)
            let stride = ExactDigits.stride
            let first = index * sums.laneCount
            return blocks.withUnsafeBufferPointer { blocks in
                if lanes.count == 1 { return ExactDigits.value(of: blocks.baseAddress! + (first + lanes.lowerBound) * stride) }
                return withUnsafeTemporaryAllocation(of: Int64.self, capacity: stride) { scratch in
                    let total = scratch.baseAddress!
                    total.initialize(repeating: 0, count: stride)
                    for lane in lanes { ExactDigits.merge(blocks.baseAddress! + (first + lane) * stride, into: total) }
                    return ExactDigits.value(of: total)
                }
            }
        }
    }
}
