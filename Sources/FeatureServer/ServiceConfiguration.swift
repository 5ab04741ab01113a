public import Foundation
public import Logging

/// Everything `serve` needs, from environment variables (interfaces.md §9) and flags.
/// Every setting has a default, so `serve` runs with none set.
public struct ServiceConfiguration: Sendable {
    public var host = "0.0.0.0"
    public var port = 4500
    /// Accepted API keys; when none are configured a random key is generated and printed.
    public var apiKeys: [String] = []
    public var dataDirectory = "./data"
    /// Registry file; nil means the bundled default.
    public var registryPath: String?
    /// `postgres://…` or `sqlite:PATH`; nil: SQLite file `metadata.sqlite` in the data directory.
    public var databaseURL: String?
    /// This instance's name in the shared metadata store (datasets it owns, registry activations).
    public var instance = ProcessInfo.processInfo.hostName
    public var amqpURL: String?
    /// Symbols this instance owns (nil: all).
    public var symbols: Set<String>?
    /// Raw data retention in days: `serve` deletes older partitions (hourly, and at start-up).
    public var retentionDays = ServiceConfiguration.defaultRetentionDays
    /// The retention period when `FEATURE_SERVICE_RETENTION_DAYS` is not set.
    public static let defaultRetentionDays = 90
    /// Position manager base URL for the REST fallback (nil: positions only from events).
    public var positionManagerURL: String?
    /// Sent as `X-API-Key` to the position manager.
    public var positionManagerAPIKey: String?
    /// Base URL of the exchange REST API for book resync snapshots (nil: wait for the feed's next snapshot).
    public var snapshotURL: String?
    public var logLevel: Logger.Level = .info
    /// A recording to play instead of the simulated feed.
    public var replayFile: String?
    /// Replay pace multiplier (1 = recorded pace, 0 = as fast as possible).
    public var replaySpeed = 1.0
    /// Stop gracefully (store flushed, exit status 0) once the replay has been played; otherwise the API keeps serving.
    public var exitAfterReplay = false
    /// Run the built-in simulated market (default when no broker and no replay is configured).
    public var simulate = true
    /// Publish a vector on every book update too, at most once per this many ms per symbol (nil: grid only).
    public var bookUpdateThrottleMs: Int?
    /// Dataset builds in this process, or spread over `worker` processes through the broker.
    public var datasetDistribution = DatasetDistribution()

    public init() {}

    /// Reads the environment; unknown or malformed values are reported, not ignored.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> ServiceConfiguration {
        var c = ServiceConfiguration()
        if let port = env["FEATURE_SERVICE_PORT"] {
            guard let value = Int(port), (1...65535).contains(value) else {
                throw ConfigurationError("FEATURE_SERVICE_PORT must be 1-65535, got '\(port)'")
            }
            c.port = value
        }
        if let keys = env["FEATURE_SERVICE_API_KEYS"] {
            c.apiKeys = keys.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let dir = env["FEATURE_SERVICE_DATA_DIR"], !dir.isEmpty { c.dataDirectory = dir }
        if let registry = env["FEATURE_SERVICE_REGISTRY"], !registry.isEmpty { c.registryPath = registry }
        if let url = env["DATABASE_URL"], !url.isEmpty { c.databaseURL = url }
        if let url = env["AMQP_URL"], !url.isEmpty { c.amqpURL = url }
        if let name = env["FEATURE_SERVICE_INSTANCE"], !name.isEmpty { c.instance = name }
        if let symbols = env["FEATURE_SERVICE_SYMBOLS"], !symbols.isEmpty, symbols != "all" {
            c.symbols = Set(symbols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() })
        }
        c.retentionDays = try retentionDays(env)
        c.datasetDistribution = try DatasetDistribution.fromEnvironment(env)
        if let url = env["POSITION_MANAGER_URL"], !url.isEmpty { c.positionManagerURL = url }
        if let key = env["POSITION_MANAGER_API_KEY"], !key.isEmpty { c.positionManagerAPIKey = key }
        if let url = env["FEATURE_SERVICE_SNAPSHOT_URL"], !url.isEmpty { c.snapshotURL = url }
        if let level = env["LOG_LEVEL"] {
            guard let value = Logger.Level(rawValue: level.lowercased()) else {
                throw ConfigurationError("LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical; got '\(level)'")
            }
            c.logLevel = value
        }
        return c
    }

    /// `FEATURE_SERVICE_RETENTION_DAYS` (default 90), also read by `import` to warn about data `serve` would delete.
    public static func retentionDays(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> Int {
        guard let days = env["FEATURE_SERVICE_RETENTION_DAYS"] else { return defaultRetentionDays }
        guard let value = Int(days), value >= 1 else {
            throw ConfigurationError("FEATURE_SERVICE_RETENTION_DAYS must be a positive integer, got '\(days)'")
        }
        return value
    }
}

/// A configuration value that cannot be used.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
