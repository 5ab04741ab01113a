import Datasets
public import FeatureEngine
import Foundation
public import Logging
import MarketData
public import Metadata
public import RawStore
public import ServiceLifecycle
public import ServiceRuntime

/// Dataset builds as jobs: accepted at once, run in queue order by at most `workers` builds at a
/// time, with progress (reported in order) and cancellation. It is a `Service`: its ``run()``
/// owns the builds as child tasks, so a graceful shutdown cancels them and waits for them (an
/// interrupted build goes back to the queue and runs again after the restart). Every state change is written to the metadata store, so
/// the list survives restarts: a build interrupted by a restart is marked failed with the
/// reason, queued ones run again. Several instances may share one (PostgreSQL) store: each
/// sees and runs the datasets it owns, whose files are in its data directory.
public actor DatasetJobs: Service {
    public typealias Job = DatasetRecord
    public typealias Status = DatasetRecord.Status
    public typealias SplitInfo = DatasetRecord.Split

    public let directory: String
    /// This instance's name in the metadata store.
    public let owner: String
    private let store: RawStore
    private let metadata: MetadataStore
    private let registry: @Sendable () async -> FeatureRegistry
    private let notify: @Sendable (String) async -> Void
    private let logger: Logger
    private let workers: Int
    /// Set: builds are spread over `worker` processes instead of running here.
    private let distributed: DistributedDatasetBuilds?
    private var jobs: [String: Job] = [:]
    private var order: [String] = []
    private let clock: any WallClock
    private var running = 0
    private var cancelFlags: [String: StopFlag] = [:]
    /// Wakes ``run()`` when a job is queued or a build ends.
    private nonisolated let wakeups: AsyncStream<Void>
    private nonisolated let wake: AsyncStream<Void>.Continuation

    /// Loads this instance's datasets from the metadata store.
    /// - Parameters:
    ///   - owner: this instance's name (several instances can share one metadata database).
    ///   - notify: receives the `features.dataset.ready` message of each finished build.
    ///   - distributed: spreads builds over `worker` processes (nil: builds run in this process).
    public init(
        directory: String, store: RawStore, metadata: MetadataStore, owner: String, workers: Int = 1, logger: Logger,
        clock: any WallClock, registry: @escaping @Sendable () async -> FeatureRegistry,
        distributed: DistributedDatasetBuilds? = nil, notify: @escaping @Sendable (String) async -> Void
    ) async throws {
        self.distributed = distributed
        self.directory = directory
        self.store = store
        self.metadata = metadata
        self.owner = owner
        self.workers = max(1, workers)
        self.logger = logger
        self.registry = registry
        self.notify = notify
        self.clock = clock
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for var job in try await metadata.datasets(owner: owner) {
            if job.status == .running {
                job.status = .failed
                job.error = "interrupted by a service restart while running; request the build again"
                job.finishedAt = clock.now()
                try await metadata.save(job)
                // Tasks it left on the work queue are skipped by the workers.
                try await metadata.cancelTasks(datasetId: job.id, now: clock.now())
            }
            jobs[job.id] = job
            order.append(job.id)
        }
    }

    /// Runs the queue until graceful shutdown: builds are child tasks of this one, so shutdown
    /// cancels them and returns only once they have stopped. Queued jobs left from a previous
    /// run start at once.
    public nonisolated func run() async throws {
        wake.yield()
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                // Cancellation (shutdown) ends this loop; leaving the group then cancels and awaits the builds.
                for await _ in self.wakeups {
                    while let next = await self.startNext() {
                        group.addTask {
                            await self.build(next)
                            self.wake.yield()
                        }
                    }
                }
            }
        }
    }

    /// Accepts a build request: validated now (a leaky or impossible request is rejected with
    /// every reason before anything runs), queued, and answered at once.
    public func submit(configJSON: String) async throws -> Job {
        let config = try DatasetConfig.parse(json: configJSON)
        let inForce = await registry()
        if let wanted = config.registryVersion, wanted != inForce.version {
            throw DatasetBuildError.registryMismatch(requested: wanted, inForce: inForce.version)
        }
        for symbol in config.symbols { _ = try DatasetBuilder.coverage(of: symbol, config: config, store: store) }
        let id = "ds-" + UUID().uuidString.lowercased().prefix(12)
        let job = Job(
            id: String(id), owner: owner, symbol: config.symbol, status: .queued, createdAt: clock.now(),
            etaSeconds: estimate(config), configJSON: configJSON, registryVersion: inForce.version)
        // Recorded before it is acknowledged: an accepted build is never lost.
        try await metadata.save(job)
        jobs[job.id] = job
        order.append(job.id)
        wake.yield()
        return jobs[job.id]!
    }

    /// A rough duration: replaying the symbol's stored events at ~0.8 M events/s.
    private func estimate(_ config: DatasetConfig) -> Double? {
        guard let bytes = try? FileManager.default.subpathsOfDirectory(atPath: store.layout.rawDirectory) else { return nil }
        let files = bytes.filter { path in path.hasSuffix(".parquet") && config.symbols.contains { path.contains("symbol=\($0)/") } }.count
        return Double(max(files, 1)) * 0.05
    }

    public func job(_ id: String) -> Job? { jobs[id] }

    public func list(status: Status? = nil, symbol: String? = nil) -> [Job] {
        order.compactMap { jobs[$0] }.filter { (status == nil || $0.status == status) && (symbol == nil || $0.symbol == symbol) }
    }

    /// Stops a queued or running build; false when it had already finished.
    public func cancel(_ id: String) async -> Bool {
        guard var job = jobs[id] else { return false }
        switch job.status {
        case .queued:
            job.status = .cancelled
            job.finishedAt = clock.now()
            jobs[id] = job
            await persist(job)
            return true
        case .running:
            cancelFlags[id]?.set()
            return true
        default:
            return false
        }
    }

    /// The directory holding a job's files.
    public func outputDirectory(_ id: String) -> String { "\(directory)/\(id)" }

    /// Marks the next queued job running, if a worker is free.
    private func startNext() async -> String? {
        guard running < workers, let next = order.first(where: { jobs[$0]?.status == .queued }), var job = jobs[next] else { return nil }
        running += 1
        job.status = .running
        job.startedAt = clock.now()
        jobs[next] = job
        cancelFlags[next] = StopFlag()
        await persist(job)
        return next
    }

    /// Builds job `id` on NIO's blocking pool (CPU and file work, off the cooperative threads);
    /// its progress reports are applied in the order the builder made them.
    private func build(_ id: String) async {
        guard let job = jobs[id], let flag = cancelFlags[id] else { return }
        let registry = await self.registry()
        let (store, output, configJSON, createdAt) = (self.store, outputDirectory(id), job.configJSON, clock.now())
        let (reports, report) = AsyncStream.makeStream(of: DatasetBuilder.Progress.self, bufferingPolicy: .bufferingNewest(1))
        async let applied: Void = { for await progress in reports { await self.update(id, progress: progress) } }()
        let result: Result<DatasetManifest, any Error>
        if let distributed {
            report.finish()
            do {
                result = .success(
                    try await distributed.build(
                        id: id, configJSON: configJSON, registry: registry, directory: output, createdAt: createdAt,
                        progress: { await self.update(id, fraction: $0) }, isCancelled: { flag.isSet }))
            } catch {
                result = .failure(error)
            }
            await applied
            await finish(id, result, interrupted: Task.isCancelled && !flag.isSet)
            return
        }
        do {
            result = .success(
                try await Blocking.runCancellable { shutdown in
                    defer { report.finish() }
                    let config = try DatasetConfig.parse(json: configJSON)
                    let builder = DatasetBuilder(
                        config: config, registry: registry, store: store, outputDirectory: output, datasetId: id,
                        createdAt: createdAt)
                    return try builder.build(progress: { report.yield($0) }, isCancelled: { flag.isSet || shutdown() })
                })
        } catch {
            report.finish()
            result = .failure(error)
        }
        await applied
        await finish(id, result, interrupted: Task.isCancelled && !flag.isSet)
    }

    /// Progress of a distributed build: the fraction of its tasks done.
    private func update(_ id: String, fraction: Double) {
        guard var job = jobs[id], job.status == .running else { return }
        job.progress = fraction
        if let started = job.startedAt, fraction > 0.01 {
            let elapsed = Double(clock.now() - started) / 1e9
            job.etaSeconds = elapsed / fraction - elapsed
        }
        jobs[id] = job
    }

    private func update(_ id: String, progress: DatasetBuilder.Progress) {
        guard var job = jobs[id], job.status == .running else { return }
        job.progress = progress.fraction
        job.rows = progress.rows
        if let started = job.startedAt, progress.fraction > 0.01 {
            let elapsed = Double(clock.now() - started) / 1e9
            job.etaSeconds = elapsed / progress.fraction - elapsed
        }
        jobs[id] = job
    }

    private func finish(_ id: String, _ result: Result<DatasetManifest, any Error>, interrupted: Bool) async {
        running -= 1
        cancelFlags[id] = nil
        guard var job = jobs[id] else { return }
        if interrupted {
            // Shutdown, not the user: the build goes back to the queue and starts over after the restart.
            job.status = .queued
            job.progress = 0
            job.rows = 0
            job.startedAt = nil
            jobs[id] = job
            try? FileManager.default.removeItem(atPath: outputDirectory(id))
            logger.notice("dataset build interrupted by shutdown: queued again", metadata: ["dataset_id": .string(id)])
            await persist(job)
            return
        }
        job.finishedAt = clock.now()
        switch result {
        case .success(let manifest):
            job.status = .ready
            job.progress = 1
            job.etaSeconds = 0
            job.splits = manifest.splits.map { SplitInfo(name: $0.name, rows: $0.rows, start: $0.start, end: $0.end, file: $0.file) }
            job.rows = job.splits.reduce(0) { $0 + $1.rows }
            logger.notice("dataset ready", metadata: ["dataset_id": .string(id), "rows": .stringConvertible(job.rows)])
        case .failure(DatasetBuildError.cancelled):
            job.status = .cancelled
            try? FileManager.default.removeItem(atPath: outputDirectory(id))
        case .failure(let error):
            job.status = .failed
            job.error = String(describing: error)
            logger.error("dataset build failed", metadata: ["dataset_id": .string(id), "error": .string(job.error ?? "")])
        }
        jobs[id] = job
        await persist(job)
        if job.status == .ready || job.status == .failed { await notify(readyMessage(job)) }
    }

    /// The `features.dataset.ready` message (interfaces.md §2).
    public func readyMessage(_ job: Job) -> String {
        // Strings and integers only: encoding cannot fail.
        (try? JSONResponse.text(of: DatasetReadyMessage(job))) ?? ""
    }

    /// Writes a state change through to the metadata store. A failed write is logged, and the
    /// job goes on in memory: the build's files are the primary result.
    private func persist(_ job: Job) async {
        do { try await metadata.save(job) } catch {
            logger.error(
                "cannot save dataset state to the metadata store",
                metadata: ["dataset_id": .string(job.id), "status": .string(job.status.rawValue), "error": .string("\(error)")])
        }
    }
}
