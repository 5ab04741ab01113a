import API
import Datasets
import FeatureEngine
import Foundation
public import Logging
public import MarketData
public import Metadata
public import RawStore
public import ServiceRuntime
import Synchronization

/// Runs the tasks a `worker` takes from the work queue: claims the task in the metadata store
/// (a lease, renewed while it runs), computes the task's part, marks it done, and only then
/// lets the message be acked. A worker that dies leaves its message unacked (the broker gives
/// it to another worker) and its lease expiring (the other worker then takes the task over);
/// the part is written atomically and is the same bytes whoever writes it, so nothing is
/// duplicated or lost.
public struct DatasetTaskExecutor: Sendable {
    /// What to do with the message once the executor is done with it.
    public enum Outcome: Sendable, Equatable {
        /// Done, failed for good, cancelled, or someone else finished it: remove the message.
        case ack
        /// Not done here (shutdown, or a failure that will be retried): back to the queue.
        case requeue
    }

    public let metadata: MetadataStore
    /// The shared data directory (raw store, checkpoints, datasets).
    public let dataDirectory: String
    public let store: RawStore
    /// This worker's name in the task table.
    public let owner: String
    /// How long a claim holds without renewal; renewed every third of it.
    public let lease: Nanos
    /// Executions of one task before it fails the dataset.
    public let maxAttempts: Int
    /// Test only: how long to wait after writing a part before marking it done (widens the
    /// window in which a killed worker holds a task whose part already exists).
    public let holdAfterWrite: Duration?
    let clock: any WallClock
    let logger: Logger
    private let registries = RegistryCache()

    public init(
        metadata: MetadataStore, dataDirectory: String, store: RawStore, owner: String, lease: Nanos, maxAttempts: Int = 3,
        holdAfterWrite: Duration? = nil, clock: any WallClock, logger: Logger
    ) {
        self.metadata = metadata
        self.dataDirectory = dataDirectory
        self.store = store
        self.owner = owner
        self.lease = lease
        self.maxAttempts = maxAttempts
        self.holdAfterWrite = holdAfterWrite
        self.clock = clock
        self.logger = logger
    }

    /// Handles one message body.
    public func handle(body: [UInt8]) async -> Outcome {
        guard let message = try? JSONDecoder().decode(DatasetTaskMessage.self, from: Data(body)) else {
            logger.error(
                "dataset task message is not a task id: dropped",
                metadata: ["body": .string(String(decoding: body.prefix(200), as: UTF8.self))])
            return .ack
        }
        var log = logger
        log[metadataKey: "dataset_id"] = .string(message.datasetId)
        log[metadataKey: "task"] = .stringConvertible(message.taskIndex)
        do {
            return try await handle(message, log: log)
        } catch is CancellationError {
            // In a task of its own: this one is cancelled (shutdown), and the database client
            // refuses to start a query for a cancelled task.
            let (metadata, owner, now) = (self.metadata, self.owner, clock.now())
            await Task {
                try? await metadata.releaseTask(datasetId: message.datasetId, index: message.taskIndex, owner: owner, now: now)
            }.value
            log.notice("dataset task given back: worker shutting down")
            return .requeue
        } catch {
            // The metadata store could not be reached: leave the message for later.
            log.error("dataset task not handled", metadata: ["error": .string("\(error)")])
            try? await Task.sleep(for: .seconds(1))
            return .requeue
        }
    }

    private func handle(_ message: DatasetTaskMessage, log: Logger) async throws -> Outcome {
        let (id, index) = (message.datasetId, message.taskIndex)
        // Claim, waiting out another worker's lease (it died, or finishes and marks it done).
        while true {
            let now = clock.now()
            switch try await metadata.claimTask(datasetId: id, index: index, owner: owner, leaseUntil: now + lease, now: now) {
            case .finished(let status):
                log.info("dataset task already \(status?.rawValue ?? "gone"): message acked")
                return .ack
            case .held(let holder, let until):
                log.info("dataset task held by another worker: waiting for its lease", metadata: ["holder": .string(holder)])
                try await Task.sleep(for: .nanoseconds(max(Time.nanosPerMilli * 100, min(until - now, lease) + Time.nanosPerMilli * 50)))
                continue
            case .claimed(let attempt) where attempt > maxAttempts:
                let error = "gave up after \(maxAttempts) attempts (the workers running it stopped)"
                try await metadata.failTask(datasetId: id, index: index, owner: owner, error: error, maxAttempts: maxAttempts, now: now)
                log.error("dataset task failed for good", metadata: ["error": .string(error)])
                return .ack
            case .claimed(let attempt):
                return try await run(message, attempt: attempt, log: log)
            }
        }
    }

