import EngineHistory
import Foundation
public import MarketData
public import RawStore

/// `feature-service import`: stores a recording as if it had arrived live — duplicates
/// dropped, events stamped after what the store already holds, written through the log
/// (durable in batches), malformed lines kept in a dead-letter file.
public struct Importer {
    public struct Summary: Sendable, CustomStringConvertible {
        public var lines = 0
        public var stored = 0
        public var duplicates = 0
        public var malformed = 0
        /// Events older than the symbol's last stored event, stamped at that instant instead.
        public var clamped = 0
        public var deadLetterFile: String?
        /// Engine checkpoints written for the stored events.
        public var checkpoints = 0
        /// Stored events per UTC day (days since 1970-01-01): what a retention period would remove.
        public var storedByDay: [Int64: Int] = [:]

        public init() {}

        /// A warning when some stored events are older than a retention period of `retentionDays` at `now`:
        /// `serve` would delete them at start-up without asking. Nil when all are kept.
        public func retentionWarning(retentionDays: Int, now: Nanos) -> String? {
            let firstKept = Retention.firstKeptDay(now: now, days: retentionDays)
            let old = storedByDay.filter { $0.key < firstKept }
            guard let oldest = old.keys.min(), let newest = old.keys.max() else { return nil }
            let events = old.values.reduce(0, +)
            let first = Time.formatDate(oldest * Time.nanosPerDay)
            let last = Time.formatDate(newest * Time.nanosPerDay)
            let span = first == last ? first : "\(first) to \(last)"
            let needed = Retention.daysNeeded(toKeep: oldest, now: now)
            return """
                warning: \(events) of the \(stored) events stored (\(old.count) day\(old.count == 1 ? "" : "s"), \(span)) are older than \
                the retention period of \(retentionDays) days (FEATURE_SERVICE_RETENTION_DAYS): `feature-service serve` \
                deletes them when it starts. To keep them, run serve with FEATURE_SERVICE_RETENTION_DAYS=\(needed) or more \
                (as of today; one more each day).
                """
        }

        public var description: String {
            var out = "import summary: \(lines) lines, \(stored) events stored, \(duplicates) duplicates dropped, \(malformed) malformed"
            if clamped > 0 { out += ", \(clamped) events older than stored data stamped at the last stored instant" }
            if checkpoints > 0 { out += ", \(checkpoints) engine checkpoints written" }
            if let deadLetterFile { out += "\nmalformed lines kept in \(deadLetterFile)" }
            return out
        }
    }

    /// Imports `input` into `store`, syncing every `batch` events; `onDurable` receives the
    /// number of events durable so far after each sync (the crash test listens to it).
    public static func run(input: String, store: RawStore, batch: Int = 10_000, onDurable: (Int) -> Void = { _ in }) throws -> Summary {
        var summary = Summary()
        let recording = try Recording.load(path: input, keepMalformedBodies: true)
        summary.lines = recording.lineCount
        summary.malformed = recording.malformed.count
        if !recording.malformed.isEmpty {
            summary.deadLetterFile = try DeadLetterFile.write(
                recording.malformed.map { ($0.line, $0.error, recording.malformedBodies[$0.line] ?? []) },
                directory: store.layout.deadLetterDirectory, source: input)
        }
        // Duplicates are judged against what the store already holds over the recording's
        // time span (so importing a file twice stores it once) and within the file itself.
        var spans: [String: ClosedRange<Nanos>] = [:]
        for event in recording.events {
            let span = spans[event.symbol] ?? event.recvTs...event.recvTs
            spans[event.symbol] = min(span.lowerBound, event.recvTs)...max(span.upperBound, event.recvTs)
        }
        var stored: [MarketEvent] = try store.recentEvents()
        for (symbol, span) in spans {
            var replay = try store.replay(symbol: symbol, from: span.lowerBound, to: span.upperBound + 1)
            while let event = try replay.next() { stored.append(event) }
        }
        var filter = DuplicateFilter(capacity: max(200_000, stored.count + recording.events.count))
        for event in stored { filter.remember(event) }
        let points = try store.sequencePoints()
        var stamper = Stamper(lastRecvTs: points.mapValues(\.recvTs), lastSeq: points.mapValues(\.seq))
        var pending: [MarketEvent] = []
        pending.reserveCapacity(batch)
        for event in recording.events {
            let unstamped = UnstampedEvent(
                symbol: event.symbol, exchTsMs: event.exchTsMs, gatewayTs: event.gatewayTs,
                traceId: event.traceId, body: event.body)
            if filter.isDuplicate(unstamped) { summary.duplicates += 1; continue }
            let stamped = stamper.stamp(unstamped, at: event.recvTs)
            if stamped.recvTs != event.recvTs { summary.clamped += 1 }
            summary.storedByDay[Time.floorDiv(stamped.recvTs, Time.nanosPerDay), default: 0] += 1
            pending.append(stamped)
            if pending.count >= batch {
                store.append(pending)
                try store.sync()
                summary.stored += pending.count
                pending.removeAll(keepingCapacity: true)
                onDurable(summary.stored)
            }
        }
        if !pending.isEmpty {
            store.append(pending)
            try store.sync()
            summary.stored += pending.count
            onDurable(summary.stored)
        }
        try store.flush()
        // Engine checkpoints over what was stored, so that replays of this history start near
        // where they are needed (features.md §6).
        let checkpoints = CheckpointStore(root: store.layout.root)
        for (symbol, span) in spans.sorted(by: { $0.key < $1.key }) {
            summary.checkpoints += try CheckpointRebuild.run(store: store, checkpoints: checkpoints, symbol: symbol, from: span.lowerBound)
                .written
        }
        return summary
    }
}
