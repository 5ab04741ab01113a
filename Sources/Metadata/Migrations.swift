/// One schema change. Migrations are append-only: an applied migration is never edited
/// (its checksum is stored and compared), a change is a new migration.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    /// Statements run in order inside one transaction; portable across both dialects.
    public let statements: [String]

    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }

    /// FNV-1a over the statements: detects an edited migration (not a security measure).
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in statements.joined(separator: "\n;\n").utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// The metadata schema. Types are limited to TEXT, BIGINT and DOUBLE PRECISION, times are
/// nanoseconds since the Unix epoch (UTC), so both PostgreSQL and SQLite run the same text.
public enum MetadataSchema {
    public static let migrations: [Migration] = [
        Migration(
            version: 1, name: "datasets, registry versions, data-quality summaries",
            statements: [
                """
                CREATE TABLE datasets (
                    id TEXT PRIMARY KEY,
                    owner TEXT NOT NULL,
                    symbol TEXT NOT NULL,
                    status TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    started_at BIGINT,
                    finished_at BIGINT,
                    progress DOUBLE PRECISION NOT NULL,
                    row_count BIGINT NOT NULL,
                    eta_seconds DOUBLE PRECISION,
                    error TEXT,
                    config TEXT NOT NULL,
                    registry_version TEXT NOT NULL
                )
                """,
                "CREATE INDEX datasets_by_owner ON datasets (owner, created_at)",
                "CREATE INDEX datasets_by_symbol ON datasets (symbol, status)",
                """
                CREATE TABLE dataset_splits (
                    dataset_id TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
                    position BIGINT NOT NULL,
                    name TEXT NOT NULL,
                    row_count BIGINT NOT NULL,
                    start_ts BIGINT,
                    end_ts BIGINT,
                    file TEXT NOT NULL,
                    PRIMARY KEY (dataset_id, name)
                )
                """,
                """
                CREATE TABLE registry_versions (
                    content_hash TEXT PRIMARY KEY,
                    version TEXT NOT NULL,
                    feature_count BIGINT NOT NULL,
                    document TEXT NOT NULL,
                    first_seen_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE registry_activations (
                    instance TEXT NOT NULL,
                    activated_at BIGINT NOT NULL,
                    content_hash TEXT NOT NULL REFERENCES registry_versions (content_hash),
                    reason TEXT NOT NULL,
                    source TEXT NOT NULL,
                    PRIMARY KEY (instance, activated_at, content_hash)
                )
                """,
                """
                CREATE TABLE quality_summaries (
                    symbol TEXT NOT NULL,
                    period_start BIGINT NOT NULL,
                    period_end BIGINT NOT NULL,
                    computed_at BIGINT NOT NULL,
                    events BIGINT NOT NULL,
                    missing_rate DOUBLE PRECISION NOT NULL,
                    sequence_gaps BIGINT NOT NULL,
                    desyncs BIGINT NOT NULL,
                    anomalies BIGINT NOT NULL,
                    latency_skew_p99_ms DOUBLE PRECISION,
                    report TEXT NOT NULL,
                    PRIMARY KEY (symbol, period_start, period_end)
                )
                """,
            ]),
        Migration(
            version: 2, name: "shard directory",
            statements: [
                """
                CREATE TABLE shards (
                    name TEXT PRIMARY KEY,
                    symbols TEXT NOT NULL,
                    url TEXT,
                    instance TEXT NOT NULL,
                    updated_at BIGINT NOT NULL
                )
                """
            ]),
        Migration(
            version: 3, name: "dataset build tasks shared by workers",
            statements: [
                """
                CREATE TABLE dataset_task_builds (
                    dataset_id TEXT PRIMARY KEY,
                    config TEXT NOT NULL,
                    registry_hash TEXT NOT NULL,
                    directory TEXT NOT NULL,
                    task_count BIGINT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE dataset_tasks (
                    dataset_id TEXT NOT NULL REFERENCES dataset_task_builds (dataset_id) ON DELETE CASCADE,
                    task_index BIGINT NOT NULL,
                    task TEXT NOT NULL,
                    status TEXT NOT NULL,
                    owner TEXT,
                    lease_until BIGINT,
                    attempts BIGINT NOT NULL,
                    error TEXT,
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (dataset_id, task_index)
                )
                """,
                "CREATE INDEX dataset_tasks_by_status ON dataset_tasks (dataset_id, status)",
            ]),
    ]
}

/// Applies migrations: under a lock so that several instances starting together against one
/// PostgreSQL apply each migration once; refuses a database newer than this build and a
/// migration edited after it was applied.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(migrations: [Migration] = MetadataSchema.migrations) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// What ``migrate(_:now:)`` did.
    public struct Report: Sendable, Equatable {
        /// Versions applied by this call, in order.
        public var applied: [Int]
        /// The schema version afterwards.
        public var version: Int

        public init(applied: [Int], version: Int) {
            self.applied = applied
            self.version = version
        }
    }

    public func migrate(_ database: any SQLDatabase, now: Int64) async throws -> Report {
        let migrations = self.migrations
        return try await database.transaction { tx in
            if database.dialect == .postgres {
                // Held to the end of the transaction: concurrent starters wait here.
                try await tx.execute("SELECT pg_advisory_xact_lock(4500726)")
            }
            try await tx.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version BIGINT PRIMARY KEY,
                    name TEXT NOT NULL,
                    checksum TEXT NOT NULL,
                    applied_at BIGINT NOT NULL
                )
                """)
            let rows = try await tx.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
            var applied: [Int: String] = [:]
            for row in rows { applied[Int(try row.int("version"))] = try row.text("checksum") }
            let known = migrations.last?.version ?? 0
            if let newest = applied.keys.max(), newest > known { throw MetadataError.schemaTooNew(database: newest, known: known) }
            var report = Report(applied: [], version: applied.keys.max() ?? 0)
            for migration in migrations {
                if let checksum = applied[migration.version] {
                    guard checksum == migration.checksum else {
                        throw MetadataError.migrationChanged(version: migration.version, name: migration.name)
                    }
                    continue
                }
                for statement in migration.statements { try await tx.execute(statement) }
                try await tx.execute(
                    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                    [.int(Int64(migration.version)), .text(migration.name), .text(migration.checksum), .int(now)])
                report.applied.append(migration.version)
                report.version = migration.version
            }
            return report
        }
    }
}
