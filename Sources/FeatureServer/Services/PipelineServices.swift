import EngineHistory
import FeatureEngine
import Live
import Logging
import MarketData
import RawStore
import ServiceLifecycle
import ServiceRuntime

/// Closes grid points as soon as the clock passes them (every 10 ms): the pipeline publishes
/// each symbol's vector of every closed second. It runs on the pipeline's event loop and waits on
/// its timer: a tick is a call on the same thread, with no dispatch timer or cooperative thread
/// woken 100 times a second.
struct GridClockService: Service, CustomStringConvertible {
    let pipeline: LivePipeline
    let clock: any WallClock
    var description: String { "grid-clock" }

    func run() async throws {
        try await runUntilShutdown {
            try await withTaskExecutorPreference(EventLoopTaskExecutor(pipeline.eventLoop)) {
                while !Task.isCancelled {
                    try await pipeline.eventLoop.sleep(for: .milliseconds(10))
                    await pipeline.tick(now: clock.now())
                }
            }
        }
    }
}

/// The store's one committer: every 10 ms the log is synced, then the broker deliveries it made
/// durable are acked (`broker`; nacked if the sync failed), engine checkpoints and dead letters
/// are written after the sync that covers them; beside it, the log is rolled into Parquet when
/// its segment fills and at least every 5 minutes (acks never wait for a roll). One fsync per
/// interval serves the broker's deliveries and every other source. It runs on the pipeline's event
/// loop (its timer, no dispatch timer thread); all file work runs on NIO's blocking pool: never on
/// the pipeline's actor or the cooperative threads.
struct StoreCommitService: Service, CustomStringConvertible {
    let pipeline: LivePipeline
    let store: RawStore
    let checkpoints: CheckpointStore
    /// The broker link whose deliveries this committer acks (created with `commitsItself: false`).
    let broker: BrokerLink?
    let clock: any WallClock
    let logger: Logger
    var description: String { "store-commit" }

    func run() async throws {
        try await runUntilShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask(executorPreference: EventLoopTaskExecutor(pipeline.eventLoop)) { try await commitLoop() }
                // Beside the commits, not between them: a roll converts a whole segment, and acks
                // must not wait for it (the broker stops delivering at the prefetch limit). So the
                // commits sync without rolling a full segment, and this task rolls it.
                group.addTask { try await rollLoop() }
                try await group.waitForAll()
            }
        }
    }

    /// Rolls the log into Parquet when its open segment is full (checked every second) and at
    /// least every 5 minutes.
    private func rollLoop() async throws {
        var lastRoll = clock.now()
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(1))
            let now = clock.now()
            guard store.isOpenSegmentFull || now - lastRoll >= 300 * Time.nanosPerSecond else { continue }
            try await Blocking.run { try store.flush() }
            lastRoll = now
        }
    }

    private func commitLoop() async throws {
        while !Task.isCancelled {
            try await pipeline.eventLoop.sleep(for: BrokerLink.commitInterval)
            // Checkpoints taken before this sync are written after it: a checkpoint is only ever as
            // new as the durable events it summarises. The broker's deliveries are acked after it.
            let due = await pipeline.takeCheckpoints()
            let sync = { _ = try await pipeline.sync(rollingWhenFull: false) }
            if let broker { try await broker.acknowledgeIngested(after: sync) } else { try await sync() }
            if !due.isEmpty {
                let checkpoints = self.checkpoints
                do {
                    try await Blocking.run { for checkpoint in due { try checkpoints.write(checkpoint) } }
                } catch {
                    logger.error("cannot write engine checkpoints", metadata: ["error": .string("\(error)")])
                }
            }
            await writeDeadLetters()
        }
    }

    private func writeDeadLetters() async {
        let letters = await pipeline.takeDeadLetters()
        for letter in letters where letter.logIndividually {
            logger.warning(
                "malformed message dead-lettered",
                metadata: [
                    "error": .string(letter.error.description), "trace_id": .string(letter.error.traceId ?? "-"),
                    "source": .string(letter.source),
                ])
        }
        guard !letters.isEmpty else { return }
        let directory = store.layout.deadLetterDirectory
        let (records, day) = (letters.map(\.record), letters[0].receivedAt)
        do {
            try await Blocking.run { try DeadLetterFile.append(records, day: day, directory: directory) }
        } catch {
            logger.error("cannot write dead letters", metadata: ["error": .string("\(error)"), "count": .stringConvertible(letters.count)])
        }
    }
}

