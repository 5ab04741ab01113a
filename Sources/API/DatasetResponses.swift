import MarketData
import Metadata

// The answers of the `/dataset/...` routes and the `features.dataset.ready` message. Times are
// ISO 8601; a time not known yet is written as null (clients test for it), an absent error is
// left out.

/// A split of a dataset: its row count and first and last row time (null for an empty split).
struct SplitSummary: Codable, Equatable {
    var rows: Int
    var start: String?
    var end: String?

    init(rows: Int, start: String?, end: String?) {
        self.rows = rows
        self.start = start
        self.end = end
    }

    init(_ split: DatasetRecord.Split) {
        self.init(rows: split.rows, start: split.start.map(Time.formatISO8601), end: split.end.map(Time.formatISO8601))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rows, forKey: .rows)
        try container.encode(start, forKey: .start)
        try container.encode(end, forKey: .end)
    }

    /// Splits by name (split names are unique within a dataset).
    static func byName(_ splits: [DatasetRecord.Split]) -> [String: SplitSummary] {
        Dictionary(splits.map { ($0.name, SplitSummary($0)) }, uniquingKeysWith: { first, _ in first })
    }
}

/// A dataset build job: `POST /dataset/build` (202), `GET /dataset/{id}`, the entries of `GET /dataset/list`.
struct DatasetJobAnswer: Codable, Equatable {
    /// How far the build is: percent to a tenth, rows so far, seconds left (null when unknown).
    struct Progress: Codable, Equatable {
        var percent: Double
        var rows: Int
        var etaSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case percent, rows
            case etaSeconds = "eta_seconds"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(percent, forKey: .percent)
            try container.encode(rows, forKey: .rows)
            try container.encode(etaSeconds, forKey: .etaSeconds)
        }
    }

    var datasetId: String
    var symbol: String
    /// queued, running, ready, failed or cancelled.
    var status: String
    var createdAt: String
    var startedAt: String?
    var finishedAt: String?
    var progress: Progress
    var registryVersion: String
    /// The build request as submitted (null when none was kept).
    var config: JSONValue?
    var splitsInfo: [String: SplitSummary]
    /// Why a build failed; absent otherwise.
    var error: String?

    enum CodingKeys: String, CodingKey {
        case symbol, status, progress, config, error
        case datasetId = "dataset_id"
        case createdAt = "created_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case registryVersion = "registry_version"
        case splitsInfo = "splits_info"
    }

    init(
        datasetId: String, symbol: String, status: String, createdAt: String, startedAt: String?, finishedAt: String?, progress: Progress,
        registryVersion: String, config: JSONValue?, splitsInfo: [String: SplitSummary], error: String?
    ) {
        self.datasetId = datasetId
        self.symbol = symbol
        self.status = status
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.progress = progress
        self.registryVersion = registryVersion
        self.config = config
        self.splitsInfo = splitsInfo
        self.error = error
    }

    init(_ job: DatasetRecord) {
        let eta = job.etaSeconds.flatMap { $0.isFinite ? ($0 * 10).rounded() / 10 : nil }
        self.init(
            datasetId: job.id, symbol: job.symbol, status: job.status.rawValue, createdAt: Time.formatISO8601(job.createdAt),
            startedAt: job.startedAt.map(Time.formatISO8601), finishedAt: job.finishedAt.map(Time.formatISO8601),
            progress: Progress(percent: (job.progress * 1000).rounded() / 10, rows: job.rows, etaSeconds: eta),
            registryVersion: job.registryVersion,
            // Validated when submitted; a record that does not parse (none should) reads as null.
            config: job.configJSON.isEmpty ? nil : try? JSONParser.parse(job.configJSON),
            splitsInfo: SplitSummary.byName(job.splits), error: job.error)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(datasetId, forKey: .datasetId)
        try container.encode(symbol, forKey: .symbol)
        try container.encode(status, forKey: .status)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(finishedAt, forKey: .finishedAt)
        try container.encode(progress, forKey: .progress)
        try container.encode(registryVersion, forKey: .registryVersion)
        try container.encode(config, forKey: .config)
        try container.encode(splitsInfo, forKey: .splitsInfo)
        try container.encodeIfPresent(error, forKey: .error)
    }
}

/// `GET /dataset/list`: the jobs, oldest first.
struct DatasetListAnswer: Codable, Equatable {
    var datasets: [DatasetJobAnswer]
}

/// `POST /dataset/{id}/cancel`: the stop was asked for.
struct DatasetCancelAnswer: Codable, Equatable {
    var datasetId: String
    /// Always `cancelling`: the job's own status says when it has stopped.
    var status = "cancelling"

    enum CodingKeys: String, CodingKey {
        case status
        case datasetId = "dataset_id"
    }
}

/// The `features.dataset.ready` message (interfaces.md §2), sent when a build is ready or failed.
struct DatasetReadyMessage: Codable, Equatable {
    var datasetId: String
    /// `ready` or `failed`.
    var status: String
    var splitsInfo: [String: SplitSummary]
    /// By split: the path of its download.
    var downloadURLs: [String: String]
    /// Why the build failed; absent otherwise.
    var error: String?

    enum CodingKeys: String, CodingKey {
        case status, error
        case datasetId = "dataset_id"
        case splitsInfo = "splits_info"
        case downloadURLs = "download_urls"
    }

    init(datasetId: String, status: String, splitsInfo: [String: SplitSummary], downloadURLs: [String: String], error: String?) {
        self.datasetId = datasetId
        self.status = status
        self.splitsInfo = splitsInfo
        self.downloadURLs = downloadURLs
        self.error = error
    }

    init(_ job: DatasetRecord) {
        let urls = job.splits.map { ($0.name, "/dataset/\(job.id)/download?split=\($0.name)") }
        self.init(
            datasetId: job.id, status: job.status == .ready ? "ready" : "failed", splitsInfo: SplitSummary.byName(job.splits),
            downloadURLs: Dictionary(urls, uniquingKeysWith: { first, _ in first }), error: job.error)
    }
}
