import MarketData
import Testing

/// features.md §2: every sum is the exact sum of its terms rounded once — `math.fsum`'s value —
/// whatever the order of adds and removes.
@Suite struct ExactSumTests {
    /// A few values whose naive sums go wrong, with the correctly rounded answers (from `math.fsum`).
    static let cases: [([Double], Double)] = [
        ([1e12, 1e-12, -1e12], 1e-12),
        ([0.1, 0.2, 0.3], 0.6),
        ([0.1, 0.2, -0.3], 2.7755575615628914e-17),
        ([1, 1e100, 1, -1e100], 2),
        ([.leastNonzeroMagnitude, .leastNonzeroMagnitude, -.leastNonzeroMagnitude], .leastNonzeroMagnitude),
        ([1, Double.ulpOfOne / 2, Double.ulpOfOne / 2 * Double.ulpOfOne], 1.0000000000000002),  // half way, decided by the tail
        ([1, Double.ulpOfOne / 2], 1),  // exactly half way: ties to even
        ([3, Double.ulpOfOne], 3),  // half an ulp of 3: ties to even
        ([], 0),
    ]

    @Test func shortSumsAreCorrectlyRounded() {
        for (values, expected) in Self.cases {
            #expect(ExactSum.fsum(values).bitPattern == expected.bitPattern, "\(values)")
            var accumulator = ExactAccumulator()
            for value in values { accumulator.add(value) }
            #expect(accumulator.value.bitPattern == expected.bitPattern, "\(values)")
        }
    }

    /// Long lists take the digit path, short ones Shewchuk's partials: the same bits either way,
    /// for the shapes the engine sums (returns, their squared deviations, prices) and wild ones.
    @Test func theDigitPathAgreesWithPartialsAtEveryLength() {
        for (values, expected) in Self.cases {
            let padded = values + [Double](repeating: 0, count: 40)  // the same sum, past the threshold
            #expect(ExactSum.fsum(padded).bitPattern == expected.bitPattern, "\(values)")
        }
        var generator = SplitMix64(seed: 7)
        func uniform() -> Double { Double(generator.next() >> 11) / Double(1 << 53) }
        for length in [1, 2, 23, 24, 25, 60, 61, 300, 1_000] {
            for shape in 0..<5 {
                let values: [Double] = (0..<length).map { _ in
                    switch shape {
                    case 0: return (uniform() - 0.5) * 2e-4  // 1 s log returns
                    case 1: let d = (uniform() - 0.5) * 2e-4; return d * d  // squared deviations
                    case 2: return 96_000 + (uniform() * 200).rounded() / 10  // mids on a 0.1 tick
                    case 3:
                        let exponent = Int(generator.next() % 200) - 100
                        return Double(sign: generator.next() % 2 == 0 ? .plus : .minus, exponent: exponent, significand: 1 + uniform())
                    default:  // the whole range, subnormals included
                        let exponent = Int(generator.next() % 2_090) - 1_074
                        return Double(sign: generator.next() % 2 == 0 ? .plus : .minus, exponent: exponent, significand: 1 + uniform())
                    }
                }
                let partials = values.withUnsafeBufferPointer { ExactSum.fsumPartials($0) }
                #expect(ExactSum.fsum(values).bitPattern == partials.bitPattern, "length \(length), shape \(shape)")
                var accumulator = ExactAccumulator()
                for value in values { accumulator.add(value) }
                #expect(accumulator.value.bitPattern == partials.bitPattern, "length \(length), shape \(shape)")
            }
        }
    }

    @Test func addsAndRemovesInAnyOrderGiveTheSameBits() {
        var generator = SplitMix64(seed: 99)
        func random() -> Double {
            let magnitude = Double(
                sign: .plus, exponent: Int(generator.next() % 80) - 40, significand: 1 + Double(generator.next() % 1_000_000) / 1e6)
            return generator.next() % 2 == 0 ? magnitude : -magnitude
        }
        let kept = (0..<2_000).map { _ in random() }
        let transient = (0..<20_000).map { _ in random() }
        var accumulator = ExactAccumulator()
        // Interleave: every transient value comes and goes; the kept ones stay.
        for (index, value) in transient.enumerated() {
            accumulator.add(value)
            if index % 10 == 0 { accumulator.add(kept[index / 10]) }
            if index >= 5 { accumulator.remove(transient[index - 5]) }
        }
        for value in transient.suffix(5) { accumulator.remove(value) }
        let reference = kept.withUnsafeBufferPointer { ExactSum.fsumPartials($0) }
        #expect(accumulator.value.bitPattern == reference.bitPattern)
        #expect(ExactSum.fsum(kept.reversed()).bitPattern == reference.bitPattern)
        // Everything removed: exactly zero.
        for value in kept { accumulator.remove(value) }
        #expect(accumulator.value.bitPattern == 0.0.bitPattern)
    }

    @Test func millionsOfItemsStayExact() {
        var accumulator = ExactAccumulator()
        let value = 0.1
        for _ in 0..<3_000_000 { accumulator.add(value) }
        #expect(accumulator.value == 300_000)  // fsum([0.1] * 3_000_000); a naive sum gives 299999.99999434...
        for _ in 0..<2_999_999 { accumulator.remove(value) }
        #expect(accumulator.value == 0.1)
    }

    @Test func nonFiniteTermsFollowIEEE() {
        var accumulator = ExactAccumulator()
        accumulator.add(.infinity)
        accumulator.add(1)
        #expect(accumulator.value == .infinity)
        accumulator.add(-.infinity)
        #expect(accumulator.value.isNaN)
        accumulator.remove(.infinity)
        accumulator.remove(-.infinity)
        #expect(accumulator.value == 1)
    }
}
