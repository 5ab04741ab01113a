/// Exact summation of binary64 values (features.md §2, "Arithmetic"): every sum is the exact
/// sum of its terms, rounded once to the nearest Float64 (ties to even) — what Python's
/// `math.fsum` returns. So a sum depends only on which terms it holds, never on the order in
/// which they were added or removed.
public enum ExactSum {
    /// Below this many terms Shewchuk's partials are the cheaper way; from it on, adding each term
    /// to fixed-point digits (about 20 instructions a term, whatever the data) and rounding once is.
    /// Both give the correctly rounded exact sum, so the switch changes no bit.
    @usableFromInline static var digitsThreshold: Int { 24 }

    /// The correctly rounded sum of a list: what `math.fsum` returns.
    public static func fsum(_ values: UnsafeBufferPointer<Double>) -> Double {
        values.count < digitsThreshold ? fsumPartials(values) : fsumDigits(values)
    }

    /// The exact sum through an ``ExactDigits`` block on the stack, rounded once.
    static func fsumDigits(_ values: UnsafeBufferPointer<Double>) -> Double {
        withUnsafeTemporaryAllocation(of: Int64.self, capacity: ExactDigits.stride) { scratch in
            let block = scratch.baseAddress!
            block.initialize(repeating: 0, count: ExactDigits.stride)
            ExactDigits.addAll(values, to: block)
            return ExactDigits.value(of: block)
        }
    }

    /// The correctly rounded sum by Shewchuk's partials, as `math.fsum` computes it: the
    /// reference the digit path is tested against, and the faster one for short lists.
    public static func fsumPartials(_ values: UnsafeBufferPointer<Double>) -> Double {
        // At most one partial per value, plus one: scratch on the stack, no allocation.
        withUnsafeTemporaryAllocation(of: Double.self, capacity: values.count + 1) { partials in
            var count = 0
            var special = 0.0  // the sum of non-finite values, which IEEE arithmetic gets right
            var sawSpecial = false
            for value in values {
                guard value.isFinite else { special += value; sawSpecial = true; continue }
                var x = value
                var kept = 0
                for index in 0..<count {
                    var y = partials[index]
                    if abs(x) < abs(y) { swap(&x, &y) }
                    let hi = x + y
                    let lo = y - (hi - x)
                    if lo != 0 { partials[kept] = lo; kept += 1 }
                    x = hi
                }
                partials[kept] = x
                count = kept + 1
            }
            if sawSpecial { return special }
            return roundPartials(UnsafeBufferPointer(rebasing: partials[0..<count]))
        }
    }

    /// The correctly rounded sum of an array or a slice of one.
    @inlinable public static func fsum(_ values: some Collection<Double>) -> Double {
        if let sum = values.withContiguousStorageIfAvailable({ fsum($0) }) { return sum }
        return Array(values).withUnsafeBufferPointer { fsum($0) }
    }

