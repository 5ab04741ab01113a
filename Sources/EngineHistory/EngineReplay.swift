public import FeatureEngine
public import MarketData
public import RawStore

/// The one replay of stored history into the engine (features.md §6). Start-up, registry
/// reloads, dataset builds, quality rebuilds and offline rebuilds all open their events here:
/// from the latest trusted checkpoint at or before (first T needed − W), so a replay costs its
/// own period, not the whole history; with no usable checkpoint, from the first stored event.
public enum EngineReplay {
    /// Where a replay starts.
    public struct Start {
        /// The stored events after the checkpoint (or all of them), in `(recv_ts, seq)` order.
        public var events: StoreReplay
        /// The checkpoint to restore first, if one was usable.
        public var checkpoint: EngineCheckpoint?
        /// Checkpoint files passed over (torn, edited, foreign version), with why.
        public var skipped: [(path: String, why: CheckpointRejection)]
    }

    /// Opens the events of `symbol` that a replay needs so that the state as of every
    /// T >= `firstNeeded` (and the windows of a registry whose lookback is `lookback`) is what a
    /// replay from the first stored event gives. Restore ``Start/checkpoint`` into the engine
    /// (``FeatureEngine/restore(_:)``) before applying ``Start/events``.
    /// `fields`: ``ReplayFields/engineInputs`` when the events go into an engine only.
    public static func open(
        store: RawStore, checkpoints: CheckpointStore?, symbol: String, firstNeeded: Nanos, lookback: Nanos,
        to: Nanos = .max, fields: ReplayFields = .all
    ) throws -> Start {
        var checkpoint: EngineCheckpoint?
        var skipped: [(path: String, why: CheckpointRejection)] = []
        if let checkpoints, firstNeeded > .min + lookback {
            let found = try checkpoints.latest(symbol: symbol, atOrBefore: firstNeeded - lookback)
            checkpoint = found.checkpoint
            skipped = found.skipped.map { (path: $0.0, why: $0.1) }
        }
        let from = checkpoint.map { $0.at + 1 } ?? .min
        return Start(
            events: try store.replay(symbol: symbol, from: from, to: to, fields: fields), checkpoint: checkpoint, skipped: skipped)
    }

    /// What a replay read.
    public struct Stats: Sendable {
        public var events = 0
        public var vectors = 0
        /// The instant of the checkpoint it started from (nil: the first stored event).
        public var startedFrom: Nanos?
        public var skippedCheckpoints = 0
        public init() {}
    }

    /// Emits the grid vectors of `symbol` with `from <= ts < to`, in time order.
    @discardableResult
    public static func vectors(
        store: RawStore, checkpoints: CheckpointStore?, symbol: String, registry: FeatureRegistry,
        from: Nanos, to: Nanos, gridStep: Nanos = Time.nanosPerSecond, progress: ((Nanos) -> Void)? = nil,
        emit: (FeatureVector) throws -> Void
    ) throws -> Stats {
        var stats = Stats()
        let start = try open(
            store: store, checkpoints: checkpoints, symbol: symbol, firstNeeded: from, lookback: registry.lookback,
            fields: .engineInputs)
        stats.startedFrom = start.checkpoint?.at
        stats.skippedCheckpoints = start.skipped.count
        var engine = FeatureEngine(registry: registry, gridStep: gridStep)
        if let checkpoint = start.checkpoint { engine.restore(checkpoint) }
        var failure: (any Error)?
        // Parquet decoding on a second core, ahead of the engine; one event's storage reused.
        var events = start.events
        events.readAhead()
        var event = StoreReplay.emptyEvent(symbol: symbol)
        while try events.next(into: &event) {
            stats.events += 1
            engine.apply(event) { vector in
                guard failure == nil, vector.ts >= from, vector.ts < to else { return }
                do { try emit(vector); stats.vectors += 1 } catch { failure = error }
            }
            if let failure { throw failure }
            // Every grid point before `to` is closed once an event at or after `to` is read.
            if event.recvTs >= to { break }
            if stats.events % 1_000_000 == 0 { progress?(event.recvTs) }
        }
        return stats
    }

