/// A dataset build as the metadata store keeps it.
public struct DatasetRecord: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable { case queued, running, ready, failed, cancelled }

    /// One output split (or walk-forward fold split) of a finished build.
    public struct Split: Sendable, Equatable {
        public var name: String
        public var rows: Int
        /// First and last row time (ns), nil for an empty split.
        public var start: Int64?
        public var end: Int64?
        /// File name inside the dataset's directory.
        public var file: String

        public init(name: String, rows: Int, start: Int64?, end: Int64?, file: String) {
            self.name = name
            self.rows = rows
            self.start = start
            self.end = end
            self.file = file
        }
    }

    public var id: String
    /// The instance that builds the dataset and holds its files.
    public var owner: String
    public var symbol: String
    public var status: Status
    public var createdAt: Int64
    public var startedAt: Int64?
    public var finishedAt: Int64?
    public var progress: Double
    public var rows: Int
    /// Estimated seconds left while running (last known value once finished).
    public var etaSeconds: Double?
    public var error: String?
    /// The build request as submitted (JSON).
    public var configJSON: String
    public var registryVersion: String
    public var splits: [Split]

    public init(
        id: String, owner: String, symbol: String, status: Status, createdAt: Int64, startedAt: Int64? = nil,
        finishedAt: Int64? = nil, progress: Double = 0, rows: Int = 0, etaSeconds: Double? = nil, error: String? = nil,
        configJSON: String, registryVersion: String, splits: [Split] = []
    ) {
        self.id = id
        self.owner = owner
        self.symbol = symbol
        self.status = status
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.progress = progress
        self.rows = rows
        self.etaSeconds = etaSeconds
        self.error = error
        self.configJSON = configJSON
        self.registryVersion = registryVersion
        self.splits = splits
    }
}

/// A registry content the service has run with, and its latest activation.
public struct RegistryVersionRecord: Sendable, Equatable {
    public var version: String
    public var contentHash: String
    public var featureCount: Int
    public var firstSeenAt: Int64
    public var lastActivatedAt: Int64
    /// How many times an instance started with or reloaded to it.
    public var activations: Int

    public init(version: String, contentHash: String, featureCount: Int, firstSeenAt: Int64, lastActivatedAt: Int64, activations: Int) {
        self.version = version
        self.contentHash = contentHash
        self.featureCount = featureCount
        self.firstSeenAt = firstSeenAt
        self.lastActivatedAt = lastActivatedAt
        self.activations = activations
    }
}

/// One registry activation: at start-up or on reload, by which instance, from where.
public struct RegistryActivation: Sendable, Equatable {
    public enum Reason: String, Sendable { case startup, reload }
    public var instance: String
    public var contentHash: String
    public var activatedAt: Int64
    public var reason: Reason
    /// A file path, or "bundled".
    public var source: String

    public init(instance: String, contentHash: String, activatedAt: Int64, reason: Reason, source: String) {
        self.instance = instance
        self.contentHash = contentHash
        self.activatedAt = activatedAt
        self.reason = reason
        self.source = source
    }
}

/// The data-quality figures of one symbol over one period, plus the full report (JSON).
public struct QualitySummaryRecord: Sendable, Equatable {
    public var symbol: String
    public var periodStart: Int64
    public var periodEnd: Int64
    public var computedAt: Int64
    public var events: Int
    public var missingRate: Double
    public var sequenceGaps: Int
    public var desyncs: Int
    public var anomalies: Int
    public var latencySkewP99Ms: Double?
    public var reportJSON: String

    public init(
        symbol: String, periodStart: Int64, periodEnd: Int64, computedAt: Int64, events: Int, missingRate: Double,
        sequenceGaps: Int, desyncs: Int, anomalies: Int, latencySkewP99Ms: Double?, reportJSON: String
    ) {
        self.symbol = symbol
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.computedAt = computedAt
        self.events = events
        self.missingRate = missingRate
        self.sequenceGaps = sequenceGaps
        self.desyncs = desyncs
        self.anomalies = anomalies
        self.latencySkewP99Ms = latencySkewP99Ms
        self.reportJSON = reportJSON
    }
}
