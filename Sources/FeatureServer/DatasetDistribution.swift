import Datasets
public import MarketData

/// Whether `serve` spreads dataset builds over `worker` processes, and how finely.
///
/// `FEATURE_SERVICE_DATASET_WORKERS=broker` turns it on (it needs `AMQP_URL`; the workers need
/// the same data directory and, across machines, a PostgreSQL `DATABASE_URL`). It is not
/// automatic: with no worker running, a build would wait forever. `local` (the default) builds in
/// the `serve` process. `FEATURE_SERVICE_DATASET_CHUNK` (default 6h) is the row range of one task.
public struct DatasetDistribution: Sendable, Equatable {
    public var enabled = false
    public var chunk: Nanos

    /// - Parameter chunk: nil: ``DatasetPlan/defaultChunk`` (6 h).
    public init(enabled: Bool = false, chunk: Nanos? = nil) {
        self.enabled = enabled
        self.chunk = chunk ?? DatasetPlan.defaultChunk
    }

    public static func fromEnvironment(_ env: [String: String]) throws -> DatasetDistribution {
        var distribution = DatasetDistribution()
        switch env["FEATURE_SERVICE_DATASET_WORKERS"] ?? "local" {
        case "", "local": distribution.enabled = false
        case "broker": distribution.enabled = true
        case let other: throw ConfigurationError("FEATURE_SERVICE_DATASET_WORKERS must be local or broker, got '\(other.prefix(40))'")
        }
        if let text = env["FEATURE_SERVICE_DATASET_CHUNK"], !text.isEmpty {
            guard let chunk = Time.parseDuration(text), chunk >= Time.nanosPerSecond, chunk % Time.nanosPerSecond == 0 else {
                throw ConfigurationError("FEATURE_SERVICE_DATASET_CHUNK must be whole seconds (e.g. 30m, 6h), got '\(text.prefix(40))'")
            }
            distribution.chunk = chunk
        }
        return distribution
    }
}
