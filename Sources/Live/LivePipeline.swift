public import AMQP
import EngineHistory
public import FeatureEngine
import Foundation
public import MarketData
public import NIOCore
public import NIOPosix
public import OrderBook
public import Prometheus
public import Quality
public import RawStore
import ServiceRuntime

/// The online path: message bodies in (from the broker, `POST /ingest`, a replay at pace or
/// the simulated feed), feature vectors out.
///
/// For each message: decode (malformed bodies are counted and dead-lettered, never fatal),
/// drop redelivered duplicates, stamp `recv_ts`/`seq`, append to the raw store's log, apply
/// to the engine, and queue vectors for `features.live`: one per symbol at every 1 s grid
/// point the clock passes, and optionally one per book update (throttled). The caller acks
/// a message only after ``sync()`` covers it (the store's durability point).
public actor LivePipeline {
    public struct Configuration: Sendable {
        public var registry: FeatureRegistry
        /// Only these symbols (nil: all). Several instances split the symbols this way.
        public var symbols: Set<String>?
        /// Also publish a vector on every book update, at most once per this interval per symbol (nil: off).
        public var bookUpdateThrottle: Nanos?
        public init(registry: FeatureRegistry, symbols: Set<String>? = nil, bookUpdateThrottle: Nanos? = nil) {
            self.registry = registry
            self.symbols = symbols
            self.bookUpdateThrottle = bookUpdateThrottle
        }
    }

    /// What happened to one message body.
    public enum Outcome: Sendable, Equatable {
        /// Accepted: `events` new events (after duplicates and foreign symbols were dropped).
        case accepted(events: Int)
        case malformed(DecodeError)
    }

    /// Counters for metrics and health.
    public struct Counters: Sendable {
        public var eventsByType: [EventType: Int] = [:]
        public var malformed = 0
        public var duplicates = 0
        public var otherSymbols = 0
        public var desyncs = 0
        public var outOfOrder = 0
        public var vectorsPublished = 0
        /// Vectors the publication buffer dropped (the publisher fell more than 100,000 behind).
        public var vectorsDropped = 0
        public var lastEventAt: [String: Nanos] = [:]
    }

    /// A vector ready for `features.live`, with the trace id of the message that triggered it.
    public struct Publication: Sendable {
        public var vector: FeatureVector
        public var traceId: String?
        /// The update that triggered it (book-update vectors): the gateway's receipt of it, when
        /// the message says (`received_at`), and the service's (its `recv_ts`); nil for grid vectors.
        public var trigger: Nanos?
        public var received: Nanos?
        /// The message encoder of the registry whose engine computed the vector (its names and
        /// version): a vector still queued when a reload swaps the registry keeps its own labels.
        public var encoder: FeatureMessage.Encoder
        /// The feature names of the vector's registry.
        public var names: [String] { encoder.names }
        /// The version of the vector's registry.
        public var registryVersion: String { encoder.registryVersion }

        public init(
            vector: FeatureVector, traceId: String?, trigger: Nanos?, received: Nanos?, encoder: FeatureMessage.Encoder
        ) {
            self.vector = vector
            self.traceId = traceId
            self.trigger = trigger
            self.received = received
            self.encoder = encoder
        }
    }

    public private(set) var configuration: Configuration
    private var engine: FeatureEngine
    /// The engine's registry's message encoder (its names and version, with their JSON prepared
    /// once per registry), shared by every publication.
    private var encoder: FeatureMessage.Encoder
    private var stamper = Stamper()
    private var filter = DuplicateFilter()
    /// The raw store (thread-safe): its `sync()` is the durability point, callable without
    /// waiting for the pipeline's actor.
    public nonisolated let store: RawStore?
    /// Vectors to publish, in order (the newest 100,000 when the publisher falls behind), taken in
    /// batches by the publisher.
    public nonisolated let publications = Outbox<Publication>(limit: 100_000)
    public private(set) var counters = Counters()
    private var lastBookPublication: [String: Nanos] = [:]
    private var lastClosedGrid: Nanos = .min
    private var desyncedSince: [String: Nanos] = [:]
    /// Detection-to-restore times of book resyncs, ns (for metrics).
    public private(set) var resyncDurations: [Nanos] = []
    private var deadLetters = DeadLetterBox()
    /// Events applied since a reload began (nil: no reload running), for its catch-up.
    private var reloadBuffer: [MarketEvent]?
    /// Checkpoints are taken on this `recv_ts` cadence when there is a store to keep them.
    private var cadence = CheckpointCadence()
    private var dueCheckpoints: [EngineCheckpoint] = []
    /// Symbols whose book went out of sync and want a fresh snapshot.
    private var resyncWanted: Set<String> = []
    /// Data-quality counters of live events (not of the warm-start replay: those minutes were
    /// counted when they arrived).
    private var quality = QualityTracker()
    /// The last position state of each symbol and when it arrived (any source).
    private var lastPositions: [String: (PositionUpdate, Nanos)] = [:]

    /// The live path's figures in the service's Prometheus registry.
    private let metrics: LiveMetrics

    /// The thread the pipeline runs on. The live path puts its broker connections and the tasks
    /// that consume and publish on the same event loop: batches go from socket to engine to socket
    /// queued on one thread, with no wake-up of another (on a machine shared with the broker, each
    /// of those was a context switch per batch).
    public nonisolated let eventLoop: any EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { eventLoop.executor.asUnownedSerialExecutor() }

    /// - Parameters:
    ///   - store: where raw events go (nil for a pipeline without storage, e.g. tests).
    ///   - metrics: where its counters go (by default a registry of its own).
    ///   - eventLoop: the thread the actor runs on (by default one of NIO's shared loops).
    public init(
        configuration: Configuration, store: RawStore?, metrics: LiveMetrics = LiveMetrics(registry: PrometheusCollectorRegistry()),
        eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()
    ) throws {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.store = store
        self.metrics = metrics
        engine = FeatureEngine(registry: configuration.registry, readsBetweenGridPoints: true)
        encoder = FeatureMessage.Encoder(names: configuration.registry.names, registryVersion: configuration.registry.version)
        if let store {
            let points = try store.sequencePoints()
            stamper = Stamper(lastRecvTs: points.mapValues(\.recvTs), lastSeq: points.mapValues(\.seq))
            for event in try store.recentEvents() { filter.remember(event) }
        }
    }

    /// Processes one message body received at `now` (ns, the service clock). A body that cannot
    /// be decoded is counted and kept as a dead letter (within the daily bounds), never fatal.
    @discardableResult
    public func ingest(_ body: some Collection<UInt8>, receivedAt now: Nanos, source: String = "broker") -> Outcome {
        ingest(EnvelopeDecoder.decodeResult(body), body: body, receivedAt: now, source: source)
    }

    /// Processes a message body the caller already decoded (the broker's consumer tasks decode
    /// outside this actor); `body` is kept as a dead letter when `decoded` failed.
    @discardableResult
    public func ingest(
        _ decoded: Result<DecodedMessage, DecodeError>, body: some Collection<UInt8>, receivedAt now: Nanos, source: String = "broker"
    ) -> Outcome {
        switch decoded {
        case .success(let message):
            // A message for a symbol this instance does not own (a shard behind stale queue
            // bindings) is not silently dropped: its body is kept with the dead letters.
            if let owned = configuration.symbols, let foreign = message.events.first(where: { !owned.contains($0.symbol) }) {
                let error = DecodeError(
                    field: "symbol", problem: "\(foreign.symbol) is not one of this instance's symbols", traceId: message.traceId)
                countLetter(deadLetters.add(error, body: body, at: now, source: source, logIndividually: true))
            }
            return ingest(events: message.events, receivedAt: now)
        case .failure(let error):
            counters.malformed += 1
            metrics.malformed.increment()
            countLetter(deadLetters.add(error, body: body, at: now, source: source, logIndividually: true))
            return .malformed(error)
        }
    }

    /// A message body from the broker, decoded off the pipeline's actor, and when it arrived.
    public struct Received: Sendable {
        public var decoded: Result<DecodedMessage, DecodeError>
        public var body: [UInt8]
        public var at: Nanos
        public init(decoded: Result<DecodedMessage, DecodeError>, body: [UInt8], at: Nanos) {
            self.decoded = decoded
            self.body = body
            self.at = at
        }
    }

    /// Processes the broker's messages that arrived together, in order: one call, one actor hop.
    public func ingest(_ received: [Received], source: String = "broker") {
        for message in received { ingest(message.decoded, body: message.body, receivedAt: message.at, source: source) }
    }

    /// What a batch of lines did: events accepted, lines refused, and the first few errors.
    public struct BatchOutcome: Sendable {
        public var acceptedEvents = 0
        public var malformedLines = 0
        /// (index in the batch, error) of the first `reportLimit` malformed lines.
        public var errors: [(index: Int, error: DecodeError)] = []
        public var deadLettersKept = 0
    }

    /// Processes a batch of message bodies in one call (`POST /ingest`): malformed ones are
    /// counted; the first `reportLimit` errors are returned and at most `deadLetterLimit`
    /// bodies are kept as dead letters (the rest only counted), so that the cost of a request
    /// is bounded whatever it holds. Dead letters of a batch are not logged one by one: the
    /// caller logs one line for the request.
    /// A body with a `refused` error (a line over the length limit) is malformed without decoding.
    public func ingest(
        batch: [(body: ArraySlice<UInt8>, refused: DecodeError?)], receivedAt now: Nanos, reportLimit: Int,
        deadLetterLimit: Int, source: String
    ) -> BatchOutcome {
        var outcome = BatchOutcome()
        for (index, (body, refused)) in batch.enumerated() {
            let message: DecodedMessage
            do throws(DecodeError) {
                if let refused { throw refused }
                message = try EnvelopeDecoder.decode(body)
            } catch {
                counters.malformed += 1
                metrics.malformed.increment()
                outcome.malformedLines += 1
                if outcome.errors.count < reportLimit { outcome.errors.append((index, error)) }
                if outcome.deadLettersKept < deadLetterLimit {
                    let kept = deadLetters.add(error, body: body, at: now, source: source, logIndividually: false)
                    countLetter(kept)
                    if kept { outcome.deadLettersKept += 1 }
                } else {
                    deadLetters.countDropped()
                    countLetter(false)
                }
                continue
            }
            if case .accepted(let events) = ingest(events: message.events, receivedAt: now) { outcome.acceptedEvents += events }
        }
        return outcome
    }

    /// Processes events that did not come as a message body (the position manager's REST
    /// answers): stamped, stored and applied exactly like decoded ones.
    @discardableResult
    public func ingest(events: [UnstampedEvent], receivedAt now: Nanos) -> Outcome {
        var accepted: [MarketEvent] = []
        for event in events {
            if let symbols = configuration.symbols, !symbols.contains(event.symbol) { counters.otherSymbols += 1; continue }
            if filter.isDuplicate(event) {
                counters.duplicates += 1
                metrics.duplicates.increment()
                continue
            }
            stamper.floor = lastClosedGrid
            accepted.append(stamper.stamp(event, at: now))
        }
        guard !accepted.isEmpty else { return .accepted(events: 0) }
        store?.append(accepted)
        engine.emitFrom = now - Self.lateLimit
        for event in accepted { apply(event) }
        return .accepted(events: accepted.count)
    }

    private func apply(_ event: MarketEvent) {
        if store != nil, let instant = cadence.due(before: event, lastApplied: engine.lastEventTime(of: event.symbol)),
            let checkpoint = engine.checkpoint(of: event.symbol, at: instant)
        {
            dueCheckpoints.append(checkpoint)
        }
        reloadBuffer?.append(event)
        var grid: [FeatureVector] = []
        let outcome = engine.apply(event) { grid.append($0) }
        for vector in grid { publish(vector, traceId: event.traceId, trigger: nil, received: nil) }
        if case .applied(let book) = outcome { quality.observe(event, book: book) } else { quality.observe(event) }
        counters.eventsByType[event.type, default: 0] += 1
        metrics.eventsByType[event.type]?.increment()
        counters.lastEventAt[event.symbol] = event.recvTs
        if case .position(let position) = event.body { lastPositions[event.symbol] = (position, event.recvTs) }
        switch outcome {
        case .outOfOrder: counters.outOfOrder += 1
        case .applied(let book?):
            switch book {
            case .desynced:
                counters.desyncs += 1
                metrics.desyncs.increment()
                if desyncedSince[event.symbol] == nil { desyncedSince[event.symbol] = event.recvTs }
                resyncWanted.insert(event.symbol)
            case .snapshot:
                if let since = desyncedSince.removeValue(forKey: event.symbol) {
                    resyncDurations.append(event.recvTs - since)
                    metrics.resyncs.increment()
                    metrics.resyncSeconds.record(Double(event.recvTs - since) / 1e9)
                }
                publishBookUpdate(event)
            case .applied:
                publishBookUpdate(event)
            case .ignoredWhileOutOfSync:
                break
            }
        case .applied(nil): break
        }
    }

    private func publishBookUpdate(_ event: MarketEvent) {
        guard let throttle = configuration.bookUpdateThrottle else { return }
        if let last = lastBookPublication[event.symbol], event.recvTs - last < throttle { return }
        lastBookPublication[event.symbol] = event.recvTs
        if let vector = engine.vector(for: event.symbol, at: event.recvTs) {
            publish(vector, traceId: event.traceId, trigger: event.gatewayTs, received: event.recvTs)
        }
    }

    private func publish(_ vector: FeatureVector, traceId: String?, trigger: Nanos?, received: Nanos?) {
        counters.vectorsPublished += 1
        metrics.vectorsPublished.increment()
        // The buffer keeps the newest 100,000: a publisher that falls that far behind loses the
        // oldest, and the loss is counted, not silent.
        let publication = Publication(
            vector: vector, traceId: traceId, trigger: trigger, received: received, encoder: encoder)
        if !publications.push(publication) {
            counters.vectorsDropped += 1
            metrics.vectorsDropped.increment()
        }
    }

    /// Grid points the clock passed longer ago than this (after a restart, or a stall) are closed
    /// without being computed or published: late vectors are of no use to a live consumer, and
    /// catching up costs nothing however long the downtime was. Offline rebuilds compute them all.
    public static let lateLimit: Nanos = 10 * Time.nanosPerSecond

    /// The clock passed `now`: publish every symbol's grid vectors for grid points `< now`.
    /// Events stamped afterwards get a later `recv_ts` (see `Stamper.floor`).
    public func tick(now: Nanos) {
        let through = Time.floorDiv(now - 1, Time.nanosPerSecond) * Time.nanosPerSecond
        guard through > lastClosedGrid else { return }
        lastClosedGrid = through
        engine.emitFrom = now - Self.lateLimit
        var grid: [FeatureVector] = []
        engine.closeGrid(through: through) { grid.append($0) }
        for vector in grid { publish(vector, traceId: nil, trigger: nil, received: nil) }
    }

    /// The durability point for every message ingested so far. The fsync runs on NIO's blocking
    /// pool, straight on the (thread-safe) store: never on this actor or a cooperative thread.
    /// `rollingWhenFull`: see `RawStore.sync(rollingWhenFull:)`.
    @discardableResult
    public nonisolated func sync(rollingWhenFull: Bool = true) async throws -> UInt64 {
        guard let store else { return 0 }
        return try await Blocking.run { try store.sync(rollingWhenFull: rollingWhenFull) }
    }

    /// The vector of `symbol` computed from the live state at `now`, or nil for an unknown symbol.
    public func latest(symbol: String, now: Nanos) -> FeatureVector? {
        engine.vector(for: symbol, at: now)
    }

    /// Symbols seen so far.
    public var symbols: [String] { engine.symbolNames }

    private func countLetter(_ kept: Bool) {
        if kept { metrics.deadLettersKept.increment() } else { metrics.deadLettersDropped.increment() }
    }

    /// Sets the gauges that are read rather than counted (seconds since each symbol's last event) to their value at `now`.
    public func updateGauges(now: Nanos) {
        for (symbol, last) in counters.lastEventAt { metrics.lastEventAge(symbol: symbol).set(to: Double(now - last) / 1e9) }
    }

    /// Malformed bodies not yet written to the dead-letter file; clears the list.
    public func takeDeadLetters() -> [DeadLetterBox.Letter] { deadLetters.take() }

    /// Dead letters kept and refused by the bounds since start (for metrics).
    public var deadLetterCounts: (kept: Int, dropped: Int) { (deadLetters.kept, deadLetters.dropped) }

    /// What a reload did.
    public struct ReloadStats: Sendable {
        /// Events replayed from the store, and applied from the catch-up buffer.
        public var replayed = 0
        public var caughtUp = 0
        /// Symbols that started from a checkpoint, and checkpoint files passed over.
        public var fromCheckpoints = 0
        public var skippedCheckpoints = 0
        public var seconds = 0.0
    }

    /// A reload was asked for while another one runs.
    public struct ReloadInProgress: Error, CustomStringConvertible {
        public var description: String { "a registry reload is already in progress" }
    }

    /// Puts a new registry in force without stopping the live path (features.md §6). A new
    /// engine is built off the actor — from each symbol's latest checkpoint at or before
    /// `now - W`, then the stored events up to what had been stamped when the reload began —
    /// while ingest, acks and ``latest(symbol:now:)`` go on with the old engine; then, on the
    /// actor, it applies the events that arrived meanwhile and takes over atomically. Later
    /// vectors are what an offline rebuild with this registry computes; grid points the old
    /// engine published are not published again.
    @discardableResult
    public func reload(registry: FeatureRegistry, now: Nanos) async throws -> ReloadStats {
        guard reloadBuffer == nil else { throw ReloadInProgress() }
        reloadBuffer = []
        defer { reloadBuffer = nil }
        let marks = stamper.lastSequences
        let owned = configuration.symbols
        let store = self.store
        let started = ContinuousClock.now
        var (fresh, stats) = try await Blocking.run { () throws -> (FeatureEngine, ReloadStats) in
            var fresh = FeatureEngine(registry: registry, readsBetweenGridPoints: true)
            var stats = ReloadStats()
            guard let store else { return (fresh, stats) }
            // What was appended before the reload began becomes readable to the replay.
            try store.flush()
            let checkpoints = CheckpointStore(root: store.layout.root)
            for symbol in try store.layout.symbols() where owned?.contains(symbol) ?? true {
                let warmed = try EngineReplay.warm(
                    &fresh, store: store, checkpoints: checkpoints, symbol: symbol, now: now,
                    throughSeq: marks[symbol] ?? 0)
                stats.replayed += warmed.events
                stats.fromCheckpoints += warmed.startedFrom == nil ? 0 : 1
                stats.skippedCheckpoints += warmed.skippedCheckpoints
            }
            return (fresh, stats)
        }
        // Catch up on what arrived while the new engine was built, then take over.
        for event in reloadBuffer ?? [] where event.seq > marks[event.symbol] ?? 0 {
            fresh.apply(event)
            stats.caughtUp += 1
        }
        if lastClosedGrid != .min { fresh.skipGrid(through: lastClosedGrid) }
        engine = fresh
        configuration.registry = registry
        encoder = FeatureMessage.Encoder(names: registry.names, registryVersion: registry.version)
        stats.seconds =
            Double((ContinuousClock.now - started).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - started).components.seconds)
        return stats
    }

    /// Engine checkpoints that fell due (interfaces.md §3), oldest first; clears the list. The
    /// caller writes them once the store's durability point covers the events before them.
    public func takeCheckpoints() -> [EngineCheckpoint] {
        defer { dueCheckpoints.removeAll() }
        return dueCheckpoints
    }

    /// Symbols that need a snapshot now (out of sync and not restored yet); clears the list.
    public func takeResyncRequests() -> [String] {
        defer { resyncWanted.removeAll() }
        return resyncWanted.filter { desyncedSince[$0] != nil }.sorted()
    }

    /// Ends the publication stream.
    public func finish() { publications.finish() }

    /// The last position state applied for `symbol` and its `recv_ts`, nil before any.
    public func lastPosition(symbol: String) -> (position: PositionUpdate, at: Nanos)? {
        lastPositions[symbol].map { (position: $0.0, at: $0.1) }
    }

    /// Data-quality buckets of minutes that ended by `time` (removed: the caller stores them).
    public func takeQualityBuckets(endedBy time: Nanos) -> [String: [QualityBucket]] {
        quality.takeBuckets(endedBy: time)
    }

    /// The best `levels` levels of each side of `symbol`'s book (best first), its sync state and
    /// last update id; nil for an unknown symbol. O(levels): the book is not copied.
    public func bookLevels(
        symbol: String, levels: Int
    ) -> (bids: [PriceLevel], asks: [PriceLevel], state: BookSyncState, lastUpdateId: Int64?)? {
        guard let book = engine.state(of: symbol)?.book else { return nil }
        func best(_ side: BookSide) -> [PriceLevel] {
            (0..<min(levels, side.count)).map { PriceLevel(price: side.price(rank: $0), size: side.size(rank: $0)) }
        }
        return (best(book.bids), best(book.asks), book.state, book.lastUpdateId)
    }

    /// Data-quality buckets not taken yet, for reports that include the current minute.
    public func openQualityBuckets(symbol: String) -> [QualityBucket] {
        quality.openBuckets(symbol: symbol)
    }
}
