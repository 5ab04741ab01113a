import Foundation
import Logging
import Metadata
import Testing

/// The metadata store against both backends for real: a SQLite file (the unit target
/// MetadataTests), and the private PostgreSQL that scripts/test.sh starts (scripts/postgres.sh;
/// URL in POSTGRES_TEST_URL) in the integration target PostgresIntegrationTests, which compiles
/// this same file (a symbolic link) with `POSTGRES_INTEGRATION` defined. Every test gets a
/// database of its own.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }

    #if POSTGRES_INTEGRATION
    static let underTest: [Backend] = [.postgres]
    #else
    static let underTest: [Backend] = [.sqlite]
    #endif
}

let logger = Logger(label: "metadata-tests")

/// The PostgreSQL server's URL with another database name.
func postgresURL(database: String) throws -> String {
    guard let base = ProcessInfo.processInfo.environment["POSTGRES_TEST_URL"] else {
        Issue.record("POSTGRES_TEST_URL is not set: run scripts/postgres.sh start (scripts/test.sh does) and export its URL")
        throw MetadataError.invalidURL("POSTGRES_TEST_URL unset")
    }
    var components = URLComponents(string: base)!
    components.path = "/\(database)"
    return components.string!
}

/// Opens a fresh, empty database of the backend, runs `body` with its URL, then drops it.
func withFreshDatabase(_ backend: Backend, _ body: (String) async throws -> Void) async throws {
    let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
    switch backend {
    case .sqlite:
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("metadata-\(name)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await body("sqlite:\(dir)/metadata.sqlite")
    case .postgres:
        let admin = try await PostgresDatabase(url: try postgresURL(database: "postgres"), logger: logger)
        try await admin.execute("CREATE DATABASE \(name)")
        do { try await body(try postgresURL(database: String(name))) } catch {
            try? await admin.execute("DROP DATABASE \(name) WITH (FORCE)")
            await admin.close()
            throw error
        }
        try await admin.execute("DROP DATABASE \(name) WITH (FORCE)")
        await admin.close()
    }
}

/// A migrated store on a fresh database.
func withStore(_ backend: Backend, _ body: (MetadataStore) async throws -> Void) async throws {
    try await withFreshDatabase(backend) { url in
        let store = try await MetadataStore.open(url: url, dataDirectory: "/nonexistent", logger: logger, now: 1)
        do { try await body(store) } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}

func openDatabase(_ url: String) async throws -> any SQLDatabase {
    url.hasPrefix("sqlite:")
        ? try await SQLiteDatabase(path: String(url.dropFirst(7)))
        : try await PostgresDatabase(url: url, logger: logger)
}

@Suite("Schema migrations", .serialized)
struct MigrationTests {
    @Test("a fresh database is migrated once; a second run applies nothing", arguments: Backend.underTest)
    func migratesOnce(backend: Backend) async throws {
        try await withFreshDatabase(backend) { url in
            let database = try await openDatabase(url)
            let store = MetadataStore(database: database)
            let first = try await store.migrate(now: 10)
            #expect(
                first
                    == Migrator.Report(applied: MetadataSchema.migrations.map(\.version), version: MetadataSchema.migrations.last!.version))
            let second = try await store.migrate(now: 20)
            #expect(second.applied.isEmpty)
            #expect(try await store.schemaVersion() == MetadataSchema.migrations.last!.version)
            let rows = try await database.query("SELECT version, applied_at FROM schema_migrations")
            #expect(rows.count == MetadataSchema.migrations.count)
            #expect(rows.first?["applied_at"] == .int(10))
            await database.close()
        }
    }

    @Test("instances starting together apply each migration exactly once", arguments: Backend.underTest)
    func concurrentStarts(backend: Backend) async throws {
        try await withFreshDatabase(backend) { url in
            let reports = try await withThrowingTaskGroup(of: Migrator.Report.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let database = try await openDatabase(url)
                        let report = try await MetadataStore(database: database).migrate(now: 1)
                        await database.close()
                        return report
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(reports.filter { !$0.applied.isEmpty }.count == 1)
            #expect(reports.allSatisfy { $0.version == MetadataSchema.migrations.last!.version })
        }
    }

    @Test("a failing migration leaves the schema as it was", arguments: Backend.underTest)
    func failingMigrationRollsBack(backend: Backend) async throws {
        try await withStore(backend) { store in
            let broken = Migration(
                version: 99, name: "broken",
                statements: [
                    "CREATE TABLE half_done (id BIGINT)",
                    "INSERT INTO no_such_table VALUES (1)",
                ])
            await #expect(throws: MetadataError.self) {
                try await Migrator(migrations: MetadataSchema.migrations + [broken]).migrate(store.database, now: 2)
            }
            let version = try await store.schemaVersion()
            #expect(version == MetadataSchema.migrations.last!.version)
            // The first statement of the failed migration was rolled back with it.
            await #expect(throws: MetadataError.self) { try await store.database.query("SELECT * FROM half_done") }
        }
    }

    @Test("an edited migration and a newer database are refused with the reason", arguments: Backend.underTest)
    func refusesEditedAndNewer(backend: Backend) async throws {
        try await withStore(backend) { store in
            var edited = MetadataSchema.migrations
            edited[0] = Migration(
                version: 1, name: edited[0].name, statements: edited[0].statements + ["CREATE INDEX x ON datasets (error)"])
            await #expect(throws: MetadataError.migrationChanged(version: 1, name: edited[0].name)) {
                try await Migrator(migrations: edited).migrate(store.database, now: 3)
            }
            let known = MetadataSchema.migrations.last!.version
            let next = Migration(version: known + 1, name: "a later build's change", statements: ["CREATE TABLE later (id BIGINT)"])
            let report = try await Migrator(migrations: MetadataSchema.migrations + [next]).migrate(store.database, now: 4)
            #expect(report.applied == [known + 1])
            await #expect(throws: MetadataError.schemaTooNew(database: known + 1, known: known)) { try await store.migrate(now: 5) }
        }
    }
}

