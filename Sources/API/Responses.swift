import FeatureEngine
import MarketData
import Metadata

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
