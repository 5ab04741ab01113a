public import MarketData

/// One side of an L2 book in sorted contiguous storage.
///
/// Levels are kept by *key* in ascending order with the best level last: for bids the key is
/// the price, for asks it is the negated price (negation is exact in floating point). Most
/// updates touch the top of the book, so putting the best level at the end makes inserts and
/// deletes there move few elements; binary search finds any level. Capacity is kept across
/// updates, so the steady state allocates nothing.
public struct BookSide: Sendable {
    public let isBid: Bool
    @usableFromInline var keys: [Double] = []
    @usableFromInline var sizes: [Double] = []

    public init(isBid: Bool) {
        self.isBid = isBid
        keys.reserveCapacity(256)
        sizes.reserveCapacity(256)
    }

    /// Number of price levels.
    @inlinable public var count: Int { keys.count }
    @inlinable public var isEmpty: Bool { keys.isEmpty }

    @inlinable func key(of price: Double) -> Double { isBid ? price : -price }
    @inlinable func price(ofKey key: Double) -> Double { isBid ? key : -key }

    /// The price of the `rank`-th best level (0 = best).
    @inlinable public func price(rank: Int) -> Double { price(ofKey: keys[keys.count - 1 - rank]) }
    /// The size of the `rank`-th best level (0 = best).
    @inlinable public func size(rank: Int) -> Double { sizes[sizes.count - 1 - rank] }

    /// Best price, or nil when the side is empty.
    @inlinable public var bestPrice: Double? { keys.isEmpty ? nil : price(ofKey: keys[keys.count - 1]) }
    /// Best size, or nil when the side is empty.
    @inlinable public var bestSize: Double? { sizes.last }

    /// Index of the first key >= `key`.
    @inlinable func lowerBound(_ key: Double) -> Int {
        var low = 0
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
                keys.remove(at: index)
                sizes.remove(at: index)
            } else {
                sizes[index] = size
            }
            return previous
        }
        if size != 0 {
            keys.insert(key, at: index)
            sizes.insert(size, at: index)
        }
        return 0
    }

    /// Removes every level, keeping capacity.
    public mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        sizes.removeAll(keepingCapacity: true)
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
        (0..<keys.count).map { rank in PriceLevel(price: price(rank: rank), size: size(rank: rank)) }
    }

    /// Sum of the sizes of the best `levels` levels (fewer if the side has fewer).
    @inlinable public func depth(levels: Int) -> Double {
        // The exact sum of the sizes, rounded once (features.md §2).
        ExactSum.fsum(sizes[(sizes.count - min(levels, sizes.count))...])
    }

    /// The key of the `levels`-th best level, or of the worst level if the side has fewer;
    /// nil when empty. A present level is among the best `levels` iff its key >= this.
    @inlinable public func rankThresholdKey(levels: Int) -> Double? {
        guard !keys.isEmpty else { return nil }
        return keys.count >= levels ? keys[keys.count - levels] : keys[0]
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