@Suite("Metadata records", .serialized)
struct MetadataRecordTests {
    static func dataset(_ id: String, owner: String = "a", symbol: String = "BTCUSDT", created: Int64) -> DatasetRecord {
        DatasetRecord(
            id: id, owner: owner, symbol: symbol, status: .queued, createdAt: created,
            configJSON: #"{"symbol":"\#(symbol)","note":"quote ' and \" and ü"}"#, registryVersion: "1.0.0")
    }

    @Test("datasets round-trip, update in place and filter by owner, status and symbol", arguments: Backend.underTest)
    func datasets(backend: Backend) async throws {
        try await withStore(backend) { store in
            var first = Self.dataset("ds-1", created: 100)
            try await store.save(first)
            try await store.save(Self.dataset("ds-2", owner: "b", created: 200))
            try await store.save(Self.dataset("ds-3", symbol: "ETHUSDT", created: 300))
            #expect(try await store.dataset(id: "ds-1") == first)
            #expect(try await store.dataset(id: "missing") == nil)

            first.status = .ready
            first.startedAt = 110
            first.finishedAt = 190
            first.progress = 1
            first.rows = 34
            first.etaSeconds = 0
            first.splits = [
                .init(name: "train", rows: 17, start: 1_000, end: 2_000, file: "train.parquet"),
                .init(name: "validation", rows: 7, start: 3_000, end: 4_000, file: "validation.parquet"),
                .init(name: "test", rows: 0, start: nil, end: nil, file: "test.parquet"),
            ]
            try await store.save(first)
            #expect(try await store.dataset(id: "ds-1") == first)
            // Saving again replaces the splits rather than adding to them.
            first.splits.removeLast()
            try await store.save(first)
            #expect(try await store.dataset(id: "ds-1")?.splits.map(\.name) == ["train", "validation"])

            #expect(try await store.datasets().map(\.id) == ["ds-1", "ds-2", "ds-3"])
            #expect(try await store.datasets(owner: "a").map(\.id) == ["ds-1", "ds-3"])
            #expect(try await store.datasets(status: .ready).map(\.id) == ["ds-1"])
            #expect(try await store.datasets(owner: "a", status: .queued, symbol: "ETHUSDT").map(\.id) == ["ds-3"])
            #expect(try await store.datasets(owner: "a").first == first)
            #expect(try await store.datasets(symbol: "BTCUSDT'; DROP TABLE datasets; --").isEmpty)
            #expect(try await store.datasets().count == 3)
        }
    }

    @Test("registry contents are recorded once, every activation is kept", arguments: Backend.underTest)
    func registryVersions(backend: Backend) async throws {
        try await withStore(backend) { store in
            try await store.recordRegistry(
                version: "1.0.0", contentHash: "aaa", featureCount: 40, document: "version: 1.0.0\n",
                activation: .init(instance: "node-1", contentHash: "aaa", activatedAt: 1_000, reason: .startup, source: "bundled"))
            try await store.recordRegistry(
                version: "1.1.0", contentHash: "bbb", featureCount: 41, document: "version: 1.1.0\n",
                activation: .init(instance: "node-1", contentHash: "bbb", activatedAt: 2_000, reason: .reload, source: "/etc/r.yaml"))
            try await store.recordRegistry(
                version: "1.0.0", contentHash: "aaa", featureCount: 40, document: "version: 1.0.0\n",
                activation: .init(instance: "node-2", contentHash: "aaa", activatedAt: 3_000, reason: .startup, source: "bundled"))
            let versions = try await store.registryVersions()
            #expect(versions.map(\.contentHash) == ["aaa", "bbb"])
            #expect(
                versions[0]
                    == RegistryVersionRecord(
                        version: "1.0.0", contentHash: "aaa", featureCount: 40, firstSeenAt: 1_000,
                        lastActivatedAt: 3_000, activations: 2))
            #expect(try await store.registryDocument(contentHash: "bbb") == "version: 1.1.0\n")
            #expect(try await store.registryActivations(instance: "node-1").map(\.reason) == [.reload, .startup])
            #expect(try await store.registryActivations().count == 3)
            // The same version name with another content is visible (the version was not bumped).
            try await store.recordRegistry(
                version: "1.1.0", contentHash: "ccc", featureCount: 42, document: "version: 1.1.0\n# changed\n",
                activation: .init(instance: "node-1", contentHash: "ccc", activatedAt: 4_000, reason: .reload, source: "/etc/r.yaml"))
            #expect(try await store.registryHashes(version: "1.1.0") == ["bbb", "ccc"])
        }
    }