    private func run(_ message: DatasetTaskMessage, attempt: Int, log: Logger) async throws -> Outcome {
        let (id, index) = (message.datasetId, message.taskIndex)
        let started = ContinuousClock.now
        let prepared: (runner: DatasetTaskRunner, task: DatasetTask)
        do {
            guard let build = try await metadata.taskBuild(datasetId: id), let record = try await metadata.task(datasetId: id, index: index)
            else { return .ack }
            let registry = try await registries.registry(hash: build.registryHash, metadata: metadata)
            let config = try DatasetConfig.parse(json: build.configJSON)
            let task = try JSONDecoder().decode(DatasetTask.self, from: Data(record.taskJSON.utf8))
            let directory = build.directory.hasPrefix("/") ? build.directory : "\(dataDirectory)/\(build.directory)"
            prepared = (try DatasetTaskRunner(config: config, registry: registry, store: store, directory: directory), task)
        } catch {
            return try await failed(message, error: error, log: log)
        }
        log.info(
            "dataset task running",
            metadata: [
                "symbol": .string(prepared.task.symbol), "attempt": .stringConvertible(attempt),
                "from": .string(Time.formatISO8601(prepared.task.rowStart)), "to": .string(Time.formatISO8601(prepared.task.rowEnd)),
            ])
        let lost = StopFlag()
        let outcome: Result<DatasetPartStats, any Error> = await withTaskGroup(of: Result<DatasetPartStats, any Error>?.self) { group in
            group.addTask {
                do {
                    let stats = try await Blocking.runCancellable { shutdown in
                        try prepared.runner.run(prepared.task, isCancelled: { shutdown() || lost.isSet })
                    }
                    if let hold = holdAfterWrite { try await Task.sleep(for: hold) }
                    return .success(stats)
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                // Renews the lease while the task runs; a lost lease (cancelled, taken over) stops it.
                while !Task.isCancelled {
                    try? await Task.sleep(for: .nanoseconds(lease / 3))
                    if Task.isCancelled { break }
                    let now = clock.now()
                    let held = try? await metadata.renewLease(datasetId: id, index: index, owner: owner, leaseUntil: now + lease, now: now)
                    if held == false {
                        lost.set()
                        break
                    }
                }
                return nil
            }
            let first = await group.next()!
            group.cancelAll()
            return first ?? .failure(CancellationError())
        }
        switch outcome {
        case .success(let stats):
            // Recorded even when shutdown has begun: the part is durable, the work is done.
            let (metadata, owner, now) = (self.metadata, self.owner, clock.now())
            try await Task { try await metadata.completeTask(datasetId: id, index: index, owner: owner, now: now) }.value
            log.notice(
                "dataset task done",
                metadata: [
                    "rows": .stringConvertible(stats.rows), "events": .stringConvertible(stats.eventsRead),
                    "replayed": .stringConvertible(stats.replayed),
                    "seconds": .stringConvertible(Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000),
                ])
            return .ack
        case .failure(DatasetBuildError.cancelled) where lost.isSet:
            log.notice("dataset task stopped: cancelled or taken over by another worker")
            return .ack
        case .failure(DatasetBuildError.cancelled), .failure(is CancellationError):
            throw CancellationError()
        case .failure(let error):
            return try await failed(message, error: error, log: log)
        }
    }

    private func failed(_ message: DatasetTaskMessage, error: any Error, log: Logger) async throws -> Outcome {
        let status = try await metadata.failTask(
            datasetId: message.datasetId, index: message.taskIndex, owner: owner, error: "\(error)", maxAttempts: maxAttempts,
            now: clock.now())
        log.error("dataset task failed", metadata: ["error": .string("\(error)"), "now": .string(status.rawValue)])
        return status == .queued ? .requeue : .ack
    }
}

/// Registries by content hash, read from the metadata store (where `serve` records each one it runs).
final class RegistryCache: Sendable {
    private let cache = Mutex<[String: FeatureRegistry]>([:])

    func registry(hash: String, metadata: MetadataStore) async throws -> FeatureRegistry {
        if let known = cache.withLock({ $0[hash] }) { return known }
        guard let document = try await metadata.registryDocument(contentHash: hash) else {
            throw ConfigurationError("registry \(hash.prefix(12)) is not in the metadata store")
        }
        let registry = try FeatureRegistry.parse(document)
        guard registry.contentHash == hash else {
            throw ConfigurationError("the registry stored under \(hash.prefix(12)) hashes to \(registry.contentHash.prefix(12))")
        }
        cache.withLock { $0[hash] = registry }
        return registry
    }
}
