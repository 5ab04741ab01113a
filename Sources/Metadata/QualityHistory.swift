import Foundation
public import MarketData
public import Quality

/// Data-quality buckets kept in the metadata store: one `quality_summaries` row per symbol and
/// hour, whose figures summarise the hour and whose `report` holds its minute buckets (JSON),
/// so any range is answered from at most one row per hour.
public struct QualityHistory: Sendable {
    public let metadata: MetadataStore
    static let hour = 3_600 * Time.nanosPerSecond

    public init(metadata: MetadataStore) {
        self.metadata = metadata
    }

    /// Adds minute buckets to their hours (merging with what the hour already holds: each
    /// observation is handed over once, so sums stay exact across restarts).
    public func add(_ buckets: [String: [QualityBucket]], computedAt: Nanos) async throws {
        for (symbol, list) in buckets {
            for (hour, incoming) in Dictionary(grouping: list, by: { Time.floorDiv($0.minute * 60 * Time.nanosPerSecond, Self.hour) }) {
                let start = hour * Self.hour
                var minutes: [Int64: QualityBucket] = [:]
                for bucket in try await stored(symbol: symbol, from: start, to: start + Self.hour) { minutes[bucket.minute] = bucket }
                for bucket in incoming { minutes[bucket.minute, default: QualityBucket(minute: bucket.minute)].merge(bucket) }
                try await save(symbol: symbol, hourStart: start, buckets: Array(minutes.values), computedAt: computedAt)
            }
        }
    }

    /// Replaces the hours covered by `buckets` (an offline rebuild recounts them whole).
    public func replace(symbol: String, buckets: [QualityBucket], computedAt: Nanos) async throws {
        for (hour, list) in Dictionary(grouping: buckets, by: { Time.floorDiv($0.minute * 60 * Time.nanosPerSecond, Self.hour) }) {
            try await save(symbol: symbol, hourStart: hour * Self.hour, buckets: list, computedAt: computedAt)
        }
    }

    /// Stored minute buckets of hours overlapping [from, to).
    public func stored(symbol: String, from: Nanos, to: Nanos) async throws -> [QualityBucket] {
        let rows = try await metadata.qualitySummaries(symbol: symbol, from: from, to: to)
        let decoder = JSONDecoder()
        var buckets: [QualityBucket] = []
        for row in rows {
            buckets += try decoder.decode([QualityBucket].self, from: Data(row.reportJSON.utf8))
        }
        return buckets
    }

    private func save(symbol: String, hourStart: Nanos, buckets: [QualityBucket], computedAt: Nanos) async throws {
        let sorted = buckets.sorted { $0.minute < $1.minute }
        let summary = QualityReport(symbol: symbol, from: hourStart, to: hourStart + Self.hour, buckets: sorted)
        let json = String(decoding: try JSONEncoder().encode(sorted), as: UTF8.self)
        try await metadata.save(
            QualitySummaryRecord(
                symbol: symbol, periodStart: hourStart, periodEnd: hourStart + Self.hour, computedAt: computedAt,
                events: summary.events.values.reduce(0, +), missingRate: summary.missingRate, sequenceGaps: summary.sequenceGaps,
                desyncs: summary.desyncEvents, anomalies: summary.anomalyCount, latencySkewP99Ms: summary.exchangeLatency.quantile(0.99),
                reportJSON: json))
    }
}
