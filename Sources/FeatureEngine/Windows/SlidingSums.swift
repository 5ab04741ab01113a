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
/// - **A window is a difference of exact sums.** Every lane keeps one running exact total of all
///   its items; a window's sum at `T` is the total minus `S(T - length)`, the exact sum of the items
///   at or before the cutoff. The difference of exact values is exact: the same bits as summing the
///   items. How `S` is kept depends on where reads fall (``Bookkeeping``); both give the same bits.
struct SlidingSums: Sendable {
    /// How `S(cutoff)` is kept.
    enum Bookkeeping: Sendable {
        /// A copy of the totals at the end of every second: `S(b)` for whole seconds, then the items
        /// after that second up to the cutoff. Keeping it costs one copy a second; a read at a grid
        /// point of a whole-second window adds nothing, a read between grid points adds the items of
        /// part of a second. For replays, which read at grid points only.
        case secondMarks
        /// Per window, the exact sum of the items that have left it by the last item's time (each
        /// item added once per window as it leaves); a read adds only the items that left since the
        /// last item. For the live path, which also reads on book updates and requests.
        case windowCursors
    }

    let laneCount: Int
    private(set) var lengths: [Nanos]
    let bookkeeping: Bookkeeping

    // Items back to what the windows can still reach.
    private var ts: [Int64]
    private var values: [Double]
    private var mask: Int
    private var head = 0  // absolute index of the oldest kept item
    private var tail = 0  // absolute index of the next item

    /// The running exact totals, one ``ExactDigits`` block per lane.
    private var totals: [Int64]

    // `.secondMarks`: `S(b)` for the seconds `b` in `(lastMarked - markCapacity, lastMarked]`,
    // `laneCount` blocks per second in a ring tagged with their second. Every second `b` with
    // `b * 1 s` before the last item is marked; seconds up to `origin` come before the first item.
    private var marks: [Int64] = []
    private var markTags: [Int64] = []
    private let markCapacity: Int
    private let retention: Nanos
    private var lastMarked: Int64 = .min
    private var origin: Int64 = .min

    // `.windowCursors`: per window and lane, the exact sum of the items that have left the window;
    // per window, the first item that has not.
    private var left: [Int64] = []
    private var cursors: [Int] = []

    /// A window cut at some `T`: live items are `[first, end)`, `cutoff` is `T - length`.
    struct Cut {
        let window: Int
        let first: Int
        let end: Int
        let cutoff: Nanos
        var count: Int { end - first }
    }

    init(laneCount: Int, lengths: [Nanos], bookkeeping: Bookkeeping) {
        self.laneCount = laneCount
        self.lengths = lengths
        self.bookkeeping = bookkeeping
        let longest = lengths.max() ?? 0
        retention = longest &+ Time.nanosPerSecond
        let capacity = 1024
        ts = [Int64](repeating: 0, count: capacity)
        values = [Double](repeating: 0, count: capacity * laneCount)
        mask = capacity - 1
        totals = [Int64](repeating: 0, count: laneCount * ExactDigits.stride)
        // Reads reach back to the second at or before `last item - longest`; two more for rounding.
        markCapacity = Int(Time.floorDiv(longest, Time.nanosPerSecond)) + 3
        switch bookkeeping {
        case .secondMarks:
            marks = [Int64](repeating: 0, count: markCapacity * laneCount * ExactDigits.stride)
            markTags = [Int64](repeating: .min, count: markCapacity)
        case .windowCursors:
            left = [Int64](repeating: 0, count: lengths.count * laneCount * ExactDigits.stride)
            cursors = [Int](repeating: 0, count: lengths.count)
        }
    }