    @Test("the shard directory names each symbol's owner and what a shard gave up", arguments: Backend.underTest)
    func shardDirectory(backend: Backend) async throws {
        try await withStore(backend) { store in
            let a = ShardRecord(name: "a", symbols: ["ETHUSDT", "BTCUSDT"], url: "http://a:4500", instance: "host-a", updatedAt: 1)
            #expect(try await store.registerShard(a) == [], "a first registration gave nothing up")
            try await store.registerShard(ShardRecord(name: "b", symbols: ["XRPUSDT"], url: nil, instance: "host-b", updatedAt: 2))
            #expect(try await store.shard(owning: "BTCUSDT")?.name == "a")
            #expect(try await store.shard(owning: "XRPUSDT")?.url == nil)
            #expect(try await store.shard(owning: "SOLUSDT") == nil)
            // a restarts without ETHUSDT: the previous list comes back (its binding goes), the directory follows.
            let again = ShardRecord(name: "a", symbols: ["BTCUSDT"], url: "http://a:4500", instance: "host-a", updatedAt: 3)
            #expect(try await store.registerShard(again) == ["BTCUSDT", "ETHUSDT"])
            #expect(try await store.shard(owning: "ETHUSDT") == nil)
            #expect(try await store.shards().map(\.name) == ["a", "b"])
        }
    }

    @Test("quality summaries are replaced per symbol and period and found by overlap", arguments: Backend.underTest)
    func qualitySummaries(backend: Backend) async throws {
        try await withStore(backend) { store in
            func summary(_ start: Int64, _ end: Int64, gaps: Int, skew: Double?) -> QualitySummaryRecord {
                QualitySummaryRecord(
                    symbol: "BTCUSDT", periodStart: start, periodEnd: end, computedAt: end + 1, events: 1_000,
                    missingRate: 0.25, sequenceGaps: gaps, desyncs: 1, anomalies: 2, latencySkewP99Ms: skew,
                    reportJSON: #"{"gaps":\#(gaps)}"#)
            }
            try await store.save(summary(0, 100, gaps: 1, skew: 1.5))
            try await store.save(summary(100, 200, gaps: 2, skew: nil))
            try await store.save(summary(0, 100, gaps: 3, skew: 2.5))
            let all = try await store.qualitySummaries(symbol: "BTCUSDT", from: 0, to: 1_000)
            #expect(all == [summary(0, 100, gaps: 3, skew: 2.5), summary(100, 200, gaps: 2, skew: nil)])
            #expect(try await store.qualitySummaries(symbol: "BTCUSDT", from: 100, to: 150).map(\.periodStart) == [100])
            #expect(try await store.qualitySummaries(symbol: "BTCUSDT", from: 200, to: 300).isEmpty)
            #expect(try await store.qualitySummaries(symbol: "ETHUSDT", from: 0, to: 1_000).isEmpty)
        }
    }

    @Test("a transaction that throws leaves nothing behind", arguments: Backend.underTest)
    func transactionRollback(backend: Backend) async throws {
        try await withStore(backend) { store in
            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await store.database.transaction { tx in
                    try await tx.execute(
                        "INSERT INTO quality_summaries (symbol, period_start, period_end, computed_at, events, "
                            + "missing_rate, sequence_gaps, desyncs, anomalies, report) VALUES ('X', 0, 1, 1, 0, 0, 0, 0, 0, '{}')"
                    )
                    throw Abort()
                }
            }
            let left = try await store.qualitySummaries(symbol: "X", from: 0, to: 10)
            #expect(left.isEmpty)
        }
    }
}

