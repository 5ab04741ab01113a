import Foundation
public import MarketData
public import RawStore

/// Malformed message bodies held for the dead-letter file, with bounds so that no sender can
/// make the service keep (or log) an unbounded amount: at most ``dailyCount`` letters and
/// ``dailyBytes`` bytes of bodies per UTC day (by the service clock), each body cut to
/// ``maxBodyBytes``. What is over a bound is counted in ``dropped``, never silently lost
/// from the counters. Pure: time comes in as data.
public struct DeadLetterBox: Sendable {
    /// One malformed body and why it was refused.
    public struct Letter: Sendable {
        public var error: DecodeError
        /// The body, cut to ``DeadLetterBox/maxBodyBytes``.
        public var body: [UInt8]
        /// The body's full length (larger than `body.count` when it was cut).
        public var length: Int
        public var receivedAt: Nanos
        /// Where it came from: `broker`, `ingest` (POST /ingest), `replay`, `simulator`.
        public var source: String
        /// Whether a log line of its own is wanted (a broker message); an HTTP request logs one
        /// summary line instead.
        public var logIndividually: Bool
    }

    public static let dailyCount = 10_000
    public static let dailyBytes = 64 << 20
    public static let maxBodyBytes = 64 << 10

    private(set) var pending: [Letter] = []
    /// Letters refused by a bound since start.
    public private(set) var dropped = 0
    /// Letters kept since start.
    public private(set) var kept = 0
    private var day: Int64 = .min
    private var dayCount = 0
    private var dayBytes = 0

    public init() {}

    /// Keeps a letter unless today's bounds are reached; returns whether it was kept.
    @discardableResult
    public mutating func add(
        _ error: DecodeError, body: some Collection<UInt8>, at now: Nanos, source: String,
        logIndividually: Bool
    ) -> Bool {
        let today = Time.floorDiv(now, Time.nanosPerDay)
        if today != day { (day, dayCount, dayBytes) = (today, 0, 0) }
        let cut = Array(body.prefix(Self.maxBodyBytes))
        guard dayCount < Self.dailyCount, dayBytes + cut.count <= Self.dailyBytes else {
            dropped += 1
            return false
        }
        dayCount += 1
        dayBytes += cut.count
        kept += 1
        pending.append(
            Letter(
                error: error, body: cut, length: body.count, receivedAt: now, source: source,
                logIndividually: logIndividually))
        return true
    }

    /// Counts a letter that a caller chose not to keep (over its own per-request bound).
    public mutating func countDropped(_ count: Int = 1) { dropped += count }

    /// The letters not yet written; clears the list.
    public mutating func take() -> [Letter] {
        defer { pending.removeAll() }
        return pending
    }
}

extension DeadLetterBox.Letter {
    /// The letter as a line of the day's dead-letter file.
    public var record: DeadLetterRecord {
        DeadLetterRecord(error: error, body: body, length: length, receivedAt: receivedAt, source: source)
    }
}