    /// Brings `symbol` in `engine` to the state a live engine has at `now`: the latest
    /// checkpoint at or before `now - W`, then every later stored event, no vector computed.
    @discardableResult
    /// `throughSeq`: stop after the event with this `seq` (a reload's catch-up applies the rest).
    public static func warm(
        _ engine: inout FeatureEngine, store: RawStore, checkpoints: CheckpointStore?, symbol: String,
        now: Nanos, throughSeq: Int64 = .max, isCancelled: () -> Bool = { false }
    ) throws -> Stats {
        var stats = Stats()
        let start = try open(
            store: store, checkpoints: checkpoints, symbol: symbol, firstNeeded: now,
            lookback: engine.plan.registry.lookback, fields: .engineInputs)
        stats.startedFrom = start.checkpoint?.at
        stats.skippedCheckpoints = start.skipped.count
        if let checkpoint = start.checkpoint { engine.restore(checkpoint) }
        var events = start.events
        events.readAhead()
        var event = StoreReplay.emptyEvent(symbol: symbol)
        while try events.next(into: &event), event.seq <= throughSeq {
            engine.apply(event)
            stats.events += 1
            if stats.events % 65_536 == 0, isCancelled() { break }
        }
        return stats
    }
}

extension FeatureRegistry {
    /// A registry whose engine keeps only the registry-independent state (the book without
    /// change tracking, perpetual and position values): what writing checkpoints needs.
    public static let stateOnly: FeatureRegistry = {
        let positionSize = FeatureDefinition(name: "position_size", kind: .positionSize)
        do { return try FeatureRegistry(version: "state-only", features: [positionSize]) } catch {
            preconditionFailure("the state-only registry is valid: \(error)")
        }
    }()
}

/// Writes checkpoints on the `recv_ts` cadence while events are applied to a state-only
/// engine (`import`, `checkpoints rebuild`). Not for the live path, which takes them from its
/// own engine and writes them off its actor.
public struct CheckpointWriter {
    public let store: CheckpointStore
    private var engine = FeatureEngine(registry: .stateOnly)
    private var cadence: CheckpointCadence
    public private(set) var written = 0

    public init(store: CheckpointStore, every: Nanos = CheckpointCadence.defaultEvery) {
        self.store = store
        cadence = CheckpointCadence(every: every)
    }

    /// Starts a symbol from a checkpoint (so that its later checkpoints continue its state).
    public mutating func restore(_ checkpoint: EngineCheckpoint) { engine.restore(checkpoint) }

    /// Applies one event, first writing the checkpoint that falls due before it (when
    /// `write` allows instants in its range).
    public mutating func apply(_ event: MarketEvent, writeIf shouldWrite: (Nanos) -> Bool = { _ in true }) throws {
        let last = engine.state(of: event.symbol).flatMap { $0.eventCount > 0 ? $0.lastRecvTs : nil }
        if let instant = cadence.due(before: event, lastApplied: last), shouldWrite(instant),
            let checkpoint = engine.checkpoint(of: event.symbol, at: instant)
        {
            try store.write(checkpoint)
            written += 1
        }
        engine.apply(event)
    }
}

/// `feature-service checkpoints rebuild`, and `import` after it stored a recording: the
/// checkpoints of a symbol's stored events in `[from, to)`, continuing the state from the
/// latest trusted checkpoint at or before `from` (or from the first stored event).
public enum CheckpointRebuild {
    public struct Summary: Sendable {
        public var written = 0
        public var events = 0
        public var startedFrom: Nanos?
    }

    @discardableResult
    public static func run(
        store: RawStore, checkpoints: CheckpointStore, symbol: String, from: Nanos = .min, to: Nanos = .max,
        every: Nanos = CheckpointCadence.defaultEvery
    ) throws -> Summary {
        var summary = Summary()
        var start = try EngineReplay.open(
            store: store, checkpoints: checkpoints, symbol: symbol, firstNeeded: from, lookback: 0, fields: .engineInputs)
        var writer = CheckpointWriter(store: checkpoints, every: every)
        if let checkpoint = start.checkpoint { writer.restore(checkpoint) }
        summary.startedFrom = start.checkpoint?.at
        let after = start.checkpoint?.at ?? .min
        while let event = try start.events.next() {
            if event.recvTs > to { break }
            try writer.apply(event) { instant in instant >= from && instant < to && instant > after }
            summary.events += 1
        }
        summary.written = writer.written
        return summary
    }
}