    /// Appends one item at time `time` (non-decreasing): brings `S` up to `time` (marks the seconds
    /// the item closes, or moves the items that leave a window into its sum), then adds the item to
    /// each lane's total (one exact add per non-zero lane).
    mutating func append(time: Nanos, lanes: UnsafeBufferPointer<Double>) {
        let laneCount = self.laneCount
        let stride = ExactDigits.stride
        switch bookkeeping {
        case .secondMarks:
            markSeconds(before: time)
            let horizon = time &- retention
            let (mask, tail) = (self.mask, self.tail)
            var head = self.head
            ts.withUnsafeBufferPointer { ts in
                while head < tail && ts[head & mask] <= horizon { head += 1 }
            }
            self.head = head
        case .windowCursors:
            advanceCursors(to: time)
        }
        let tail = self.tail
        if tail - head == ts.count { grow() }
        let slot = tail & mask
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
        for second in from...upTo { markTags[ringSlot(of: second, capacity: capacity)] = second }
        totals.withUnsafeBufferPointer { totals in
            marks.withUnsafeMutableBufferPointer { marks in
                for second in from...upTo {
                    let slot = ringSlot(of: second, capacity: capacity)
                    (marks.baseAddress! + slot * blockCount).update(from: totals.baseAddress!, count: blockCount)
                }
            }
        }
        lastMarked = upTo
    }

    /// Before an item at `time`: the items that leave a window at `time` go into its "left" sums;
    /// items that have left every window are dropped (they are in every "left" sum).
    private mutating func advanceCursors(to time: Nanos) {
        let laneCount = self.laneCount
        let stride = ExactDigits.stride
        let (mask, tail) = (self.mask, self.tail)
        var head = tail
        ts.withUnsafeBufferPointer { ts in
            values.withUnsafeBufferPointer { values in
                lengths.withUnsafeBufferPointer { lengths in
                    left.withUnsafeMutableBufferPointer { left in
                        cursors.withUnsafeMutableBufferPointer { cursors in
                            for window in 0..<cursors.count {
                                var cursor = cursors[window]
                                let cutoff = time &- lengths[window]
                                if cursor < tail && ts[cursor & mask] <= cutoff {
                                    let blocks = left.baseAddress! + window * laneCount * stride
                                    repeat {
                                        let item = values.baseAddress! + (cursor & mask) * laneCount
                                        for lane in 0..<laneCount where item[lane] != 0 {
                                            ExactDigits.add(item[lane], sign: 1, to: blocks + lane * stride)
                                        }
                                        cursor += 1
                                    } while cursor < tail && ts[cursor & mask] <= cutoff
                                    cursors[window] = cursor
                                }
                                head = min(head, cursor)
                            }
                        }
                    }
                }
            }
        }
        self.head = lengths.isEmpty ? tail : head
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
        let from = bookkeeping == .windowCursors ? cursors[index] : head
        return Cut(window: index, first: firstItem(after: cutoff, from: from, to: tail), end: tail, cutoff: cutoff)
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
        // `S(cutoff)` is a kept block (`base`: nil when it is 0) plus the items `[partialFrom, cut.first)`.
        var partialFrom = head
        var base: Int?
        switch bookkeeping {
        case .secondMarks:
            // The mark of the second at or before the cutoff, then the items after that second;
            // before the first item every mark is 0.
            let second = Time.floorDiv(cut.cutoff, Time.nanosPerSecond)
            if second > origin {
                let slot = ringSlot(of: second, capacity: markCapacity)
                // Reads come at or after the last item, so the second is within the kept marks.
                precondition(markTags[slot] == second, "a window reaches past the kept marks")
                base = slot * laneCount * stride
                partialFrom = firstItem(after: second &* Time.nanosPerSecond, from: head, to: cut.first)
            }
        case .windowCursors:
            // What had left the window at the last item, then the items that left it since.
            base = cut.window * laneCount * stride
            partialFrom = cursors[cut.window]
        }
        totals.withUnsafeBufferPointer { totals in
            (bookkeeping == .secondMarks ? marks : left).withUnsafeBufferPointer { kept in
                for lane in 0..<laneCount {
                    let total = totals.baseAddress! + lane * stride
                    if let base {
                        ExactDigits.difference(total, kept.baseAddress! + base + lane * stride, into: blocks + lane * stride)
                    } else {
                        (blocks + lane * stride).update(from: total, count: stride)
                    }
                }
            }
        }
        values.withUnsafeBufferPointer { values in
            for absolute in partialFrom..<cut.first {
                let item = (absolute & mask) * laneCount
                for lane in 0..<laneCount where values[item + lane] != 0 {
                    ExactDigits.add(values[item + lane], sign: -1, to: blocks + lane * stride)
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