@Suite("Opening a metadata database")
struct OpeningTests {
    @Test("with no URL the SQLite file goes into the data directory")
    func defaultIsSQLiteInDataDirectory() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("metadata-default-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try await MetadataStore.open(url: nil, dataDirectory: dir, logger: logger, now: 1)
        #expect(store.database.location == "sqlite:\(dir)/metadata.sqlite")
        #expect(FileManager.default.fileExists(atPath: "\(dir)/metadata.sqlite"))
        try await store.ping()
        await store.close()
    }

    @Test("SQLite: a cancelled task's transaction still commits whole; a closed database refuses statements")
    func sqliteCancellationAndClose() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("metadata-close-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let database = try await SQLiteDatabase(path: "\(dir)/metadata.sqlite")
        try await database.execute("CREATE TABLE t (v INTEGER)")
        // Statements run on the database's own thread; cancellation must not skip one of them.
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await database.transaction { tx in
                try await tx.execute("INSERT INTO t (v) VALUES ($1)", [.int(1)])
                try await tx.execute("INSERT INTO t (v) VALUES ($1)", [.int(2)])
            }
        }
        try await task.value
        #expect(try await database.query("SELECT COUNT(*) AS n FROM t").first?["n"] == .int(2))
        await database.close()
        await #expect(throws: MetadataError.closed) { try await database.query("SELECT 1 AS ok") }
        await database.close()  // a second close is harmless
        // An open database dropped without close() closes its file and thread by itself.
        _ = try await SQLiteDatabase(path: "\(dir)/other.sqlite")
    }

    @Test("bad URLs are refused with a message that does not echo the password")
    func badURLs() async throws {
        for url in ["mysql://u:secret@h/db", "postgres:///db", "postgres://h:5432/db", "postgres://u:secret@h/db?sslmode=maybe", "sqlite:"]
        {
            do {
                _ = try await MetadataStore.open(url: url, dataDirectory: "/tmp", logger: logger, now: 1)
                Issue.record("accepted \(url)")
            } catch let error as MetadataError {
                guard case .invalidURL(let message) = error else { Issue.record("\(url): \(error)"); continue }
                #expect(!message.contains("secret"), "\(message)")
            }
        }
        #expect(
            try PostgresDatabase.ConnectionURL("postgresql://u:p%40ss@db.local/features?sslmode=require")
                == PostgresDatabase.ConnectionURL("postgres://u:p%40ss@db.local:5432/features?sslmode=require"))
        #expect(try PostgresDatabase.ConnectionURL("postgres://u:p%40ss@db.local/features").password == "p@ss")
    }

    @Test(
        "an unreachable server or a wrong password fails within the timeout, with the reason",
        .enabled(if: Backend.underTest.contains(.postgres), "needs the PostgreSQL server (PostgresIntegrationTests)"))
    func unreachableAndWrongPassword() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await PostgresDatabase(url: "postgres://u:p@127.0.0.1:1/db", logger: logger, timeout: .seconds(2))
            Issue.record("connected to a closed port")
        } catch let error as MetadataError {
            guard case .connection = error else { Issue.record("\(error)"); return }
        }
        #expect(clock.now - start < .seconds(10))

        var components = URLComponents(string: try postgresURL(database: "features"))!
        components.password = "wrong"
        do {
            _ = try await PostgresDatabase(url: components.string!, logger: logger, timeout: .seconds(5))
            Issue.record("connected with a wrong password")
        } catch let error as MetadataError {
            guard case .connection(let message) = error else { Issue.record("\(error)"); return }
            #expect(message.contains("password") || message.contains("authentication"), "\(message)")
            #expect(!message.contains("wrong"))
        }
    }
}

