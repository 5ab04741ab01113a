import Foundation
public import Logging

/// Datasets, registry versions and data-quality summaries (interfaces.md §7), over either
/// backend with the same statements. Times are passed in by callers (ns since the epoch).
public struct MetadataStore: Sendable {
    public let database: any SQLDatabase

    /// Wraps an open database; call ``migrate(now:)`` before use (``open(url:dataDirectory:logger:now:)`` does).
    public init(database: any SQLDatabase) {
        self.database = database
    }

    /// Opens the configured database and brings its schema up to date: PostgreSQL for a
    /// `postgres://` URL, SQLite for `sqlite:PATH` or, with no URL, `metadata.sqlite` in the
    /// data directory.
    public static func open(url: String?, dataDirectory: String, logger: Logger, now: Int64) async throws -> MetadataStore {
        let database: any SQLDatabase
        switch url {
        case .none, .some(""):
            database = try await SQLiteDatabase(path: "\(dataDirectory)/metadata.sqlite")
        case .some(let url) where url.hasPrefix("sqlite:"):
            var path = String(url.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw MetadataError.invalidURL("sqlite: needs a file path, e.g. sqlite:./data/metadata.sqlite") }
            database = try await SQLiteDatabase(path: path)
        case .some(let url) where url.hasPrefix("postgres://") || url.hasPrefix("postgresql://"):
            database = try await PostgresDatabase(url: url, logger: logger)
        case .some(let url):
            throw MetadataError.invalidURL(
                "'\(PostgresDatabase.ConnectionURL.redact(url))': use postgres://user:password@host:port/database or sqlite:PATH")
        }
        let store = MetadataStore(database: database)
        do {
            let report = try await store.migrate(now: now)
            if !report.applied.isEmpty {
                logger.notice(
                    "metadata schema migrated",
                    metadata: [
                        "database": .string(database.location),
                        "applied": .string(report.applied.map(String.init).joined(separator: ",")),
                        "version": .stringConvertible(report.version),
                    ])
            }
        } catch {
            await database.close()
            throw error
        }
        return store
    }

    @discardableResult
    public func migrate(now: Int64) async throws -> Migrator.Report {
        try await Migrator().migrate(database, now: now)
    }

    public func schemaVersion() async throws -> Int {
        let rows = try await database.query("SELECT MAX(version) AS version FROM schema_migrations")
        return Int(rows.first?["version"].int ?? 0)
    }

    /// A cheap round trip, for health checks.
    public func ping() async throws {
        _ = try await database.query("SELECT 1 AS ok")
    }

    public func close() async { await database.close() }

    // MARK: Datasets

    /// Inserts or updates a dataset and replaces its splits, atomically.
    public func save(_ dataset: DatasetRecord) async throws {
        try await database.transaction { tx in
            try await tx.execute(
                """
                INSERT INTO datasets (id, owner, symbol, status, created_at, started_at, finished_at, progress, row_count,
                                      eta_seconds, error, config, registry_version)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                ON CONFLICT (id) DO UPDATE SET
                    owner = excluded.owner, symbol = excluded.symbol, status = excluded.status,
                    created_at = excluded.created_at, started_at = excluded.started_at, finished_at = excluded.finished_at,
                    progress = excluded.progress, row_count = excluded.row_count, eta_seconds = excluded.eta_seconds,
                    error = excluded.error, config = excluded.config, registry_version = excluded.registry_version
                """,
                [
                    .text(dataset.id), .text(dataset.owner), .text(dataset.symbol), .text(dataset.status.rawValue),
                    .int(dataset.createdAt), .int(dataset.startedAt), .int(dataset.finishedAt), .double(dataset.progress),
                    .int(Int64(dataset.rows)), .double(dataset.etaSeconds), .text(dataset.error), .text(dataset.configJSON),
                    .text(dataset.registryVersion),
                ])
            try await tx.execute("DELETE FROM dataset_splits WHERE dataset_id = $1", [.text(dataset.id)])
            for (position, split) in dataset.splits.enumerated() {
                try await tx.execute(
                    """
                    INSERT INTO dataset_splits (dataset_id, position, name, row_count, start_ts, end_ts, file)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    """,
                    [
                        .text(dataset.id), .int(Int64(position)), .text(split.name), .int(Int64(split.rows)), .int(split.start),
                        .int(split.end), .text(split.file),
                    ])
            }
        }
    }

