public import MarketData

/// One side of an L2 book in sorted contiguous storage.
///
/// Levels are kept by *key* in ascending order with the best level last: for bids the key is
/// the price, for asks it is the negated price (negation is exact in floating point). Most
/// updates touch the top of the book, so putting the best level at the end makes inserts and
/// deletes there move few elements; binary search finds any level. Capacity is kept across
/// updates, so the steady state allocates nothing.
///
/// The worst end is cheap too: the live levels are `keys[base...]`, with a gap of free slots
/// in front, so a level added or removed in the lower half of the side (a depth-limited feed
/// trimming its window, a sweep refilled from deep) moves that half into or out of the gap
/// rather than the whole side.
public struct BookSide: Sendable {
    public let isBid: Bool
    @usableFromInline var keys: [Double] = []
    @usableFromInline var sizes: [Double] = []
    /// Index of the worst live level; the slots before it are free.
    @usableFromInline var base = 0

    public init(isBid: Bool) {
        self.isBid = isBid
        keys.reserveCapacity(256)
        sizes.reserveCapacity(256)
    }

    /// Number of price levels.
    @inlinable public var count: Int { keys.count - base }
    @inlinable public var isEmpty: Bool { keys.count == base }

    @inlinable func key(of price: Double) -> Double { isBid ? price : -price }
    @inlinable func price(ofKey key: Double) -> Double { isBid ? key : -key }

    /// The price of the `rank`-th best level (0 = best).
    @inlinable public func price(rank: Int) -> Double { price(ofKey: keys[keys.count - 1 - rank]) }
    /// The size of the `rank`-th best level (0 = best).
    @inlinable public func size(rank: Int) -> Double { sizes[sizes.count - 1 - rank] }

    /// Best price, or nil when the side is empty.
    @inlinable public var bestPrice: Double? { isEmpty ? nil : price(ofKey: keys[keys.count - 1]) }
    /// Best size, or nil when the side is empty.
    @inlinable public var bestSize: Double? { isEmpty ? nil : sizes[sizes.count - 1] }

    /// Index of the first key >= `key`.
    @inlinable func lowerBound(_ key: Double) -> Int {
        var low = base
        var high = keys.count
        // Start near the top: most lookups are there.
        while low < high {
            let mid = (low &+ high) >> 1
            if keys[mid] < key { low = mid &+ 1 } else { high = mid }
        }
        return low
    }

    /// The size at `price` (0 when absent).
    @inlinable public func size(at price: Double) -> Double {
        let key = key(of: price)
        let index = lowerBound(key)
        return index < keys.count && keys[index] == key ? sizes[index] : 0
    }

    /// Sets the size at `price`; 0 removes the level. Returns the previous size (0 if absent).
    @inlinable @discardableResult
    public mutating func set(price: Double, size: Double) -> Double {
        let key = key(of: price)
        let index = lowerBound(key)
        if index < keys.count && keys[index] == key {
            let previous = sizes[index]
            if size == 0 {
                remove(at: index)
            } else {
                sizes[index] = size
            }
            return previous
        }
        if size != 0 { insert(key: key, size: size, at: index) }
        return 0
    }

    /// Removes the level at storage index `index`, moving the shorter part of the side.
    @usableFromInline mutating func remove(at index: Int) {
        if index - base < keys.count - index {
            // Lower half: shift the levels below up by one, widening the gap.
            keys.withUnsafeMutableBufferPointer { k in
                sizes.withUnsafeMutableBufferPointer { z in
                    var i = index
                    while i > base {
                        k[i] = k[i - 1]
                        z[i] = z[i - 1]
                        i -= 1
                    }
                }
            }
            base += 1
        } else {
            keys.remove(at: index)
            sizes.remove(at: index)
        }
    }

    /// Inserts a level before storage index `index`, moving the shorter part of the side.
    @usableFromInline mutating func insert(key: Double, size: Double, at index: Int) {
        if index - base < keys.count - index {
            if base == 0 {
                // Open a gap in front, a quarter of the side (at least 16 slots).
                let gap = max(16, count / 4)
                keys.insert(contentsOf: repeatElement(0, count: gap), at: 0)
                sizes.insert(contentsOf: repeatElement(0, count: gap), at: 0)
                base = gap
                insert(key: key, size: size, at: index + gap)
                return
            }
            // Lower half: shift the levels below down by one into the gap.
            keys.withUnsafeMutableBufferPointer { k in
                sizes.withUnsafeMutableBufferPointer { z in
                    var i = base - 1
                    while i < index - 1 {
                        k[i] = k[i + 1]
                        z[i] = z[i + 1]
                        i += 1
                    }
                    k[index - 1] = key
                    z[index - 1] = size
                }
            }
            base -= 1
        } else {
            keys.insert(key, at: index)
            sizes.insert(size, at: index)
        }
    }

    /// Removes every level, keeping capacity.
    public mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        sizes.removeAll(keepingCapacity: true)
        base = 0
    }

    /// Replaces the side with `levels` (any order; zero sizes skipped; a repeated price keeps
    /// its last size).
    public mutating func replace(with levels: [PriceLevel]) {
        removeAll()
        var sorted = true
        var previousKey = -Double.infinity
        for level in levels where level.size > 0 {
            let key = key(of: level.price)
            if key <= previousKey { sorted = false }
            previousKey = key
        }
        if sorted {
            for level in levels where level.size > 0 {
                keys.append(key(of: level.price))
                sizes.append(level.size)
            }
        } else {
            for level in levels where level.size > 0 { set(price: level.price, size: level.size) }
        }
    }

    /// Every level, best first.
    public var levels: [PriceLevel] {
        (0..<count).map { rank in PriceLevel(price: price(rank: rank), size: size(rank: rank)) }
    }

    /// Sum of the sizes of the best `levels` levels (fewer if the side has fewer).
    @inlinable public func depth(levels: Int) -> Double {
        // The exact sum of the sizes, rounded once (features.md §2).
        ExactSum.fsum(sizes[(sizes.count - min(levels, count))...])
    }

    /// The key of the `levels`-th best level, or of the worst level if the side has fewer;
    /// nil when empty. A present level is among the best `levels` iff its key >= this.
    @inlinable public func rankThresholdKey(levels: Int) -> Double? {
        guard !isEmpty else { return nil }
        return count >= levels ? keys[keys.count - levels] : keys[base]
    }

    /// Whether `price` is present and among the best `levels` levels, given a threshold from
    /// ``rankThresholdKey(levels:)`` taken at the same moment.
    @inlinable public func isAmongBest(price: Double, presentSize: Double, threshold: Double?) -> Bool {
        guard presentSize > 0, let threshold else { return false }
        return key(of: price) >= threshold
    }

    /// Levels best first, for inspection and tests.
    public var levelsBestFirst: [PriceLevel] {
        (0..<count).map { PriceLevel(price: price(rank: $0), size: size(rank: $0)) }
    }
}