/// Hourly (and at start): deletes raw partitions and engine checkpoints older than the retention
/// period, and merges the small files of days that no longer grow.
struct HousekeepingService: Service, CustomStringConvertible {
    let store: RawStore
    let checkpoints: CheckpointStore
    let retentionDays: Int
    /// The symbols whose files this instance manages (nil: all; a shard: its own).
    let symbols: Set<String>?
    let clock: any WallClock
    let logger: Logger
    var description: String { "retention-and-compaction" }

    func run() async throws {
        try await runUntilShutdown {
            let retention = try Retention(layout: store.layout, days: retentionDays)
            while !Task.isCancelled {
                try await pass(retention)
                try await Task.sleep(for: .seconds(3600))
            }
        }
    }

    private func pass(_ retention: Retention) async throws {
        let now = clock.now()
        let store = self.store
        // Listing, counting and deleting files: on NIO's blocking pool, not the cooperative one.
        let (expired, removed) = try await Blocking.run { () throws -> ([Retention.Partition], Retention.Summary) in
            let symbols = self.symbols
            let expired = try retention.expired(now: now).filter { symbols?.contains($0.symbol) ?? true }
            guard !expired.isEmpty else { return ([], Retention.Summary()) }
            // Counted before deleting: the log is the only trace of what went (e.g. an old import).
            let removed = retention.summary(of: expired, format: store.format)
            try retention.apply(.delete, to: expired)
            return (expired, removed)
        }
        if !expired.isEmpty {
            logger.notice(
                "retention deleted expired partitions",
                metadata: [
                    "partitions": .stringConvertible(removed.partitions), "days": .stringConvertible(removed.dates.count),
                    "from": .string(removed.dates.first ?? "-"), "to": .string(removed.dates.last ?? "-"),
                    "events": .stringConvertible(removed.events), "rows": .stringConvertible(removed.rows),
                    "unreadable_files": .stringConvertible(removed.unreadableFiles),
                    "retention_days": .stringConvertible(retentionDays), "summary": .string(removed.description),
                ])
        }
        // Engine checkpoints go with their day (a checkpoint of a deleted day would start replays
        // whose events are gone).
        let firstKept = Time.formatDate(Retention.firstKeptDay(now: now, days: retentionDays) * Time.nanosPerDay)
        let checkpoints = self.checkpoints
        let removedCheckpoints = try await Blocking.run { [symbols] in
            try checkpoints.removeDays(before: firstKept, symbols: symbols)
        }
        if removedCheckpoints > 0 {
            logger.notice(
                "retention deleted engine checkpoints",
                metadata: [
                    "files": .stringConvertible(removedCheckpoints), "before": .string(firstKept),
                ])
        }
        // Yesterday's and older partitions no longer grow: merge their small files.
        let today = Time.formatDate(now)
        let report = try await Blocking.runCancellable { isCancelled in
            try store.compact(before: today, symbols: symbols, isCancelled: isCancelled)
        }
        if report.partitions > 0 {
            logger.info(
                "compacted partitions",
                metadata: [
                    "partitions": .stringConvertible(report.partitions), "files": .stringConvertible(report.filesMerged),
                ])
        }
    }
}

/// Runs `body` until it ends or the service group shuts down (then it is cancelled); a
/// cancellation is the normal end of a loop, not a failure.
func runUntilShutdown(_ body: @escaping @Sendable () async throws -> Void) async throws {
    try await cancelWhenGracefulShutdown {
        do { try await body() } catch is CancellationError {}
    }
}
