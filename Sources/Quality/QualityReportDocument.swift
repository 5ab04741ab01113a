import MarketData

/// A ``QualityReport`` as answered by `GET /data-quality/report` (interfaces.md §5): times in
/// ISO 8601, counts by name, latencies in milliseconds to the microsecond. Keys are snake_case;
/// a latency statistic without any sample is written as null.
public struct QualityReportDocument: Codable, Sendable, Equatable {
    /// Fractions of the range's seconds with at least one message of the kind.
    public struct Coverage: Codable, Sendable, Equatable {
        public var orderbook: Double
        public var trade: Double
        public var any: Double
    }

    /// A run of seconds without any event.
    public struct Period: Codable, Sendable, Equatable {
        public var from: String
        public var to: String
        public var seconds: Int64
    }

    /// How many runs without events, and the first ones.
    public struct MissingPeriods: Codable, Sendable, Equatable {
        public var count: Int
        public var listed: [Period]
    }

    /// Order-book desyncs, by reason.
    public struct Desyncs: Codable, Sendable, Equatable {
        public var total: Int
        public var byReason: [String: Int]

        enum CodingKeys: String, CodingKey {
            case total
            case byReason = "by_reason"
        }
    }

    /// Anomalies, by kind.
    public struct Anomalies: Codable, Sendable, Equatable {
        public var total: Int
        public var byKind: [String: Int]

        enum CodingKeys: String, CodingKey {
            case total
            case byKind = "by_kind"
        }
    }

    /// A latency histogram's summary in ms; the statistics are null without samples.
    public struct Latency: Codable, Sendable, Equatable {
        public var count: Int
        public var negative: Int
        public var min: Double?
        public var p50: Double?
        public var p99: Double?
        public var max: Double?
        public var mean: Double?

        /// The summary of `histogram`.
        public init(_ histogram: LatencyHistogram) {
            // To the microsecond: the histogram is coarser than that anyway.
            func ms(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? ($0 * 1_000).rounded() / 1_000 : nil } }
            count = histogram.count
            negative = histogram.negative
            min = ms(histogram.count > 0 ? histogram.minMs : nil)
            p50 = ms(histogram.quantile(0.5))
            p99 = ms(histogram.quantile(0.99))
            max = ms(histogram.count > 0 ? histogram.maxMs : nil)
            mean = ms(histogram.meanMs)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(count, forKey: .count)
            try container.encode(negative, forKey: .negative)
            try container.encode(min, forKey: .min)
            try container.encode(p50, forKey: .p50)
            try container.encode(p99, forKey: .p99)
            try container.encode(max, forKey: .max)
            try container.encode(mean, forKey: .mean)
        }
    }

    /// Latency from the exchange's and from the gateway's time stamp to the service's.
    public struct LatencySkew: Codable, Sendable, Equatable {
        public var exchangeToService: Latency
        public var gatewayToService: Latency

        enum CodingKeys: String, CodingKey {
            case exchangeToService = "exchange_to_service"
            case gatewayToService = "gateway_to_service"
        }
    }

    public var symbol: String
    public var from: String
    public var to: String
    public var resolution: String
    /// Events by type (types without events left out).
    public var events: [String: Int]
    public var totalEvents: Int
    public var minutesWithData: Int
    public var missingRate: Double
    public var coverage: Coverage
    public var missingPeriods: MissingPeriods
    public var sequenceGaps: Int
    public var desyncEvents: Desyncs
    public var resyncs: Int
    public var anomalies: Anomalies
    public var latencySkewMs: LatencySkew

    enum CodingKeys: String, CodingKey {
        case symbol, from, to, resolution, events, coverage, resyncs, anomalies
        case totalEvents = "total_events"
        case minutesWithData = "minutes_with_data"
        case missingRate = "missing_rate"
        case missingPeriods = "missing_periods"
        case sequenceGaps = "sequence_gaps"
        case desyncEvents = "desync_events"
        case latencySkewMs = "latency_skew_ms"
    }

    /// `report` as it is answered.
    public init(_ report: QualityReport) {
        symbol = report.symbol
        from = Time.formatISO8601(report.from)
        to = Time.formatISO8601(report.to)
        resolution = "1s coverage, 1m counters"
        events = Dictionary(uniqueKeysWithValues: report.events.map { ($0.key.rawValue, $0.value) })
        totalEvents = report.events.values.reduce(0, +)
        minutesWithData = report.minutesWithData
        missingRate = report.missingRate
        coverage = Coverage(orderbook: report.bookCoverage, trade: report.tradeCoverage, any: report.anyCoverage)
        let listed = report.missingPeriods.map { period in
            Period(
                from: Time.formatISO8601(period.from), to: Time.formatISO8601(period.to),
                seconds: (period.to - period.from) / Time.nanosPerSecond)
        }
        missingPeriods = MissingPeriods(count: report.missingPeriodCount, listed: listed)
        sequenceGaps = report.sequenceGaps
        desyncEvents = Desyncs(total: report.desyncEvents, byReason: report.desyncs)
        resyncs = report.resyncs
        anomalies = Anomalies(total: report.anomalyCount, byKind: report.anomalies)
        latencySkewMs = LatencySkew(exchangeToService: Latency(report.exchangeLatency), gatewayToService: Latency(report.gatewayLatency))
    }
}
