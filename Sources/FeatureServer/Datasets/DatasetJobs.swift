import Datasets
public import FeatureEngine
import Foundation
public import Logging
public import MarketData
public import RawStore

/// Dataset builds as jobs: accepted at once, run by a bounded worker pool in queue order,
/// with progress, cancellation, and a record that survives restarts (`jobs.json` in the
/// datasets directory; a build interrupted by a restart is marked failed with the reason,
/// queued ones run again).
public actor DatasetJobs {
    public enum Status: String, Sendable, Codable { case queued, running, ready, failed, cancelled }

    public struct Job: Sendable, Codable {
        public var id: String
        public var symbol: String
        public var status: Status
        public var createdAt: Nanos
        public var startedAt: Nanos?
        public var finishedAt: Nanos?
        public var progress: Double
        public var rows: Int
        public var etaSeconds: Double?
        public var error: String?
        public var configJSON: String
        public var registryVersion: String
        /// split -> {rows, start, end, file}, once ready.
        public var splits: [SplitInfo]

        public init(id: String, symbol: String, status: Status, createdAt: Nanos, startedAt: Nanos? = nil, finishedAt: Nanos? = nil,
                    progress: Double, rows: Int, etaSeconds: Double? = nil, error: String? = nil, configJSON: String,
                    registryVersion: String, splits: [SplitInfo]) {
            self.id = id
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

    public struct SplitInfo: Sendable, Codable {
        public var name: String
        public var rows: Int
        public var start: Nanos?
        public var end: Nanos?
        public var file: String
    }

    public let directory: String
    private let store: RawStore
    private let registry: @Sendable () async -> FeatureRegistry
    private let notify: @Sendable (String) async -> Void
    private let logger: Logger
    private let workers: Int
    private var jobs: [String: Job] = [:]
    private var order: [String] = []
    private var running = 0
    private var cancelFlags: [String: CancelFlag] = [:]

    final class CancelFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.lock(); value = true; lock.unlock() }
        var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    }

    /// - Parameters:
    ///   - notify: receives the `features.dataset.ready` message of each finished build.
    public init(directory: String, store: RawStore, workers: Int = 1, logger: Logger,
                registry: @escaping @Sendable () async -> FeatureRegistry, notify: @escaping @Sendable (String) async -> Void) throws {
        self.directory = directory
        self.store = store
        self.workers = max(1, workers)
        self.logger = logger
        self.registry = registry
        self.notify = notify
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let data = FileManager.default.contents(atPath: "\(directory)/jobs.json"),
           let saved = try? JSONDecoder().decode([Job].self, from: data) {
            for var job in saved {
                if job.status == .running {
                    job.status = .failed
                    job.error = "interrupted by a service restart while running; request the build again"
                    job.finishedAt = Nanos(Date().timeIntervalSince1970 * 1e9)
                }
                jobs[job.id] = job
                order.append(job.id)
            }
        }
    }

    /// Starts queued jobs left from a previous run.
    public func resume() {
        persist()
        schedule()
    }

    /// Accepts a build request: validated now (a leaky or impossible request is rejected with
    /// every reason before anything runs), queued, and answered at once.
    public func submit(configJSON: String) async throws -> Job {
        let config = try DatasetConfig.parse(json: configJSON)
        let inForce = await registry()
        if let wanted = config.registryVersion, wanted != inForce.version {
            throw DatasetBuildError.registryMismatch(requested: wanted, inForce: inForce.version)
        }
        let (start, end) = config.rowRange
        let coverage = try store.coverage(symbol: config.symbol)
        guard coverage.contains(where: { $0.upperBound >= start && $0.lowerBound < end }) else {
            throw DatasetBuildError.noData(symbol: config.symbol, requested: (start, end), available: coverage)
        }
        let id = "ds-" + UUID().uuidString.lowercased().prefix(12)
        let job = Job(id: String(id), symbol: config.symbol, status: .queued, createdAt: Nanos(Date().timeIntervalSince1970 * 1e9),
                      progress: 0, rows: 0, etaSeconds: estimate(config), configJSON: configJSON, registryVersion: inForce.version, splits: [])
        jobs[job.id] = job
        order.append(job.id)
        persist()
        schedule()
        return jobs[job.id]!
    }

    /// A rough duration: replaying the symbol's stored events at ~0.8 M events/s.
    private func estimate(_ config: DatasetConfig) -> Double? {
        guard let bytes = try? FileManager.default.subpathsOfDirectory(atPath: store.layout.rawDirectory) else { return nil }
        let files = bytes.filter { $0.contains("symbol=\(config.symbol)/") && $0.hasSuffix(".parquet") }.count
        return Double(max(files, 1)) * 0.05
    }

    public func job(_ id: String) -> Job? { jobs[id] }

    public func list(status: Status? = nil, symbol: String? = nil) -> [Job] {
        order.compactMap { jobs[$0] }.filter { (status == nil || $0.status == status) && (symbol == nil || $0.symbol == symbol) }
    }

    /// Stops a queued or running build; false when it had already finished.
    public func cancel(_ id: String) -> Bool {
        guard var job = jobs[id] else { return false }
        switch job.status {
        case .queued:
            job.status = .cancelled
            job.finishedAt = Nanos(Date().timeIntervalSince1970 * 1e9)
            jobs[id] = job
            persist()
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

    private func schedule() {
        while running < workers, let next = order.first(where: { jobs[$0]?.status == .queued }) {
            running += 1
            var job = jobs[next]!
            job.status = .running
            job.startedAt = Nanos(Date().timeIntervalSince1970 * 1e9)
            jobs[next] = job
            persist()
            let flag = CancelFlag()
            cancelFlags[next] = flag
            let store = self.store
            let output = outputDirectory(next)
            let configJSON = job.configJSON
            Task {
                let registry = await self.registry()
                // The build is CPU work: run it off the actor.
                let result: Result<DatasetManifest, any Error> = await Task.detached {
                    do {
                        let config = try DatasetConfig.parse(json: configJSON)
                        let builder = DatasetBuilder(config: config, registry: registry, store: store, outputDirectory: output, datasetId: next)
                        return .success(try builder.build(progress: { progress in
                            Task { await self.update(next, progress: progress) }
                        }, isCancelled: { flag.isSet }))
                    } catch {
                        return .failure(error)
                    }
                }.value
                await self.finish(next, result)
            }
        }
    }

    private func update(_ id: String, progress: DatasetBuilder.Progress) {
        guard var job = jobs[id], job.status == .running else { return }
        job.progress = progress.fraction
        job.rows = progress.rows
        if let started = job.startedAt, progress.fraction > 0.01 {
            let elapsed = Double(Nanos(Date().timeIntervalSince1970 * 1e9) - started) / 1e9
            job.etaSeconds = elapsed / progress.fraction - elapsed
        }
        jobs[id] = job
    }

    private func finish(_ id: String, _ result: Result<DatasetManifest, any Error>) async {
        running -= 1
        cancelFlags[id] = nil
        guard var job = jobs[id] else { return }
        job.finishedAt = Nanos(Date().timeIntervalSince1970 * 1e9)
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
        persist()
        if job.status == .ready || job.status == .failed { await notify(readyMessage(job)) }
        schedule()
    }

    /// The `features.dataset.ready` message (interfaces.md §2).
    public func readyMessage(_ job: Job) -> String {
        func str(_ s: String) -> String { var out = ""; JSONText.appendString(s, to: &out); return out }
        var out = "{\"dataset_id\":\(str(job.id)),\"status\":\(str(job.status == .ready ? "ready" : "failed")),\"splits_info\":{"
        out += job.splits.map { split in
            "\(str(split.name)):{\"rows\":\(split.rows),\"start\":\(split.start.map { str(Time.formatISO8601($0)) } ?? "null"),\"end\":\(split.end.map { str(Time.formatISO8601($0)) } ?? "null")}"
        }.joined(separator: ",")
        out += "},\"download_urls\":{" + job.splits.map { "\(str($0.name)):\(str("/dataset/\(job.id)/download?split=\($0.name)"))" }.joined(separator: ",") + "}"
        if let error = job.error { out += ",\"error\":\(str(error))" }
        return out + "}"
    }

    private func persist() {
        let all = order.compactMap { jobs[$0] }
        guard let data = try? JSONEncoder().encode(all) else { return }
        do { try data.write(to: URL(fileURLWithPath: "\(directory)/jobs.json"), options: .atomic) } catch {
            logger.error("cannot save dataset jobs", metadata: ["error": .string("\(error)")])
        }
    }
}