    /// Datasets, oldest first; filtered by owner, status and symbol when given.
    public func datasets(owner: String? = nil, status: DatasetRecord.Status? = nil, symbol: String? = nil) async throws -> [DatasetRecord] {
        var conditions: [String] = []
        var binds: [SQLValue] = []
        for (column, value) in [("owner", owner), ("status", status?.rawValue), ("symbol", symbol)] {
            guard let value else { continue }
            binds.append(.text(value))
            conditions.append("\(column) = $\(binds.count)")
        }
        func filter(_ table: String) -> String {
            conditions.isEmpty ? "" : " WHERE " + conditions.map { "\(table).\($0)" }.joined(separator: " AND ")
        }
        let rows = try await database.query("SELECT d.* FROM datasets d\(filter("d")) ORDER BY d.created_at, d.id", binds)
        let splitRows = try await database.query(
            """
            SELECT s.* FROM dataset_splits s JOIN datasets d ON d.id = s.dataset_id\(filter("d"))
            ORDER BY s.dataset_id, s.position
            """, binds)
        var splits: [String: [DatasetRecord.Split]] = [:]
        for row in splitRows { splits[try row.text("dataset_id"), default: []].append(try Self.split(row)) }
        return try rows.map { try Self.dataset($0, splits: splits[try $0.text("id")] ?? []) }
    }

    public func dataset(id: String) async throws -> DatasetRecord? {
        guard let row = try await database.query("SELECT * FROM datasets WHERE id = $1", [.text(id)]).first else { return nil }
        let splits = try await database.query("SELECT * FROM dataset_splits WHERE dataset_id = $1 ORDER BY position", [.text(id)])
        return try Self.dataset(row, splits: splits.map(Self.split))
    }

    private static func dataset(_ row: SQLRow, splits: [DatasetRecord.Split]) throws -> DatasetRecord {
        let statusText = try row.text("status")
        guard let status = DatasetRecord.Status(rawValue: statusText) else {
            throw MetadataError.decoding(column: "status", value: .text(statusText))
        }
        return DatasetRecord(
            id: try row.text("id"), owner: try row.text("owner"), symbol: try row.text("symbol"), status: status,
            createdAt: try row.int("created_at"), startedAt: row["started_at"].int, finishedAt: row["finished_at"].int,
            progress: try row.double("progress"), rows: Int(try row.int("row_count")), etaSeconds: row["eta_seconds"].double,
            error: row["error"].text, configJSON: try row.text("config"), registryVersion: try row.text("registry_version"),
            splits: splits)
    }

    private static func split(_ row: SQLRow) throws -> DatasetRecord.Split {
        DatasetRecord.Split(
            name: try row.text("name"), rows: Int(try row.int("row_count")), start: row["start_ts"].int,
            end: row["end_ts"].int, file: try row.text("file"))
    }

    // MARK: Registry versions

    /// Records that `instance` now runs the registry with this content: the content once per
    /// hash, every activation.
    public func recordRegistry(
        version: String, contentHash: String, featureCount: Int, document: String,
        activation: RegistryActivation
    ) async throws {
        try await database.transaction { tx in
            try await tx.execute(
                """
                INSERT INTO registry_versions (content_hash, version, feature_count, document, first_seen_at)
                VALUES ($1, $2, $3, $4, $5) ON CONFLICT (content_hash) DO NOTHING
                """, [.text(contentHash), .text(version), .int(Int64(featureCount)), .text(document), .int(activation.activatedAt)])
            try await tx.execute(
                """
                INSERT INTO registry_activations (instance, activated_at, content_hash, reason, source)
                VALUES ($1, $2, $3, $4, $5) ON CONFLICT (instance, activated_at, content_hash) DO NOTHING
                """,
                [
                    .text(activation.instance), .int(activation.activatedAt), .text(contentHash), .text(activation.reason.rawValue),
                    .text(activation.source),
                ])
        }
    }