    /// `math.fsum`'s final step: the partials are non-overlapping and increasing in
    /// magnitude; add them from the top down until the sum becomes inexact, then correct a
    /// half-way case that the remaining partials decide.
    static func roundPartials(_ partials: UnsafeBufferPointer<Double>) -> Double {
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
///
/// The digits live in a block of ``ExactDigits/stride`` Int64 slots; ``ExactDigits`` works on
/// such blocks in place, so that many sums can share one flat buffer (the window sums do).
public struct ExactAccumulator: Sendable, Equatable {
    private var block = [Int64](repeating: 0, count: ExactDigits.stride)

    public init() {}

    /// Adds `x` exactly.
    public mutating func add(_ x: Double) { block.withUnsafeMutableBufferPointer { ExactDigits.add(x, sign: 1, to: $0.baseAddress!) } }

    /// Removes `x` exactly (it must have been added).
    public mutating func remove(_ x: Double) { block.withUnsafeMutableBufferPointer { ExactDigits.add(x, sign: -1, to: $0.baseAddress!) } }

    /// Adds every term of another accumulator exactly.
    public mutating func add(_ other: ExactAccumulator) {
        other.block.withUnsafeBufferPointer { source in
            block.withUnsafeMutableBufferPointer { ExactDigits.merge(source.baseAddress!, into: $0.baseAddress!) }
        }
    }

    /// The exact sum, rounded once to nearest (ties to even); exactly 0 when nothing is held.
    public var value: Double { block.withUnsafeBufferPointer { ExactDigits.value(of: $0.baseAddress!) } }
}

/// Exact sums kept in blocks of Int64 slots: digit i (slots 0..<69) weighs 2^(32 i) units of
/// 2^-1074 (the smallest subnormal) — 2,046 exponent positions, 84 bits of shifted
/// significand and room for 2^31 pending carries; then the count of adds since the last
/// carry propagation and the counts of +inf, -inf and NaN terms.
public enum ExactDigits {
    // Computed constants: a stored static would be read through a lazy-initialisation check per add.
    @inlinable static var limbCount: Int { 69 }
    @inlinable static var pendingSlot: Int { 69 }
    static var infinitySlots: (positive: Int, negative: Int, nan: Int) { (70, 71, 72) }
    /// Slots per block.
    @inlinable public static var stride: Int { 73 }
    @inlinable static var carryBudget: Int64 { 1 << 30 }

    /// Adds (`sign` 1) or removes (`sign` -1) `x` exactly.
    @inlinable @inline(__always)
    public static func add(_ x: Double, sign: Int64, to block: UnsafeMutablePointer<Int64>) {
        let bits = x.bitPattern
        let exponent = Int((bits &>> 52) & 0x7FF)
        guard exponent != 0x7FF else { addSpecial(x, sign: sign, to: block); return }
        addFinite(bits: bits, exponent: exponent, sign: sign, to: block)
        block[pendingSlot] += 1
        if block[pendingSlot] >= carryBudget { normalize(block) }
    }

    /// Adds every value of a list, as ``add(_:sign:to:)`` would one by one, with one carry
    /// check for the whole list (a list shorter than the carry budget cannot overflow a digit).
    public static func addAll(_ values: UnsafeBufferPointer<Double>, to block: UnsafeMutablePointer<Int64>) {
        guard values.count < carryBudget / 2 else {
            for value in values { add(value, sign: 1, to: block) }
            return
        }
        if block[pendingSlot] + Int64(values.count) >= carryBudget { normalize(block) }
        for x in values {
            let bits = x.bitPattern
            let exponent = Int((bits &>> 52) & 0x7FF)
            guard exponent != 0x7FF else { addSpecial(x, sign: 1, to: block); continue }
            addFinite(bits: bits, exponent: exponent, sign: 1, to: block)
        }
        block[pendingSlot] += Int64(values.count)
    }

    /// The digits of a finite `x` (its biased `exponent` given) added with `sign`, no carry check:
    /// the caller counts the add. Zero adds zero digits, so it needs no branch of its own.
    @inlinable @inline(__always)
    static func addFinite(bits: UInt64, exponent: Int, sign: Int64, to block: UnsafeMutablePointer<Int64>) {
        let fraction = bits & ((1 << 52) - 1)
        let significand = exponent == 0 ? fraction : fraction | (1 << 52)
        let offset = max(exponent - 1, 0)  // the significand's bit 0, in units of 2^-1074
        let shift = UInt64(offset & 31)
        let low = significand &<< shift
        let high = (significand &>> 1) &>> (63 - shift)  // significand >> (64 - shift), 0 when shift is 0
        let index = offset &>> 5
        let direction = (Int64(bitPattern: bits) &>> 63 | 1) &* sign  // the term's sign times `sign`
        // Within the carry budget no digit can overflow: each add moves a digit by less than 2^32.
        block[index] &+= direction &* Int64(low & 0xFFFF_FFFF)
        block[index + 1] &+= direction &* Int64(low &>> 32)
        block[index + 2] &+= direction &* Int64(high)
    }

    @usableFromInline
    static func addSpecial(_ x: Double, sign: Int64, to block: UnsafeMutablePointer<Int64>) {
        let slot = x.isNaN ? infinitySlots.nan : x > 0 ? infinitySlots.positive : infinitySlots.negative
        block[slot] += sign
    }

    /// Adds (`sign` 1) or subtracts (`sign` -1) every term of `source` into `block`.
    public static func merge(_ source: UnsafePointer<Int64>, into block: UnsafeMutablePointer<Int64>, sign: Int64 = 1) {
        if block[pendingSlot] + source[pendingSlot] >= carryBudget { normalize(block) }
        for index in 0..<limbCount { block[index] += sign * source[index] }
        block[pendingSlot] += source[pendingSlot] + 1
        // Subtracting a term negates it: +inf counts as -inf and the other way round.
        let slots = infinitySlots
        let (positive, negative) =
            sign > 0 ? (source[slots.positive], source[slots.negative]) : (source[slots.negative], source[slots.positive])
        block[slots.positive] += positive
        block[slots.negative] += negative
        block[slots.nan] += source[slots.nan]
    }

    /// Writes `minuend` minus `subtrahend` to `block`, where every term of `subtrahend` was also
    /// added to `minuend` (a running total and an earlier copy of it): the terms added since.
    public static func difference(
        _ minuend: UnsafePointer<Int64>, _ subtrahend: UnsafePointer<Int64>, into block: UnsafeMutablePointer<Int64>
    ) {
        if minuend[pendingSlot] + subtrahend[pendingSlot] + 1 >= carryBudget {
            // Both near their carry budget: settle the minuend's carries first so nothing can overflow.
            block.update(from: minuend, count: limbCount)
            normalize(block)
            for index in 0..<limbCount { block[index] -= subtrahend[index] }
            block[pendingSlot] = subtrahend[pendingSlot] + 1
        } else {
            for index in 0..<limbCount { block[index] = minuend[index] - subtrahend[index] }
            block[pendingSlot] = minuend[pendingSlot] + subtrahend[pendingSlot] + 1
        }
        let slots = infinitySlots
        for slot in slots.positive...slots.nan { block[slot] = minuend[slot] - subtrahend[slot] }
    }

    /// Propagates carries: every digit but the top one in [0, 2^32); the top one holds the sign.
    @usableFromInline
    static func normalize(_ block: UnsafeMutablePointer<Int64>) {
        var carry: Int64 = 0
        for index in 0..<(limbCount - 1) {
            let v = block[index] + carry
            carry = v >> 32
            block[index] = v & 0xFFFF_FFFF
        }
        block[limbCount - 1] += carry
        block[pendingSlot] = 0
    }

    /// The exact sum held by a block, rounded once to nearest (ties to even).
    public static func value(of source: UnsafePointer<Int64>) -> Double {
        if source[infinitySlots.nan] > 0 || (source[infinitySlots.positive] > 0 && source[infinitySlots.negative] > 0) { return .nan }
        if source[infinitySlots.positive] > 0 { return .infinity }
        if source[infinitySlots.negative] > 0 { return -.infinity }
        // Only the non-zero limbs and the carries out of them matter (a sum of prices or sizes
        // occupies a handful of the 69): limbs below the lowest non-zero one stay zero, and the
        // limb above the highest takes the final carry and, like the top limb of a whole block,
        // holds the sign.
        var lowest = 0
        while lowest < limbCount && source[lowest] == 0 { lowest += 1 }
        guard lowest < limbCount else { return 0 }
        var highest = limbCount - 1
        while source[highest] == 0 { highest -= 1 }
        // Constants from here: a `var` captured by the closure below was checked for exclusive
        // access at run time on every read.
        let low = lowest
        let signLimb = min(highest + 1, limbCount - 1)
        return withUnsafeTemporaryAllocation(of: Int64.self, capacity: limbCount) { scratch in
            let digits = scratch.baseAddress!
            var carry: Int64 = 0
            for index in low..<signLimb {
                let v = source[index] + carry
                carry = v >> 32
                digits[index] = v & 0xFFFF_FFFF
            }
            digits[signLimb] = source[signLimb] + carry
            var negative = false
            if digits[signLimb] < 0 {
                // The magnitude: negate every digit and propagate the carries again.
                negative = true
                carry = 0
                for index in low..<signLimb {
                    let v = carry - digits[index]
                    carry = v >> 32
                    digits[index] = v & 0xFFFF_FFFF
                }
                digits[signLimb] = carry - digits[signLimb]
            }
            var top = signLimb
            while top >= low && digits[top] == 0 { top -= 1 }
            guard top >= low else { return 0 }
            // The top three digits (up to 96 bits) and whether anything below them is non-zero.
            func digit(_ index: Int) -> UInt128 { index >= low ? UInt128(UInt64(digits[index])) : 0 }
            var wide = digit(top) << 64 | digit(top - 1) << 32 | digit(top - 2)
            var sticky = false
            if top - 2 > low { for index in low..<(top - 2) where digits[index] != 0 { sticky = true; break } }
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
}
