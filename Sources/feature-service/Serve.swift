import ArgumentParser
import FeatureServer
import Foundation
import Logging
import Metrics
import Offline
import Prometheus
import RawStore
import ServiceRuntime

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the service: HTTP API, ingest, raw store, live features.",
        discussion: """
            Runs on embedded defaults with no configuration at all: raw store, dead letters, \
            datasets and the SQLite metadata file (datasets, registry versions, data-quality \
            summaries) under ./data, a built-in simulated market (BTCUSDT, ETHUSDT, SOLUSDT) as the feed, \
            the HTTP API on port 4500 with an API key printed at start-up. Market data can also \
            be pushed with POST /ingest or played from a recording with --replay: when the \
            recording ends the API keeps serving what it left (log "replay finished"), or, with \
            --exit-after-replay, the service stops as on SIGTERM (store flushed, exit status 0). \
            Raw partitions older than FEATURE_SERVICE_RETENTION_DAYS (default 90) are deleted at \
            start-up and hourly; the log says how many partitions, days and events went.
            Environment: FEATURE_SERVICE_PORT, FEATURE_SERVICE_API_KEYS, FEATURE_SERVICE_DATA_DIR, \
            FEATURE_SERVICE_REGISTRY, FEATURE_SERVICE_SYMBOLS, FEATURE_SERVICE_RETENTION_DAYS, \
            AMQP_URL, DATABASE_URL (postgres://user:pass@host:5432/db or sqlite:PATH), \
            FEATURE_SERVICE_INSTANCE, FEATURE_SERVICE_SHARD, FEATURE_SERVICE_ADVERTISE_URL, POSITION_MANAGER_URL, \
            POSITION_MANAGER_API_KEY, LOG_LEVEL, FEATURE_SERVICE_CONSOLE_PORT, FEATURE_SERVICE_CONSOLE_DIR (flags override them).
            The web console (http://localhost:4501/) serves its page and the same API on its own port; \
            the API key is entered once in the page.
            Scale-out: `feature-service route` in front, and each instance started with --shard NAME \
            --symbols A,B consumes only its own queue; an instance that owns some symbols but would \
            consume the gateway queues directly refuses to start (it would acknowledge, and lose, the others).
            """)

    @Option(name: .long, help: "HTTP port (env FEATURE_SERVICE_PORT, default 4500).")
    var port: Int?

    @Option(
        name: .long,
        help: "Web console port: the console page and the same API (env FEATURE_SERVICE_CONSOLE_PORT, default 4501; 0: any free port).")
    var consolePort: Int?

    @Flag(name: .long, help: "Do not serve the web console (env FEATURE_SERVICE_CONSOLE_PORT=off).")
    var noConsole = false

    @Option(name: .long, help: "Bind address (default 0.0.0.0).")
    var host: String?

    @Option(name: .long, help: "Data directory (env FEATURE_SERVICE_DATA_DIR, default ./data).")
    var dataDir: String?

    @Option(name: .long, help: "Feature registry file (env FEATURE_SERVICE_REGISTRY, default: bundled).")
    var registry: String?

    @Option(
        name: .long,
        help:
            "Metadata database: postgres://user:pass@host:5432/db or sqlite:PATH (env DATABASE_URL, default: SQLite in the data directory)."
    )
    var databaseURL: String?

    @Option(name: .long, help: "Play this recording (JSON Lines) instead of the simulated feed; the API keeps serving after it ends.")
    var replay: String?

    @Option(name: .long, help: "Replay pace: 1 = recorded pace, 10 = ten times faster, 0 = as fast as possible.")
    var speed: Double = 1

    @Flag(name: .long, help: "With --replay: stop gracefully (raw store flushed, exit status 0) once the recording has been played.")
    var exitAfterReplay = false

    @Flag(name: .long, help: "Do not run the simulated feed (data only from POST /ingest).")
    var noSimulator = false

    @Option(name: .long, help: "Also publish a vector on every book update, at most once per this many ms per symbol.")
    var bookUpdateThrottleMs: Int?

    @Option(name: .long, help: "Broker URL, amqp://user:pass@host:5672/vhost (env AMQP_URL; default: no broker).")
    var amqpURL: String?

    @Option(
        name: .long,
        help:
            "Run as shard NAME behind `feature-service route`: consume only the queue feature-service.shard.NAME (env FEATURE_SERVICE_SHARD)."
    )
    var shard: String?

    @Option(name: .long, help: "Symbols this instance owns, comma-separated (env FEATURE_SERVICE_SYMBOLS, default: all).")
    var symbols: String?

    @Option(name: .long, help: "API base URL other shards name for this shard's symbols (env FEATURE_SERVICE_ADVERTISE_URL).")
    var advertiseURL: String?

    func validate() throws {
        if exitAfterReplay && replay == nil { throw ValidationError("--exit-after-replay needs --replay FILE") }
        if speed < 0 { throw ValidationError("--speed must be 0 or more") }
        if let consolePort, !(0...65535).contains(consolePort) { throw ValidationError("--console-port must be 0-65535") }
        if noConsole && consolePort != nil { throw ValidationError("--no-console and --console-port exclude each other") }
    }

    func run() async throws {
        var configuration: ServiceConfiguration
        do { configuration = try ServiceConfiguration.fromEnvironment() } catch { throw ValidationError("\(error)") }
        if let port { configuration.port = port }
        if let host { configuration.host = host }
        if let consolePort { configuration.consolePort = consolePort }
        if noConsole { configuration.consolePort = nil }
        if let dataDir { configuration.dataDirectory = dataDir }
        if let registry { configuration.registryPath = registry }
        if let databaseURL { configuration.databaseURL = databaseURL }
        if let amqpURL { configuration.amqpURL = amqpURL }
        if let shard { configuration.shard = shard }
        if let advertiseURL { configuration.advertiseURL = advertiseURL }
        if let symbols {
            let list = symbols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty }
            configuration.symbols = list.isEmpty || list == ["ALL"] ? nil : Set(list)
        }
        configuration.replayFile = replay
        configuration.replaySpeed = speed
        configuration.exitAfterReplay = exitAfterReplay
        configuration.simulate = !noSimulator && replay == nil
        configuration.bookUpdateThrottleMs = bookUpdateThrottleMs
        let level = configuration.logLevel
        LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level) }
        let logger = Logger(label: "feature-service")
        // One registry for the process: the service's own figures, and through swift-metrics those of
        // the libraries that use it (Hummingbird's HTTP metrics middleware).
        let metrics = ServiceMetrics()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
        let service = FeatureService(configuration: configuration, format: ParquetFormat(), logger: logger, metrics: metrics)
        do {
            // The bound port, so `--port 0` (any free port) is usable.
            try await service.run(
                onServerRunning: { port in
                    logger.notice("HTTP API listening", metadata: ["port": .stringConvertible(port)])
                },
                onConsoleRunning: { port in
                    logger.notice(
                        "web console listening", metadata: ["port": .stringConvertible(port), "url": .string("http://localhost:\(port)/")])
                })
        } catch let error as ConfigurationError {
            // A configuration problem, not a usage one: the reason without the usage text.
            FileHandle.standardError.write(Data("Error: \(error.description)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
    }
}
