import MarketData

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The data-quality counters of one symbol over one minute. Buckets merge (sums, unions,
/// histogram adds), so a report over any whole-minute range is the merge of its buckets —
/// which is what makes a 24 h report cheap.
public struct QualityBucket: Sendable, Equatable, Codable {
    /// Minutes since the Unix epoch (by `recv_ts`).
    public var minute: Int64
    /// Events by type, indexed like `EventType.allCases`.
    public var events: [Int]
    /// Seconds of the minute (bit i = second i) with at least one order-book message, trade, or event of any type.
    public var bookSeconds: UInt64
    public var tradeSeconds: UInt64
    public var anySeconds: UInt64
    /// Book update-id discontinuities (`u` not following the previous one).
    public var sequenceGaps: Int
    /// Times the book went out of sync, by reason.
    public var desyncs: [String: Int]
    /// Snapshots that restored a book after a desync.
    public var resyncs: Int
    /// Anomalies by kind (see ``QualityTracker/Anomaly``).
    public var anomalies: [String: Int]
    /// Exchange time to service receipt, and gateway receipt to service receipt.
    public var exchangeLatency: LatencyHistogram
    public var gatewayLatency: LatencyHistogram

    public init(minute: Int64) {
        self.minute = minute
        events = Array(repeating: 0, count: EventType.allCases.count)
        bookSeconds = 0
        tradeSeconds = 0
        anySeconds = 0
        sequenceGaps = 0
        desyncs = [:]
        resyncs = 0
        anomalies = [:]
        exchangeLatency = LatencyHistogram()
        gatewayLatency = LatencyHistogram()
    }

    /// Adds another bucket of the same minute (e.g. counted before and after a restart).
    public mutating func merge(_ other: QualityBucket) {
        for i in events.indices where i < other.events.count { events[i] += other.events[i] }
        bookSeconds |= other.bookSeconds
        tradeSeconds |= other.tradeSeconds
        anySeconds |= other.anySeconds
        sequenceGaps += other.sequenceGaps
        desyncs.merge(other.desyncs, uniquingKeysWith: +)
        resyncs += other.resyncs
        anomalies.merge(other.anomalies, uniquingKeysWith: +)
        exchangeLatency.merge(other.exchangeLatency)
        gatewayLatency.merge(other.gatewayLatency)
    }

    public var totalEvents: Int { events.reduce(0, +) }

    enum CodingKeys: String, CodingKey {
        case minute = "m", events = "e", bookSeconds = "bs", tradeSeconds = "ts", anySeconds = "as", sequenceGaps = "g",
            desyncs = "d", resyncs = "r", anomalies = "a", exchangeLatency = "xl", gatewayLatency = "gl"
    }
}

/// A mergeable latency distribution in milliseconds: log-spaced bins (4 per doubling, so a
/// percentile read from it is within 19 % of the true value), exact count, sum, min and max.
/// Negative latencies (a clock ahead of ours) are counted apart, their minimum kept.
public struct LatencyHistogram: Sendable, Equatable, Codable {
    /// Bins by index (bin i holds [2^(i/4) - 1, 2^((i+1)/4) - 1) ms); the last bin takes everything above.
    public var bins: [Int] = []
    public var count = 0
    public var negative = 0
    public var sumMs = 0.0
    public var minMs = Double.infinity
    public var maxMs = -Double.infinity

    public init() {}

    static let binsPerDoubling = 4.0
    /// 2^28 ms (three days) and above share the last bin.
    static let binCount = 113

    static func bin(_ ms: Double) -> Int { min(Int((log2(ms + 1) * binsPerDoubling).rounded(.down)), binCount - 1) }
    /// Upper edge of a bin, in ms.
    static func upper(_ bin: Int) -> Double { exp2(Double(bin + 1) / binsPerDoubling) - 1 }

    public mutating func record(ms: Double) {
        guard ms.isFinite else { return }
        count += 1
        sumMs += ms
        minMs = Swift.min(minMs, ms)
        maxMs = Swift.max(maxMs, ms)
        if ms < 0 {
            negative += 1
        } else {
            if bins.isEmpty { bins = Array(repeating: 0, count: Self.binCount) }
            bins[Self.bin(ms)] += 1
        }
    }

    public mutating func merge(_ other: LatencyHistogram) {
        if !other.bins.isEmpty {
            if bins.isEmpty { bins = other.bins } else { for i in bins.indices { bins[i] += other.bins[i] } }
        }
        count += other.count
        negative += other.negative
        sumMs += other.sumMs
        minMs = Swift.min(minMs, other.minMs)
        maxMs = Swift.max(maxMs, other.maxMs)
    }

    /// The q-quantile (0…1), as the upper edge of its bin clamped to the observed range; nil when empty.
    public func quantile(_ q: Double) -> Double? {
        guard count > 0 else { return nil }
        let rank = Int((q * Double(count)).rounded(.up))
        if rank <= negative { return minMs }
        var seen = negative
        for (bin, n) in bins.enumerated() where n > 0 {
            seen += n
            if seen >= rank { return Swift.min(Swift.max(Self.upper(bin), Swift.max(minMs, 0)), maxMs) }
        }
        return maxMs
    }

    public var meanMs: Double? { count > 0 ? sumMs / Double(count) : nil }

    enum CodingKeys: String, CodingKey { case bins = "b", count = "n", negative = "neg", sumMs = "s", minMs = "lo", maxMs = "hi" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // Stored sparse: [bin, count, bin, count, …]; the first stored form was {"bin": count}.
        let sparse: [Int]
        if let pairs = try? c.decode([Int].self, forKey: .bins) {
            sparse = pairs
        } else {
            sparse = try c.decode([Int: Int].self, forKey: .bins).sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }
        }
        if !sparse.isEmpty {
            bins = Array(repeating: 0, count: Self.binCount)
            for i in stride(from: 0, to: sparse.count - 1, by: 2) where (0..<Self.binCount).contains(sparse[i]) {
                bins[sparse[i]] = sparse[i + 1]
            }
        }
        count = try c.decode(Int.self, forKey: .count)
        negative = try c.decode(Int.self, forKey: .negative)
        sumMs = try c.decode(Double.self, forKey: .sumMs)
        // JSON has no infinities: an empty histogram stores no bounds.
        minMs = try c.decodeIfPresent(Double.self, forKey: .minMs) ?? .infinity
        maxMs = try c.decodeIfPresent(Double.self, forKey: .maxMs) ?? -.infinity
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(bins.enumerated().filter { $0.element > 0 }.flatMap { [$0.offset, $0.element] }, forKey: .bins)
        try c.encode(count, forKey: .count)
        try c.encode(negative, forKey: .negative)
        try c.encode(sumMs, forKey: .sumMs)
        if count > 0 {
            try c.encode(minMs, forKey: .minMs)
            try c.encode(maxMs, forKey: .maxMs)
        }
    }
}
