import FeatureEngine
import MarketData
import Metadata
import Quality

// The answers of the registry, health and ingest routes, as encoded by `JSONResponse.encoded`.
// Keys are snake_case through explicit coding keys; optional members are left out when nil
// (the answers never wrote null for them). The OpenAPI document lists these keys, and a test
// checks that it does.

/// `GET /health`: the status for anyone; uptime and each check only for a caller with an API key.
struct HealthAnswer: Codable, Equatable {
    /// One dependency: `up`, `down` or `disabled`, with what was checked (a path, a location, an error).
    struct Check: Codable, Equatable {
        var status: String
        var detail: String
    }

    /// `ok`, or `degraded` when a check is down.
    var status: String
    var uptimeSeconds: Double?
    /// By dependency: `broker`, `storage`, `metadata`.
    var checks: [String: Check]?

    enum CodingKeys: String, CodingKey {
        case status, checks
        case uptimeSeconds = "uptime_seconds"
    }
}

/// `GET /feature-registry`: the registry in force, features in registry order.
struct RegistryAnswer: Codable, Equatable {
    /// One feature; `window` and `levels` only where the kind has them.
    struct Feature: Codable, Equatable {
        var name: String
        var kind: String
        var window: String?
        var levels: Int?
        var sources: [String]
    }

    var version: String
    var contentHash: String
    var quietLimit: String
    var features: [Feature]

    enum CodingKeys: String, CodingKey {
        case version, features
        case contentHash = "content_hash"
        case quietLimit = "quiet_limit"
    }

    init(_ registry: FeatureRegistry) {
        version = registry.version
        contentHash = registry.contentHash
        quietLimit = Time.formatDuration(registry.quietLimit)
        features = registry.features.map { feature in
            Feature(
                name: feature.name, kind: feature.kind.rawValue, window: feature.window.map(Time.formatDuration),
                levels: feature.levels, sources: feature.sources)
        }
    }
}

/// `POST /feature-registry/reload`: the registry now in force, and whether the metadata store recorded it.
struct ReloadAnswer: Codable, Equatable {
    /// Always `reloaded` (a rejected registry is an error).
    var status = "reloaded"
    var recorded: Bool
    var registry: RegistryAnswer
}

/// `GET /feature-registry/versions`: every registry content run with, most recently activated first.
struct RegistryVersionsAnswer: Codable, Equatable {
    /// One registry content, as the metadata store knows it.
    struct Version: Codable, Equatable {
        var version: String
        var contentHash: String
        var featureCount: Int
        var inForce: Bool
        var firstSeenAt: String
        var lastActivatedAt: String
        var activations: Int

        enum CodingKeys: String, CodingKey {
            case version, activations
            case contentHash = "content_hash"
            case featureCount = "feature_count"
            case inForce = "in_force"
            case firstSeenAt = "first_seen_at"
            case lastActivatedAt = "last_activated_at"
        }

        init(_ record: RegistryVersionRecord, inForce: String) {
            version = record.version
            contentHash = record.contentHash
            featureCount = record.featureCount
            self.inForce = record.contentHash == inForce
            firstSeenAt = Time.formatISO8601(record.firstSeenAt)
            lastActivatedAt = Time.formatISO8601(record.lastActivatedAt)
            activations = record.activations
        }
    }

    var versions: [Version]
}

/// `GET /feature-registry/validate` of a valid registry (an invalid one is a 422 error with its problems).
struct ValidationAnswer: Codable, Equatable {
    var valid = true
    /// The file validated, or `bundled default`.
    var source: String
    /// Always empty here; kept so that a client reads the same key as in the 422 body.
    var problems: [APIProblem] = []
}

/// `POST /ingest`: what was read, accepted (and made durable) and rejected.
struct IngestAnswer: Codable, Equatable {
    /// A malformed line, by its 1-based number, with why.
    struct MalformedLine: Codable, Equatable {
        var line: Int
        var error: String
    }

    var lines: Int
    var acceptedEvents: Int
    var malformedLines: Int
    var deadLettered: Int
    /// The first few malformed lines; the rest are only counted.
    var malformed: [MalformedLine]
    var malformedNotListed: Int

    enum CodingKeys: String, CodingKey {
        case lines, malformed
        case acceptedEvents = "accepted_events"
        case malformedLines = "malformed_lines"
        case deadLettered = "dead_lettered"
        case malformedNotListed = "malformed_not_listed"
    }
}