@Suite("Dataset tasks", .serialized)
struct DatasetTaskTests {
    static let build = DatasetTaskBuildRecord(
        datasetId: "ds-t", configJSON: "{}", registryHash: "abc", directory: "datasets/ds-t", taskCount: 3, createdAt: 1)

    @Test("one worker holds a task at a time; an expired lease is taken over; done is final", arguments: Backend.underTest)
    func leases(backend: Backend) async throws {
        try await withStore(backend) { store in
            try await store.createTasks(Self.build, tasks: (0..<3).map { (index: $0, json: "{\"index\":\($0)}") }, now: 10)
            #expect(try await store.taskBuild(datasetId: "ds-t") == Self.build)
            #expect(try await store.claimTask(datasetId: "ds-t", index: 0, owner: "a", leaseUntil: 100, now: 10) == .claimed(attempt: 1))
            // b finds a's lease and waits for it.
            #expect(
                try await store.claimTask(datasetId: "ds-t", index: 0, owner: "b", leaseUntil: 110, now: 20) == .held(by: "a", until: 100))
            #expect(try await store.renewLease(datasetId: "ds-t", index: 0, owner: "a", leaseUntil: 130, now: 30))
            #expect(
                try await store.claimTask(datasetId: "ds-t", index: 0, owner: "b", leaseUntil: 210, now: 110) == .held(by: "a", until: 130))
            // a died: past its lease, b takes the task over, and a can no longer renew.
            #expect(try await store.claimTask(datasetId: "ds-t", index: 0, owner: "b", leaseUntil: 240, now: 140) == .claimed(attempt: 2))
            #expect(try await store.renewLease(datasetId: "ds-t", index: 0, owner: "a", leaseUntil: 250, now: 150) == false)
            try await store.completeTask(datasetId: "ds-t", index: 0, owner: "b", now: 160)
            #expect(try await store.claimTask(datasetId: "ds-t", index: 0, owner: "c", leaseUntil: 300, now: 170) == .finished(.done))
            #expect(try await store.claimTask(datasetId: "ds-t", index: 7, owner: "c", leaseUntil: 300, now: 170) == .finished(nil))
            var progress = try await store.taskProgress(datasetId: "ds-t")
            #expect(progress.total == 3 && progress.done == 1 && progress.running == 0 && progress.failure == nil)

            // Failures are retried until the last attempt; a shutdown's release is not an attempt.
            #expect(try await store.claimTask(datasetId: "ds-t", index: 1, owner: "a", leaseUntil: 300, now: 200) == .claimed(attempt: 1))
            try await store.releaseTask(datasetId: "ds-t", index: 1, owner: "a", now: 201)
            #expect(try await store.claimTask(datasetId: "ds-t", index: 1, owner: "b", leaseUntil: 300, now: 202) == .claimed(attempt: 1))
            #expect(
                try await store.failTask(datasetId: "ds-t", index: 1, owner: "b", error: "disk full", maxAttempts: 2, now: 203) == .queued)
            #expect(try await store.claimTask(datasetId: "ds-t", index: 1, owner: "a", leaseUntil: 300, now: 204) == .claimed(attempt: 2))
            #expect(
                try await store.failTask(datasetId: "ds-t", index: 1, owner: "a", error: "disk full", maxAttempts: 2, now: 205) == .failed)
            progress = try await store.taskProgress(datasetId: "ds-t")
            #expect(progress.failure?.index == 1 && progress.failure?.error == "disk full")

            // Cancelled: workers skip what is left.
            try await store.cancelTasks(datasetId: "ds-t", now: 300)
            #expect(try await store.claimTask(datasetId: "ds-t", index: 2, owner: "a", leaseUntil: 400, now: 301) == .finished(.cancelled))
            #expect(try await store.tasks(datasetId: "ds-t").map(\.status) == [.done, .failed, .cancelled])
            // A second build of the same dataset starts from fresh tasks; merged builds leave none.
            try await store.createTasks(Self.build, tasks: [(index: 0, json: "{}")], now: 400)
            #expect(try await store.tasks(datasetId: "ds-t").map(\.status) == [.queued])
            try await store.deleteTasks(datasetId: "ds-t")
            #expect(try await store.tasks(datasetId: "ds-t").isEmpty)
            #expect(try await store.taskBuild(datasetId: "ds-t") == nil)
        }
    }
}
