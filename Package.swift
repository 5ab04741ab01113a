// swift-tools-version:6.1
// The feature service: market data in, feature vectors and training datasets out.
// Module map (an arrow points at what a module uses):
//   feature-service (CLI) → FeatureServer (assembles services) → { Live, API, Offline }
//   Live    → AMQP, RawStore, EngineHistory, Quality, ServiceRuntime        (broker → pipeline → features.live)
//   API     → Datasets, Metadata, Quality, ServiceRuntime, Hummingbird       (HTTP ↔ `LiveFeatures`, dataset jobs)
//   Offline → RawStore, EngineHistory, Quality                               (recordings/store → engine; no server, broker or SQL)
//   Datasets → EngineHistory → RawStore → Parquet;  FeatureEngine → OrderBook → MarketData (pure core)
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]
/// The hot modules (the pure core, Parquet, the store, replays, datasets) are optimised in debug builds too: the unit suite replays hundreds of thousands of
/// events through it and would otherwise spend minutes where it needs seconds. (`-O` keeps
/// overflow and precondition checks; only `assert` goes, and the core uses `precondition`.)
let hot: [SwiftSetting] = strict + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "feature-service",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "feature-service", targets: ["feature-service"]),
        .library(name: "FeatureEngine", targets: ["FeatureEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // Pure core: no I/O, no clocks, no randomness.
        .target(name: "MarketData", swiftSettings: hot),
        .target(name: "OrderBook", dependencies: ["MarketData"], swiftSettings: hot),
        .target(
            name: "FeatureEngine",
            dependencies: [
                "MarketData", "OrderBook", .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: hot),
        // Parquet: a standalone reader/writer (no dependency on the service), C codecs from Debian.
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CSnappy", path: "Sources/CSnappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CBrotli", path: "Sources/CBrotli", providers: [.apt(["libbrotli-dev"])]),
        .target(name: "Parquet", dependencies: ["CZstd", "CSnappy", "CBrotli"], swiftSettings: hot),
        // AMQP 0-9-1 client on SwiftNIO (standalone: imports nothing of the service).
        .target(
            name: "AMQP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // Storage: durable ingest, Parquet partitions, ordered replay, retention.
        // glibc's malloc.h (malloc_trim): the store returns the heap a segment conversion freed.
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .target(name: "RawStore", dependencies: ["MarketData", "Parquet", "CMalloc"], swiftSettings: hot),
        // Metadata: one SQL schema with migrations, over PostgreSQL (PostgresNIO) or SQLite (Debian's libsqlite3).
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "Metadata",
            dependencies: [
                "CSQLite", "MarketData", "Quality", "FeatureEngine", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict),
        // Data quality: per-minute counters (coverage, gaps, desyncs, anomalies, latency skew) and reports; pure.
        .target(name: "Quality", dependencies: ["MarketData", "OrderBook"], swiftSettings: hot),
        // Engine checkpoint files and the one replay of stored history into the engine (features.md §6).
        .target(name: "EngineHistory", dependencies: ["MarketData", "FeatureEngine", "RawStore"], swiftSettings: hot),
        // Training datasets: targets, splits, leakage checks, Parquet splits and a manifest.
        .target(
            name: "Datasets", dependencies: ["MarketData", "FeatureEngine", "RawStore", "EngineHistory", "Parquet"], swiftSettings: hot),
        // Edges, by direction of data. What the edges share: the one wall clock, the blocking pool, JSON logs.
        .target(
            name: "ServiceRuntime",
            dependencies: [
                "MarketData", .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict),
        // Offline: recordings and the store into the engine (replay, import, rebuilds), the simulator.
        // Links no HTTP server, broker or database client.
        .target(
            name: "Offline",
            dependencies: ["MarketData", "OrderBook", "FeatureEngine", "RawStore", "EngineHistory", "Quality"],
            swiftSettings: strict),
        // Routing: the gateway's queues, the symbol-keyed routing topology and the `route` command's router.
        .target(
            name: "Routing",
            dependencies: [
                "MarketData", "AMQP", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // Live: broker deliveries and other feeds into the pipeline, vectors out to features.live.
        .target(
            name: "Live",
            dependencies: [
                "MarketData", "OrderBook", "FeatureEngine", "RawStore", "EngineHistory", "Quality", "AMQP", "Routing", "ServiceRuntime",
                .product(name: "Logging", package: "swift-log"), .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // API: the HTTP routes, against the `LiveFeatures` protocol (the live side implements it) and dataset jobs.
        .target(
            name: "API",
            dependencies: [
                "MarketData", "FeatureEngine", "RawStore", "Datasets", "Metadata", "Quality", "ServiceRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // The service: assembles Live, API and the feeds into named services of one service group.
        .target(
            name: "FeatureServer",
            dependencies: [
                "MarketData", "OrderBook", "FeatureEngine", "RawStore", "EngineHistory", "Quality", "Metadata", "ServiceRuntime", "Offline",
                "Live", "API", "AMQP", "Routing", "Datasets",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "feature-service",
            dependencies: [
                "FeatureServer", "Offline", "ServiceRuntime", "FeatureEngine", "RawStore", "EngineHistory", "Datasets", "MarketData",
                "Quality", "Metadata", "Routing", "AMQP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "FeatureBenchmarks",
            dependencies: [
                "MarketData", "OrderBook", "FeatureEngine", "FeatureServer", "Offline", "Live", "API", "ServiceRuntime", "RawStore",
                "EngineHistory", "Datasets", "Metadata", "Quality",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/FeatureBenchmarks",
            swiftSettings: strict),

        .executableTarget(
            name: "LatencyBenchmark", dependencies: ["AMQP", "MarketData", "FeatureServer", "Live", "Offline", "ServiceRuntime"],
            path: "Benchmarks/LatencyBenchmark", swiftSettings: strict),
        .executableTarget(
            name: "MemoryBenchmark",
            dependencies: [
                "Live", "Offline", "RawStore", "EngineHistory", "FeatureEngine", "MarketData",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/MemoryBenchmark", swiftSettings: strict),
        .executableTarget(
            name: "ScaleOutBenchmark",
            dependencies: ["AMQP", "Routing", "Live", "MarketData", "Offline", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/ScaleOutBenchmark", swiftSettings: strict),
        .executableTarget(name: "ParquetBenchmark", dependencies: ["Parquet"], path: "Benchmarks/ParquetBenchmark", swiftSettings: strict),
        // Order book delta apply, side by side with hftbacktest's and NautilusTrader's books (scripts/bench-book-peers.sh).
        .executableTarget(
            name: "BookBenchmark", dependencies: ["OrderBook", "MarketData"], path: "Benchmarks/BookBenchmark", swiftSettings: strict),

        // Unit tests: no servers, no Python, no child processes; `scripts/test.sh --unit` runs them anywhere in seconds.
        .target(name: "TestSupport", dependencies: ["Parquet"], path: "Tests/TestSupport", swiftSettings: strict),
        .target(
            name: "ServiceTestSupport",
            dependencies: [
                "TestSupport", "API", "FeatureServer", "Live", "Offline", "ServiceRuntime", "MarketData", "Metadata", "RawStore",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/ServiceTestSupport", swiftSettings: strict),
        .testTarget(name: "MarketDataTests", dependencies: ["MarketData"], swiftSettings: strict),
        .testTarget(name: "OrderBookTests", dependencies: ["OrderBook", "MarketData"], swiftSettings: strict),
        .testTarget(name: "FeatureEngineTests", dependencies: ["FeatureEngine", "OrderBook", "MarketData"], swiftSettings: strict),
        .testTarget(name: "ParquetTests", dependencies: ["TestSupport", "Parquet"], swiftSettings: strict),
        .testTarget(
            name: "DatasetsTests",
            dependencies: ["TestSupport", "Datasets", "RawStore", "FeatureEngine", "MarketData", "Parquet", "Offline", "EngineHistory"],
            swiftSettings: strict),
        .testTarget(
            name: "EngineHistoryTests", dependencies: ["TestSupport", "EngineHistory", "RawStore", "FeatureEngine", "MarketData"],
            swiftSettings: strict),
        .testTarget(
            name: "MetadataTests", dependencies: ["Metadata", .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        .testTarget(name: "AMQPTests", dependencies: ["AMQP"], swiftSettings: strict),
        .testTarget(name: "RoutingTests", dependencies: ["Routing", "FeatureServer", "MarketData"], swiftSettings: strict),
        .testTarget(name: "QualityTests", dependencies: ["Quality", "MarketData", "OrderBook"], swiftSettings: strict),
        .testTarget(
            name: "RawStoreTests", dependencies: ["TestSupport", "ServiceTestSupport", "RawStore", "MarketData"], swiftSettings: strict),
        .testTarget(
            name: "OfflineTests",
            dependencies: [
                "TestSupport", "ServiceTestSupport", "Offline", "Live", "FeatureServer", "EngineHistory",
                "FeatureEngine", "MarketData", "RawStore", "Parquet", "AMQP", "Metadata",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "LiveTests",
            dependencies: [
                "TestSupport", "ServiceTestSupport", "Live", "Offline", "ServiceRuntime", "FeatureServer",
                "FeatureEngine", "MarketData", "RawStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "APITests",
            dependencies: [
                "TestSupport", "ServiceTestSupport", "API", "Live", "FeatureServer", "ServiceRuntime", "Datasets",
                "FeatureEngine", "MarketData", "RawStore", "Metadata", "Quality", "Parquet",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // Integration tests: real RabbitMQ and PostgreSQL servers (scripts/rabbitmq.sh, scripts/postgres.sh), pyarrow and the
        // Python reference (.venv), and the built `feature-service` binary in child processes. `scripts/test.sh` starts them all.
        .testTarget(
            name: "BrokerIntegrationTests",
            dependencies: [
                "TestSupport", "ServiceTestSupport", "AMQP", "Live", "Offline", "FeatureServer",
                "ServiceRuntime", "FeatureEngine", "MarketData", "RawStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/Integration/BrokerIntegrationTests", swiftSettings: strict),
        .testTarget(
            name: "PostgresIntegrationTests", dependencies: ["Metadata", .product(name: "Logging", package: "swift-log")],
            path: "Tests/Integration/PostgresIntegrationTests", swiftSettings: strict + [.define("POSTGRES_INTEGRATION")]),
        .testTarget(
            name: "InteropIntegrationTests",
            dependencies: [
                "TestSupport", "ServiceTestSupport", "Parquet", "RawStore", "Datasets", "Live",
                "Offline", "FeatureServer", "FeatureEngine", "MarketData", "EngineHistory",
            ],
            path: "Tests/Integration/InteropIntegrationTests", swiftSettings: strict),
        .testTarget(
            name: "ProcessIntegrationTests",
            dependencies: [
                "TestSupport", "ServiceTestSupport", "Offline", "FeatureServer", "MarketData",
                "RawStore", "FeatureEngine", "EngineHistory", "API", "Datasets", "Metadata", "AMQP", "ServiceRuntime", "Routing", "Live",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Integration/ProcessIntegrationTests", swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
