public import Datasets
public import FeatureEngine
import Foundation
public import Logging
public import MarketData
public import Metadata
public import RawStore
public import ServiceRuntime

/// The message a worker takes from the work queue: which task to run. Everything else (what
/// to build, with which registry, the task's lease) is in the metadata store.
public struct DatasetTaskMessage: Codable, Sendable, Equatable {
    public var datasetId: String
    public var taskIndex: Int

    public init(datasetId: String, taskIndex: Int) {
        self.datasetId = datasetId
        self.taskIndex = taskIndex
    }

    enum CodingKeys: String, CodingKey {
        case datasetId = "dataset_id"
        case taskIndex = "task_index"
    }
}

/// A distributed build that did not finish.
public enum DistributedBuildError: Error, Sendable, CustomStringConvertible {
    case taskFailed(index: Int, symbol: String, error: String)
    case registryNotRecorded(version: String, contentHash: String)

    public var description: String {
        switch self {
        case .taskFailed(let index, let symbol, let error): "task \(index) (\(symbol)) failed: \(error)"
        case .registryNotRecorded(let version, let hash):
            "registry \(version) (\(hash.prefix(12))) is not in the metadata store, so workers cannot load it"
        }
    }
}

/// The coordinator of distributed dataset builds (the `serve` instance that accepted the
/// request): cuts the build into tasks (``DatasetPlan``), records them in the metadata store,
/// puts one message per task on the work queue, follows the tasks' state until every one is
/// done, then merges the parts into the split files and the manifest exactly as a
/// single-process build writes them (``DatasetAssembler``).
public struct DistributedDatasetBuilds: Sendable {
    public let metadata: MetadataStore
    public let store: RawStore
    /// The shared data directory: dataset directories are recorded relative to it, so workers
    /// that mount it elsewhere find them.
    public let dataDirectory: String
    /// Row range per task.
    public let chunk: Nanos
    /// How often the tasks' state is read while waiting.
    public let pollInterval: Duration
    /// Puts messages on the durable work queue (returns once the broker has them).
    public let enqueue: @Sendable ([DatasetTaskMessage]) async throws -> Void
    let clock: any WallClock
    let logger: Logger

    public init(
        metadata: MetadataStore, store: RawStore, dataDirectory: String, chunk: Nanos = DatasetPlan.defaultChunk,
        pollInterval: Duration = .milliseconds(250), clock: any WallClock, logger: Logger,
        enqueue: @escaping @Sendable ([DatasetTaskMessage]) async throws -> Void
    ) {
        self.metadata = metadata
        self.store = store
        self.dataDirectory = dataDirectory
        self.chunk = chunk
        self.pollInterval = pollInterval
        self.clock = clock
        self.logger = logger
        self.enqueue = enqueue
    }

    /// The path workers are given for a dataset directory.
    func relative(_ directory: String) -> String {
        let base = dataDirectory.hasSuffix("/") ? dataDirectory : dataDirectory + "/"
        return directory.hasPrefix(base) ? String(directory.dropFirst(base.count)) : directory
    }

    /// Runs build `id` over the workers; `progress` receives the fraction of tasks done.
    public func build(
        id: String, configJSON: String, registry: FeatureRegistry, directory: String, createdAt: Nanos,
        progress: @escaping @Sendable (Double) async -> Void, isCancelled: @escaping @Sendable () -> Bool
    ) async throws -> DatasetManifest {
        let started = ContinuousClock.now
        let config = try DatasetConfig.parse(json: configJSON)
        try DatasetBuilder.precheck(config, registry: registry)
        let store = self.store
        let coverage = try await Blocking.run {
            try Dictionary(
                uniqueKeysWithValues: config.symbols.map { ($0, try DatasetBuilder.coverage(of: $0, config: config, store: store)) })
        }
        guard try await metadata.registryDocument(contentHash: registry.contentHash) != nil else {
            throw DistributedBuildError.registryNotRecorded(version: registry.version, contentHash: registry.contentHash)
        }
        let tasks = DatasetPlan.tasks(for: config, chunk: chunk)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let records = try tasks.map { (index: $0.index, json: String(decoding: try encoder.encode($0), as: UTF8.self)) }
        // A directory on the (possibly shared) filesystem: off the cooperative pool.
        try await Blocking.run { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        try await metadata.createTasks(
            DatasetTaskBuildRecord(
                datasetId: id, configJSON: configJSON, registryHash: registry.contentHash, directory: relative(directory),
                taskCount: tasks.count, createdAt: clock.now()),
            tasks: records, now: clock.now())
        logger.notice(
            "dataset build spread over workers",
            metadata: ["dataset_id": .string(id), "tasks": .stringConvertible(tasks.count), "symbols": .string(config.symbol)])
        do {
            try await enqueue(tasks.map { DatasetTaskMessage(datasetId: id, taskIndex: $0.index) })
            while true {
                if isCancelled() { throw DatasetBuildError.cancelled }
                let state = try await metadata.taskProgress(datasetId: id)
                if let failure = state.failure {
                    throw DistributedBuildError.taskFailed(index: failure.index, symbol: tasks[failure.index].symbol, error: failure.error)
                }
                await progress(Double(state.done) / Double(max(1, state.total)))
                if state.done == state.total { break }
                try await Task.sleep(for: pollInterval)
            }
        } catch {
            // Cancelled, failed or shut down: workers skip what is left.
            try? await metadata.cancelTasks(datasetId: id, now: clock.now())
            throw error
        }
        let tasksDone = ContinuousClock.now
        let (createdAtValue, startedAt) = (createdAt, started)
        let manifest = try await Blocking.run {
            try DatasetAssembler.merge(
                tasks: tasks, config: config, registry: registry, directory: directory, coverage: { coverage[$0] ?? [] },
                datasetId: id, buildSeconds: Double((ContinuousClock.now - startedAt) / .milliseconds(1)) / 1000,
                createdAt: createdAtValue)
        }
        try? await metadata.deleteTasks(datasetId: id)
        func seconds(_ d: Duration) -> String { String(format: "%.2f", Double(d / .milliseconds(1)) / 1000) }
        logger.notice(
            "dataset parts merged",
            metadata: [
                "dataset_id": .string(id), "tasks_seconds": .string(seconds(tasksDone - started)),
                "merge_seconds": .string(seconds(ContinuousClock.now - tasksDone)),
            ])
        return manifest
    }
}
