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
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // Pure core: no I/O, no clocks, no randomness.
        .target(name: "MarketData", swiftSettings: strict),
        .target(name: "OrderBook", dependencies: ["MarketData"], swiftSettings: strict),
        .target(
            name: "FeatureEngine",
            dependencies: ["MarketData", "OrderBook", .product(name: "Yams", package: "Yams"),
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        // Parquet: a standalone reader/writer (no dependency on the service), C codecs from Debian.
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CSnappy", path: "Sources/CSnappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CBrotli", path: "Sources/CBrotli", providers: [.apt(["libbrotli-dev"])]),
        .target(name: "Parquet", dependencies: ["CZstd", "CSnappy", "CBrotli"], swiftSettings: strict),
        // AMQP 0-9-1 client on SwiftNIO (standalone: imports nothing of the service).
        .target(
            name: "AMQP",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            swiftSettings: strict),
        // Storage: durable ingest, Parquet partitions, ordered replay, retention.
        .target(name: "RawStore", dependencies: ["MarketData", "Parquet"], swiftSettings: strict),
        // Metadata: one SQL schema with migrations, over PostgreSQL (PostgresNIO) or SQLite (Debian's libsqlite3).
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "Metadata",
            dependencies: ["CSQLite", "MarketData", "Quality", "FeatureEngine", .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl")],
            swiftSettings: strict),
        // Data quality: per-minute counters (coverage, gaps, desyncs, anomalies, latency skew) and reports; pure.
        .target(name: "Quality", dependencies: ["MarketData", "OrderBook"], swiftSettings: strict),
        // Engine checkpoint files and the one replay of stored history into the engine (features.md §6).
        .target(name: "EngineHistory", dependencies: ["MarketData", "FeatureEngine", "RawStore"], swiftSettings: strict),
        // Training datasets: targets, splits, leakage checks, Parquet splits and a manifest.
        .target(name: "Datasets", dependencies: ["MarketData", "FeatureEngine", "RawStore", "EngineHistory", "Parquet"], swiftSettings: strict),
        // Edges, by direction of data. What the edges share: the one wall clock, the blocking pool, JSON logs.
        .target(
            name: "ServiceRuntime",
            dependencies: ["MarketData", .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // Offline: recordings and the store into the engine (replay, import, rebuilds), the simulator.
        // Links no HTTP server, broker or database client.
        .target(
            name: "Offline",
            dependencies: ["MarketData", "OrderBook", "FeatureEngine", "RawStore", "EngineHistory", "Quality"],
            swiftSettings: strict),
        // Live: broker deliveries and other feeds into the pipeline, vectors out to features.live.
        .target(
            name: "Live",
            dependencies: ["MarketData", "OrderBook", "FeatureEngine", "RawStore", "EngineHistory", "Quality", "AMQP", "ServiceRuntime",
                           .product(name: "Logging", package: "swift-log"), .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOCore", package: "swift-nio")],
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
                "MarketData", "FeatureEngine", "RawStore", "EngineHistory", "Quality", "Metadata", "ServiceRuntime", "Offline", "Live", "API",
                "AMQP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "feature-service",
            dependencies: ["FeatureServer", "Offline", "ServiceRuntime", "FeatureEngine", "RawStore", "EngineHistory", "Datasets", "MarketData",
                           "Quality", "Metadata",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .executableTarget(
            name: "FeatureBenchmarks",
            dependencies: ["MarketData", "OrderBook", "FeatureEngine", "FeatureServer", "Offline", "Live", "API", "ServiceRuntime", "RawStore", "EngineHistory", "Datasets", "Metadata", "Quality",
                           .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/FeatureBenchmarks",
            swiftSettings: strict),

        .executableTarget(name: "LatencyBenchmark", dependencies: ["AMQP", "MarketData", "FeatureServer", "Live", "Offline", "ServiceRuntime"],
                          path: "Benchmarks/LatencyBenchmark", swiftSettings: strict),
        .executableTarget(name: "ParquetBenchmark", dependencies: ["Parquet"], path: "Benchmarks/ParquetBenchmark", swiftSettings: strict),

        // Helpers shared by the test targets (package root, scratch directories, the test Python).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "MarketDataTests", dependencies: ["MarketData"], swiftSettings: strict),
        .testTarget(name: "OrderBookTests", dependencies: ["OrderBook", "MarketData"], swiftSettings: strict),
        .testTarget(name: "FeatureEngineTests", dependencies: ["FeatureEngine", "OrderBook", "MarketData"], swiftSettings: strict),
        .testTarget(name: "AMQPTests", dependencies: ["TestSupport", "AMQP"], swiftSettings: strict),
        .testTarget(name: "ParquetTests", dependencies: ["TestSupport", "Parquet"], swiftSettings: strict),
        .testTarget(name: "DatasetsTests", dependencies: ["TestSupport", "Datasets", "RawStore", "FeatureEngine", "MarketData", "Parquet"], swiftSettings: strict),
        .testTarget(name: "EngineHistoryTests", dependencies: ["TestSupport", "EngineHistory", "RawStore", "FeatureEngine", "MarketData"],
                    swiftSettings: strict),
        .testTarget(name: "MetadataTests", dependencies: ["Metadata", .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        .testTarget(name: "QualityTests", dependencies: ["Quality", "MarketData", "OrderBook"], swiftSettings: strict),
        .testTarget(name: "RawStoreTests", dependencies: ["TestSupport", "RawStore", "MarketData"], swiftSettings: strict),
        .testTarget(
            name: "FeatureServerTests",
            dependencies: ["TestSupport", "FeatureServer", "Offline", "Live", "API", "ServiceRuntime", "FeatureEngine", "MarketData", "RawStore", "EngineHistory", "Datasets", "Parquet", "AMQP", "Metadata", "Quality",
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
