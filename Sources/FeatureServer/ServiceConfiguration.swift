public import Foundation
public import Logging
public import Routing

/// Everything `serve` needs, from environment variables (interfaces.md §9) and flags.
/// Every setting has a default, so `serve` runs with none set.
public struct ServiceConfiguration: Sendable {
    public var host = "0.0.0.0"
    public var port = 4500
    /// The web console's port (the console's files and the same API); 0: any free port; nil: no console.
    public var consolePort: Int? = ServiceConfiguration.defaultConsolePort
    /// The console port when `FEATURE_SERVICE_CONSOLE_PORT` is not set.
    public static let defaultConsolePort = 4501
    /// The console's folder (nil: found by `ConsoleFiles.locate`, `FEATURE_SERVICE_CONSOLE_DIR` first).
    public var consoleDirectory: String?
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
    /// This instance's shard name (`FEATURE_SERVICE_SHARD`): it consumes only its own queue, fed
    /// by `feature-service route` and bound to ``symbols`` (nil: a lone instance).
    public var shard: String?
    /// The API base URL this instance advertises to the other shards (`FEATURE_SERVICE_ADVERTISE_URL`;
    /// default `http://{instance}:{port}`), named when one is asked for a symbol it does not own.
    public var advertiseURL: String?
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
        if let port = env["FEATURE_SERVICE_CONSOLE_PORT"] {
            if port.lowercased() == "off" {
                c.consolePort = nil
            } else {
                guard let value = Int(port), (0...65535).contains(value) else {
                    throw ConfigurationError("FEATURE_SERVICE_CONSOLE_PORT must be 0-65535 (0: any free port) or off, got '\(port)'")
                }
                c.consolePort = value
            }
        }
        if let dir = env["FEATURE_SERVICE_CONSOLE_DIR"], !dir.isEmpty { c.consoleDirectory = dir }
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
        if let shard = env["FEATURE_SERVICE_SHARD"], !shard.isEmpty { c.shard = shard }
        if let url = env["FEATURE_SERVICE_ADVERTISE_URL"], !url.isEmpty { c.advertiseURL = url }
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

    /// The shard this configuration describes (nil: a lone instance), or why the combination of
    /// broker, shard and symbols cannot work. An instance that owns only some symbols but
    /// consumes the gateway's queues directly would receive every symbol's messages as a
    /// competing consumer and acknowledge the others' — lost — so it is refused.
    public func shardAssignment() throws -> ShardAssignment? {
        guard let shard else {
            if let symbols, amqpURL != nil {
                throw ConfigurationError(
                    "FEATURE_SERVICE_SYMBOLS=\(symbols.sorted().joined(separator: ",")) with AMQP_URL: an instance that owns some "
                        + "symbols must not consume the gateway queues directly (it would acknowledge, and lose, every other "
                        + "symbol's messages). Run `feature-service route` in front and give each instance a shard name "
                        + "(FEATURE_SERVICE_SHARD or --shard), or unset FEATURE_SERVICE_SYMBOLS to own all symbols.")
            }
            return nil
        }
        guard ShardAssignment.isValidName(shard) else {
            throw ConfigurationError("shard name '\(shard)' must be 1 to 64 letters, digits, '-' or '_'")
        }
        guard amqpURL != nil else {
            throw ConfigurationError("shard '\(shard)' consumes its queue from the broker: set AMQP_URL")
        }
        guard let symbols, !symbols.isEmpty else {
            throw ConfigurationError("shard '\(shard)' needs the symbols it owns: FEATURE_SERVICE_SYMBOLS=BTCUSDT,ETHUSDT or --symbols")
        }
        if let bad = symbols.sorted().first(where: { !ShardAssignment.isValidName($0) }) {
            throw ConfigurationError("symbol '\(bad)' in FEATURE_SERVICE_SYMBOLS is not a symbol (letters, digits, '-', '_')")
        }
        return ShardAssignment(name: shard, symbols: symbols)
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
