/// A distributed dataset build as the workers see it: what to build and where.
public struct DatasetTaskBuildRecord: Sendable, Equatable {
    public var datasetId: String
    /// The build request (JSON), as accepted.
    public var configJSON: String
    /// The content hash of the registry to build with (its document is in `registry_versions`).
    public var registryHash: String
    /// The dataset's directory, relative to the shared data directory (e.g. `datasets/ds-…`).
    public var directory: String
    public var taskCount: Int
    public var createdAt: Int64

    public init(datasetId: String, configJSON: String, registryHash: String, directory: String, taskCount: Int, createdAt: Int64) {
        self.datasetId = datasetId
        self.configJSON = configJSON
        self.registryHash = registryHash
        self.directory = directory
        self.taskCount = taskCount
        self.createdAt = createdAt
    }
}

/// One task of a distributed build, with its lease.
public struct DatasetTaskRecord: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case queued, running, done, failed, cancelled
    }

    public var datasetId: String
    public var index: Int
    /// The task (JSON: symbol and row range).
    public var taskJSON: String
    public var status: Status
    /// The worker running it (or that last ran it).
    public var owner: String?
    /// Until when the owner's claim holds (ns); past it another worker may take the task over.
    public var leaseUntil: Int64?
    /// Executions started so far.
    public var attempts: Int
    public var error: String?
    public var updatedAt: Int64
}

/// The outcome of trying to take a task.
public enum DatasetTaskClaim: Sendable, Equatable {
    /// This worker now holds the task: run it (attempt number given).
    case claimed(attempt: Int)
    /// Another worker holds an unexpired lease: wait until it ends, then try again.
    case held(by: String, until: Int64)
    /// Nothing left to do: done, failed, cancelled, or the task is unknown.
    case finished(DatasetTaskRecord.Status?)
}

/// Task counts of one build.
public struct DatasetTaskProgress: Sendable, Equatable {
    public var total = 0
    public var done = 0
    public var running = 0
    /// The first failed task's index and error.
    public var failure: (index: Int, error: String)?

    public static func == (a: Self, b: Self) -> Bool {
        a.total == b.total && a.done == b.done && a.running == b.running && a.failure?.index == b.failure?.index
            && a.failure?.error == b.failure?.error
    }
}

extension MetadataStore {
    /// Records a build's tasks, all queued (replacing an earlier attempt's tasks of the same dataset).
    public func createTasks(_ build: DatasetTaskBuildRecord, tasks: [(index: Int, json: String)], now: Int64) async throws {
        try await database.transaction { tx in
            try await tx.execute("DELETE FROM dataset_tasks WHERE dataset_id = $1", [.text(build.datasetId)])
            try await tx.execute("DELETE FROM dataset_task_builds WHERE dataset_id = $1", [.text(build.datasetId)])
            try await tx.execute(
                """
                INSERT INTO dataset_task_builds (dataset_id, config, registry_hash, directory, task_count, created_at)
                VALUES ($1, $2, $3, $4, $5, $6)
                """,
                [
                    .text(build.datasetId), .text(build.configJSON), .text(build.registryHash), .text(build.directory),
                    .int(Int64(build.taskCount)), .int(build.createdAt),
                ])
            for task in tasks {
                try await tx.execute(
                    """
                    INSERT INTO dataset_tasks (dataset_id, task_index, task, status, attempts, updated_at)
                    VALUES ($1, $2, $3, 'queued', 0, $4)
                    """, [.text(build.datasetId), .int(Int64(task.index)), .text(task.json), .int(now)])
            }
        }
    }

    public func taskBuild(datasetId: String) async throws -> DatasetTaskBuildRecord? {
        guard let row = try await database.query("SELECT * FROM dataset_task_builds WHERE dataset_id = $1", [.text(datasetId)]).first
        else { return nil }
        return DatasetTaskBuildRecord(
            datasetId: try row.text("dataset_id"), configJSON: try row.text("config"), registryHash: try row.text("registry_hash"),
            directory: try row.text("directory"), taskCount: Int(try row.int("task_count")), createdAt: try row.int("created_at"))
    }

    public func task(datasetId: String, index: Int) async throws -> DatasetTaskRecord? {
        try await database.query(
            "SELECT * FROM dataset_tasks WHERE dataset_id = $1 AND task_index = $2", [.text(datasetId), .int(Int64(index))]
        ).first.map(Self.task)
    }

    /// The tasks of a build, by index.
    public func tasks(datasetId: String) async throws -> [DatasetTaskRecord] {
        try await database.query("SELECT * FROM dataset_tasks WHERE dataset_id = $1 ORDER BY task_index", [.text(datasetId)])
            .map(Self.task)
    }

    /// Takes a task for `owner` until `leaseUntil`: a queued task, a running one whose lease has
    /// expired (its worker died), or one this owner already holds. One statement decides, so two
    /// workers never both hold a task.
    public func claimTask(datasetId: String, index: Int, owner: String, leaseUntil: Int64, now: Int64) async throws -> DatasetTaskClaim {
        try await database.transaction { tx in
            try await tx.execute(
                """
                UPDATE dataset_tasks SET status = 'running', owner = $3, lease_until = $4, attempts = attempts + 1, updated_at = $5
                WHERE dataset_id = $1 AND task_index = $2
                  AND (status = 'queued' OR (status = 'running' AND (lease_until < $5 OR owner = $3)))
                """, [.text(datasetId), .int(Int64(index)), .text(owner), .int(leaseUntil), .int(now)])
            guard
                let row = try await tx.query(
                    "SELECT * FROM dataset_tasks WHERE dataset_id = $1 AND task_index = $2", [.text(datasetId), .int(Int64(index))]
                ).first
            else { return .finished(nil) }
            let task = try Self.task(row)
            switch task.status {
            case .running where task.owner == owner && task.leaseUntil == leaseUntil: return .claimed(attempt: task.attempts)
            case .running: return .held(by: task.owner ?? "?", until: task.leaseUntil ?? now)
            default: return .finished(task.status)
            }
        }
    }