/// `GET /features/book` and the `book` events of `GET /features/stream`: the best levels of a
/// symbol's book, best first. `mid`, `spread`, `best_bid` and `best_ask` are null while the book
/// is out of sync or a side is empty, as the book features are; the levels are shown regardless
/// (while out of sync they are what the book last held).
struct BookAnswer: Codable, Equatable {
    struct Level: Codable, Equatable {
        var price: Double
        var size: Double
    }

    var symbol: String
    /// When the book was read (ns since the epoch).
    var tsNs: Int64
    var inSync: Bool
    /// `synced`, or why not: `awaiting_snapshot`, `sequence_gap`, `crossed_book`, `delta_before_snapshot`.
    var state: String
    var lastUpdateId: Int64?
    var bids: [Level]
    var asks: [Level]
    var bestBid: Double?
    var bestAsk: Double?
    /// (best bid + best ask) / 2, as the `mid_price` feature.
    var mid: Double?
    /// best ask - best bid, as the `spread_abs` feature.
    var spread: Double?

    enum CodingKeys: String, CodingKey {
        case symbol, state, bids, asks, mid, spread
        case tsNs = "ts_ns"
        case inSync = "in_sync"
        case lastUpdateId = "last_update_id"
        case bestBid = "best_bid"
        case bestAsk = "best_ask"
    }

    init(symbol: String, at now: Nanos, top: BookTop) {
        self.symbol = symbol
        tsNs = now
        inSync = top.inSync
        state = top.state
        lastUpdateId = top.lastUpdateId
        bids = top.bids.map { Level(price: $0.price, size: $0.size) }
        asks = top.asks.map { Level(price: $0.price, size: $0.size) }
        if top.inSync, let bid = top.bids.first?.price, let ask = top.asks.first?.price {
            (bestBid, bestAsk, mid, spread) = (bid, ask, (bid + ask) / 2, ask - bid)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(symbol, forKey: .symbol)
        try container.encode(tsNs, forKey: .tsNs)
        try container.encode(inSync, forKey: .inSync)
        try container.encode(state, forKey: .state)
        try container.encode(lastUpdateId, forKey: .lastUpdateId)
        try container.encode(bids, forKey: .bids)
        try container.encode(asks, forKey: .asks)
        try container.encode(bestBid, forKey: .bestBid)
        try container.encode(bestAsk, forKey: .bestAsk)
        try container.encode(mid, forKey: .mid)
        try container.encode(spread, forKey: .spread)
    }
}

/// `GET /data-quality/report`: the report, and with `minutes=true` each minute with data (the
/// console's coverage strip and its desync and anomaly markers).
struct QualityReportAnswer: Encodable {
    var report: QualityReportDocument
    var minutes: [QualityMinute]?

    enum CodingKeys: String, CodingKey { case minutes }

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(minutes, forKey: .minutes)
    }
}

/// One minute of a data-quality report: coverage from its seconds, its counters.
struct QualityMinute: Codable, Equatable {
    var start: String
    /// Fraction of the minute's seconds with any event, and with an order-book message.
    var coverage: Double
    var orderbook: Double
    var events: Int
    var sequenceGaps: Int
    var desyncs: Int
    var resyncs: Int
    var anomalies: Int

    enum CodingKeys: String, CodingKey {
        case start, coverage, orderbook, events, desyncs, resyncs, anomalies
        case sequenceGaps = "sequence_gaps"
    }

    /// The minutes of `buckets` within [from, to) (several buckets of one minute merged), oldest first.
    static func series(_ buckets: [QualityBucket], from: Nanos, to: Nanos) -> [QualityMinute] {
        let first = Time.floorDiv(from, 60 * Time.nanosPerSecond)
        let last = Time.floorDiv(to - 1, 60 * Time.nanosPerSecond)
        var merged: [Int64: QualityBucket] = [:]
        for bucket in buckets where bucket.minute >= first && bucket.minute <= last {
            merged[bucket.minute, default: QualityBucket(minute: bucket.minute)].merge(bucket)
        }
        return merged.keys.sorted().map { minute in
            let bucket = merged[minute]!
            return QualityMinute(
                start: Time.formatISO8601(minute * 60 * Time.nanosPerSecond), coverage: Double(bucket.anySeconds.nonzeroBitCount) / 60,
                orderbook: Double(bucket.bookSeconds.nonzeroBitCount) / 60, events: bucket.totalEvents, sequenceGaps: bucket.sequenceGaps,
                desyncs: bucket.desyncs.values.reduce(0, +), resyncs: bucket.resyncs, anomalies: bucket.anomalies.values.reduce(0, +))
        }
    }
}

/// `GET /features/symbols`: the symbols seen so far, sorted.
struct SymbolsAnswer: Codable, Equatable {
    var symbols: [String]
}
