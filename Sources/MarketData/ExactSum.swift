/// Exact summation of binary64 values (features.md §2, "Arithmetic"): every sum is the exact
/// sum of its terms, rounded once to the nearest Float64 (ties to even) — what Python's
/// `math.fsum` returns. So a sum depends only on which terms it holds, never on the order in
/// which they were added or removed.
public enum ExactSum {
    /// The correctly rounded sum of a short list (Shewchuk's partials, as `math.fsum` does).
    public static func fsum(_ values: some Sequence<Double>) -> Double {
        var partials: [Double] = []
        var special = 0.0  // the sum of non-finite values, which IEEE arithmetic gets right
        var sawSpecial = false
        for value in values {
            guard value.isFinite else { special += value; sawSpecial = true; continue }
            var x = value
            var count = 0
            for index in partials.indices {
                var y = partials[index]
                if abs(x) < abs(y) { swap(&x, &y) }
                let hi = x + y
                let lo = y - (hi - x)
                if lo != 0 { partials[count] = lo; count += 1 }
                x = hi
            }
            partials.removeSubrange(count...)
            partials.append(x)
        }
        if sawSpecial { return special }
        return roundPartials(partials)
    }

    /// `math.fsum`'s final step: the partials are non-overlapping and increasing in
    /// magnitude; add them from the top down until the sum becomes inexact, then correct a
    /// half-way case that the remaining partials decide.
    static func roundPartials(_ partials: [Double]) -> Double {
        var n = partials.count
        guard n > 0 else { return 0 }
        n -= 1
        var hi = partials[n]
        var lo = 0.0
        while n > 0 {
            let x = hi
            let y = partials[n - 1]
            n -= 1
            hi = x + y
            let yr = hi - x
            lo = y - yr
            if lo != 0 { break }
        }
        if n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0)) {
            let y = lo * 2
            let x = hi + y
            let yr = x - hi
            if y == yr { hi = x }
        }
        return hi
    }
}

/// An exact running sum with O(1) add *and* remove (a "large superaccumulator", Neal 2015):
/// a fixed-point integer spanning the whole binary64 range, in 32-bit digits held in Int64
/// limbs so that carries can wait. Removing a value subtracts exactly what adding it added,
/// so a sliding window's sum never drifts and is exactly 0 when the window is empty.
/// ``value`` rounds once, to nearest, ties to even.
public struct ExactAccumulator: Sendable, Equatable {
    /// Digit i weighs 2^(32 i) units of 2^-1074 (the smallest subnormal): 2,046 exponent
    /// positions + 84 bits of shifted significand + room for 2^31 carries.
    static let limbCount = 69
    static let carryBudget = 1 << 30

    private var limbs = [Int64](repeating: 0, count: limbCount)
    private var pending = 0
    private var positiveInfinities = 0
    private var negativeInfinities = 0
    private var nans = 0

    public init() {}

    /// Adds `x` exactly.
    public mutating func add(_ x: Double) { accumulate(x, sign: 1) }

    /// Removes `x` exactly (it must have been added).
    public mutating func remove(_ x: Double) { accumulate(x, sign: -1) }

    /// Adds every term of another accumulator exactly.
    public mutating func add(_ other: ExactAccumulator) {
        if pending + other.pending >= Self.carryBudget { normalize() }
        for index in 0..<Self.limbCount { limbs[index] += other.limbs[index] }
        pending += other.pending + 1
        positiveInfinities += other.positiveInfinities
        negativeInfinities += other.negativeInfinities
        nans += other.nans
    }

    private mutating func accumulate(_ x: Double, sign: Int64) {
        guard x.isFinite else {
            let step = Int(sign)
            if x.isNaN { nans += step } else if x > 0 { positiveInfinities += step } else { negativeInfinities += step }
            return
        }
        let bits = x.bitPattern
        let exponent = Int((bits >> 52) & 0x7FF)
        let fraction = bits & ((1 << 52) - 1)
        guard exponent != 0 || fraction != 0 else { return }
        let significand = exponent == 0 ? fraction : fraction | (1 << 52)
        let offset = exponent == 0 ? 0 : exponent - 1  // position of the significand's bit 0, in units of 2^-1074
        let shifted = UInt128(significand) << (offset & 31)
        let index = offset >> 5
        let direction = (bits >> 63) == 0 ? sign : -sign
        limbs[index] += direction * Int64(truncatingIfNeeded: shifted & 0xFFFF_FFFF)
        limbs[index + 1] += direction * Int64(truncatingIfNeeded: (shifted >> 32) & 0xFFFF_FFFF)
        limbs[index + 2] += direction * Int64(truncatingIfNeeded: shifted >> 64)
        pending += 1
        if pending >= Self.carryBudget { normalize() }
    }

    /// Propagates carries: every digit but the top one in [0, 2^32); the top one holds the sign.
    private mutating func normalize() {
        var carry: Int64 = 0
        for index in 0..<(Self.limbCount - 1) {
            let v = limbs[index] + carry
            carry = v >> 32
            limbs[index] = v & 0xFFFF_FFFF
        }
        limbs[Self.limbCount - 1] += carry
        pending = 0
    }

    /// The exact sum, rounded once to nearest (ties to even); exactly 0 when nothing is held.
    public var value: Double {
        if nans > 0 || (positiveInfinities > 0 && negativeInfinities > 0) { return .nan }
        if positiveInfinities > 0 { return .infinity }
        if negativeInfinities > 0 { return -.infinity }
        var digits = self
        digits.normalize()
        var negative = false
        if digits.limbs[Self.limbCount - 1] < 0 {
            negative = true
            for index in 0..<Self.limbCount { digits.limbs[index] = -digits.limbs[index] }
            digits.normalize()
        }
        guard let top = digits.limbs.lastIndex(where: { $0 != 0 }) else { return 0 }
        // The top three digits (up to 96 bits) and whether anything below them is non-zero.
        func digit(_ index: Int) -> UInt128 { index >= 0 ? UInt128(UInt64(digits.limbs[index])) : 0 }
        var wide = digit(top) << 64 | digit(top - 1) << 32 | digit(top - 2)
        var sticky = false
        if top >= 3 { for index in 0..<(top - 2) where digits.limbs[index] != 0 { sticky = true; break } }
        // Left-align to 128 bits; the top 64 go to the conversion, the rest (and everything
        // below) only as a sticky bit under the rounding position, so that rounding happens once.
        let shift = wide.leadingZeroBitCount
        wide <<= shift
        var high = UInt64(truncatingIfNeeded: wide >> 64)
        if sticky || UInt64(truncatingIfNeeded: wide) != 0 { high |= 1 }
        // value = high * 2^(64 - shift + 32 (top - 2) - 1074); scaling by a power of two is exact.
        let magnitude = Double(sign: .plus, exponent: 64 - shift + 32 * (top - 2) - 1074, significand: Double(high))
        return negative ? -magnitude : magnitude
    }
}
