public import MarketData

/// The feature values of one symbol at one instant, in registry order; nil is null.
public struct FeatureVector: Sendable, Equatable {
    public var symbol: String
    /// The instant T the values are "as of" (ns).
    public var ts: Nanos
    public var values: [Double?]

    public init(symbol: String, ts: Nanos, values: [Double?]) {
        self.symbol = symbol
        self.ts = ts
        self.values = values
    }

    /// Bit-for-bit equality (what online = offline promises): nulls in the same places and
    /// identical Float64 bit patterns elsewhere.
    public func isBitwiseEqual(to other: FeatureVector) -> Bool {
        guard symbol == other.symbol, ts == other.ts, values.count == other.values.count else { return false }
        for (a, b) in zip(values, other.values) {
            switch (a, b) {
            case (nil, nil): continue
            case let (x?, y?) where x.bitPattern == y.bitPattern: continue
            default: return false
            }
        }
        return true
    }
}