    /// Every registry content seen, most recently activated first.
    public func registryVersions() async throws -> [RegistryVersionRecord] {
        let rows = try await database.query(
            """
            SELECT v.version, v.content_hash, v.feature_count, v.first_seen_at,
                   MAX(a.activated_at) AS last_activated_at, COUNT(a.activated_at) AS activations
            FROM registry_versions v JOIN registry_activations a ON a.content_hash = v.content_hash
            GROUP BY v.version, v.content_hash, v.feature_count, v.first_seen_at
            ORDER BY last_activated_at DESC, v.content_hash
            """)
        return try rows.map { row in
            RegistryVersionRecord(
                version: try row.text("version"), contentHash: try row.text("content_hash"),
                featureCount: Int(try row.int("feature_count")), firstSeenAt: try row.int("first_seen_at"),
                lastActivatedAt: try row.int("last_activated_at"), activations: Int(try row.int("activations")))
        }
    }

    /// Activations, newest first (optionally of one instance).
    public func registryActivations(instance: String? = nil, limit: Int = 100) async throws -> [RegistryActivation] {
        let filter = instance == nil ? "" : "WHERE instance = $2"
        let rows = try await database.query(
            """
            SELECT instance, activated_at, content_hash, reason, source FROM registry_activations
            \(filter) ORDER BY activated_at DESC, content_hash LIMIT $1
            """, [.int(Int64(limit))] + (instance.map { [.text($0)] } ?? []))
        return try rows.map { row in
            RegistryActivation(
                instance: try row.text("instance"), contentHash: try row.text("content_hash"), activatedAt: try row.int("activated_at"),
                reason: RegistryActivation.Reason(rawValue: try row.text("reason")) ?? .reload, source: try row.text("source"))
        }
    }

    /// The registry document recorded under a content hash (to rebuild with an older registry).
    public func registryDocument(contentHash: String) async throws -> String? {
        try await database.query("SELECT document FROM registry_versions WHERE content_hash = $1", [.text(contentHash)]).first?["document"]
            .text
    }

    /// Contents recorded under a version name: more than one means the version was not bumped
    /// when the content changed.
    public func registryHashes(version: String) async throws -> [String] {
        try await database.query("SELECT content_hash FROM registry_versions WHERE version = $1 ORDER BY first_seen_at", [.text(version)])
            .map { try $0.text("content_hash") }
    }

    // MARK: Data-quality summaries

    /// Inserts or replaces the summary of one symbol and period.
    public func save(_ summary: QualitySummaryRecord) async throws {
        try await database.execute(
            """
            INSERT INTO quality_summaries (symbol, period_start, period_end, computed_at, events, missing_rate, sequence_gaps,
                                           desyncs, anomalies, latency_skew_p99_ms, report)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (symbol, period_start, period_end) DO UPDATE SET
                computed_at = excluded.computed_at, events = excluded.events, missing_rate = excluded.missing_rate,
                sequence_gaps = excluded.sequence_gaps, desyncs = excluded.desyncs, anomalies = excluded.anomalies,
                latency_skew_p99_ms = excluded.latency_skew_p99_ms, report = excluded.report
            """,
            [
                .text(summary.symbol), .int(summary.periodStart), .int(summary.periodEnd), .int(summary.computedAt),
                .int(Int64(summary.events)), .double(summary.missingRate), .int(Int64(summary.sequenceGaps)), .int(Int64(summary.desyncs)),
                .int(Int64(summary.anomalies)), .double(summary.latencySkewP99Ms), .text(summary.reportJSON),
            ])
    }

    /// Summaries of a symbol whose period overlaps [from, to), oldest first.
    public func qualitySummaries(symbol: String, from: Int64, to: Int64) async throws -> [QualitySummaryRecord] {
        let rows = try await database.query(
            """
            SELECT * FROM quality_summaries WHERE symbol = $1 AND period_end > $2 AND period_start < $3
            ORDER BY period_start, period_end
            """, [.text(symbol), .int(from), .int(to)])
        return try rows.map { row in
            QualitySummaryRecord(
                symbol: try row.text("symbol"), periodStart: try row.int("period_start"), periodEnd: try row.int("period_end"),
                computedAt: try row.int("computed_at"), events: Int(try row.int("events")),
                missingRate: try row.double("missing_rate"), sequenceGaps: Int(try row.int("sequence_gaps")),
                desyncs: Int(try row.int("desyncs")), anomalies: Int(try row.int("anomalies")),
                latencySkewP99Ms: row["latency_skew_p99_ms"].double, reportJSON: try row.text("report"))
        }
    }
}