    /// Extends the lease of a task `owner` runs; false when it no longer holds it (cancelled,
    /// or taken over after its lease expired).
    public func renewLease(datasetId: String, index: Int, owner: String, leaseUntil: Int64, now: Int64) async throws -> Bool {
        try await database.transaction { tx in
            try await tx.execute(
                """
                UPDATE dataset_tasks SET lease_until = $4, updated_at = $5
                WHERE dataset_id = $1 AND task_index = $2 AND owner = $3 AND status = 'running'
                """, [.text(datasetId), .int(Int64(index)), .text(owner), .int(leaseUntil), .int(now)])
            let row = try await tx.query(
                "SELECT owner, status, lease_until FROM dataset_tasks WHERE dataset_id = $1 AND task_index = $2",
                [.text(datasetId), .int(Int64(index))]
            ).first
            return row?["owner"].text == owner && row?["status"].text == "running" && row?["lease_until"].int == leaseUntil
        }
    }

    /// Marks a task done (its part is durable). Idempotent: a second run of the task wrote the same bytes.
    public func completeTask(datasetId: String, index: Int, owner: String, now: Int64) async throws {
        try await database.execute(
            """
            UPDATE dataset_tasks SET status = 'done', owner = $3, lease_until = NULL, error = NULL, updated_at = $4
            WHERE dataset_id = $1 AND task_index = $2 AND status IN ('queued', 'running')
            """, [.text(datasetId), .int(Int64(index)), .text(owner), .int(now)])
    }

    /// Records a failed execution: the task is queued again, or failed for good once it has
    /// been attempted `maxAttempts` times. Returns the status it is left in.
    @discardableResult
    public func failTask(
        datasetId: String, index: Int, owner: String, error: String, maxAttempts: Int, now: Int64
    ) async throws -> DatasetTaskRecord.Status {
        try await database.transaction { tx in
            try await tx.execute(
                """
                UPDATE dataset_tasks SET
                    status = CASE WHEN attempts >= $4 THEN 'failed' ELSE 'queued' END,
                    owner = NULL, lease_until = NULL, error = $5, updated_at = $6
                WHERE dataset_id = $1 AND task_index = $2 AND owner = $3 AND status = 'running'
                """, [.text(datasetId), .int(Int64(index)), .text(owner), .int(Int64(maxAttempts)), .text(error), .int(now)])
            let row = try await tx.query(
                "SELECT status FROM dataset_tasks WHERE dataset_id = $1 AND task_index = $2", [.text(datasetId), .int(Int64(index))]
            ).first
            return row.flatMap { $0["status"].text.flatMap(DatasetTaskRecord.Status.init(rawValue:)) } ?? .failed
        }
    }

    /// Cancels the tasks of a build not yet done (workers skip them, a running one stops at its
    /// next lease renewal).
    public func cancelTasks(datasetId: String, now: Int64) async throws {
        try await database.execute(
            """
            UPDATE dataset_tasks SET status = 'cancelled', lease_until = NULL, updated_at = $2
            WHERE dataset_id = $1 AND status IN ('queued', 'running')
            """, [.text(datasetId), .int(now)])
    }

    /// Removes a build's tasks (once merged).
    public func deleteTasks(datasetId: String) async throws {
        try await database.transaction { tx in
            try await tx.execute("DELETE FROM dataset_tasks WHERE dataset_id = $1", [.text(datasetId)])
            try await tx.execute("DELETE FROM dataset_task_builds WHERE dataset_id = $1", [.text(datasetId)])
        }
    }

    /// How far a build has come.
    public func taskProgress(datasetId: String) async throws -> DatasetTaskProgress {
        var progress = DatasetTaskProgress()
        for task in try await tasks(datasetId: datasetId) {
            progress.total += 1
            switch task.status {
            case .done: progress.done += 1
            case .running: progress.running += 1
            case .failed where progress.failure == nil: progress.failure = (task.index, task.error ?? "failed")
            default: break
            }
        }
        return progress
    }

    private static func task(_ row: SQLRow) throws -> DatasetTaskRecord {
        let statusText = try row.text("status")
        guard let status = DatasetTaskRecord.Status(rawValue: statusText) else {
            throw MetadataError.decoding(column: "status", value: .text(statusText))
        }
        return DatasetTaskRecord(
            datasetId: try row.text("dataset_id"), index: Int(try row.int("task_index")), taskJSON: try row.text("task"),
            status: status, owner: row["owner"].text, leaseUntil: row["lease_until"].int, attempts: Int(try row.int("attempts")),
            error: row["error"].text, updatedAt: try row.int("updated_at"))
    }
}

extension MetadataStore {
    /// Gives a task back without counting the execution (its worker is shutting down): queued
    /// again for the next worker.
    public func releaseTask(datasetId: String, index: Int, owner: String, now: Int64) async throws {
        try await database.execute(
            """
            UPDATE dataset_tasks SET status = 'queued', owner = NULL, lease_until = NULL,
                attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, updated_at = $4
            WHERE dataset_id = $1 AND task_index = $2 AND owner = $3 AND status = 'running'
            """, [.text(datasetId), .int(Int64(index)), .text(owner), .int(now)])
    }
}
