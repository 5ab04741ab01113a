public import MarketData
public import OrderBook

/// The per-symbol engines and the 1 s grid clock (features.md §1).
///
/// Offline, grid point G of a symbol is closed when that symbol's first event with
/// `recvTs > G` is read: ``apply(_:emit:)`` emits the vectors of every grid point it closes,
/// then applies the event. Online, the clock closes grid points as time passes
/// (``closeGrid(through:emit:)``) and the stamper keeps later events after them. Either way
/// the vector at G is `values(at: G)` of the state with exactly the events `recvTs <= G`.
public struct FeatureEngine: Sendable {
    public let plan: FeaturePlan
    /// Emit grid vectors only at multiples of this (1 s by default; `--every`).
    public let gridStep: Nanos
    /// One track per symbol, found through `slots`; the last symbol looked up is remembered, so
    /// that a run of one symbol's events (every replay) costs no hashing per event.
    private var tracks: [Track] = []
    private var slots: [String: Int] = [:]
    private var lastLookup: (symbol: String, slot: Int)?

    struct Track: Sendable {
        var state: SymbolFeatureState
        /// Every grid point <= this has been emitted (or was before the first event).
        var lastClosed: Nanos
    }

    /// What happened to an event.
    public enum Outcome: Sendable, Equatable {
        case applied(BookApplyOutcome?)
        /// The event was older than the symbol's last one and was not applied.
        case outOfOrder
    }

    public init(plan: FeaturePlan, gridStep: Nanos = Time.nanosPerSecond) {
        precondition(gridStep > 0 && gridStep % Time.nanosPerSecond == 0, "grid step must be a whole number of seconds")
        self.plan = plan
        self.gridStep = gridStep
    }

    /// An engine for `registry`; `readsBetweenGridPoints` for the live path, which also reads
    /// vectors on book updates and requests (see ``FeaturePlan/readsBetweenGridPoints``).
    public init(registry: FeatureRegistry, gridStep: Nanos = Time.nanosPerSecond, readsBetweenGridPoints: Bool = false) {
        var plan = FeaturePlan(registry: registry)
        plan.readsBetweenGridPoints = readsBetweenGridPoints
        self.init(plan: plan, gridStep: gridStep)
    }

    /// Symbols seen so far, sorted.
    public var symbolNames: [String] { slots.keys.sorted() }

    /// The state of one symbol, if seen.
    public func state(of symbol: String) -> SymbolFeatureState? { track(of: symbol)?.state }

    private func track(of symbol: String) -> Track? { slots[symbol].map { tracks[$0] } }

    /// The slot of `symbol`'s track, made with `make` when the symbol is new.
    private mutating func slot(of symbol: String, make: () -> Track) -> Int {
        if let last = lastLookup, last.symbol == symbol { return last.slot }
        let slot: Int
        if let found = slots[symbol] {
            slot = found
        } else {
            slot = tracks.count
            tracks.append(make())
            slots[symbol] = slot
        }
        lastLookup = (symbol, slot)
        return slot
    }

    /// Grid points before this instant are closed without computing their vectors (online:
    /// points the clock passed long ago, e.g. after a restart, are not worth publishing late).
    /// Offline it stays `.min`: every grid point is computed.
    public var emitFrom: Nanos = .min

    /// Closes the symbol's grid points before the event, emitting their vectors, then applies it.
    @discardableResult
    public mutating func apply(_ event: MarketEvent, emit: (FeatureVector) -> Void) -> Outcome {
        apply(event, compute: true, emit: emit)
    }

    /// Applies an event, closing the grid points before it without computing their vectors
    /// (replays that only rebuild state).
    @discardableResult
    public mutating func apply(_ event: MarketEvent) -> Outcome {
        apply(event, compute: false, emit: { _ in })
    }

    private mutating func apply(_ event: MarketEvent, compute: Bool, emit: (FeatureVector) -> Void) -> Outcome {
        let plan = self.plan
        let step = gridStep
        let quietLimit = plan.registry.quietLimit
        let emitFrom = self.emitFrom
        let slot = slot(of: event.symbol) {
            // The first grid point is the first multiple of the step at or after the first event.
            Track(state: SymbolFeatureState(plan: plan), lastClosed: Time.floorDiv(event.recvTs - 1, step) * step)
        }
        guard event.recvTs >= tracks[slot].state.lastRecvTs else { return .outOfOrder }
        Self.close(
            &tracks[slot], symbol: event.symbol, before: event.recvTs, step: step, quietLimit: quietLimit,
            emitFrom: compute ? emitFrom : .max, emit: emit)
        return .applied(tracks[slot].state.apply(event))
    }

    /// Online: closes every symbol's grid points `<= instant`, emitting their vectors.
    /// Afterwards events must be stamped `> instant` (see `Stamper.floor`).
    public mutating func closeGrid(through instant: Nanos, emit: (FeatureVector) -> Void) {
        let quietLimit = plan.registry.quietLimit
        let emitFrom = self.emitFrom
        for (symbol, slot) in slots.sorted(by: { $0.key < $1.key }) {
            Self.close(
                &tracks[slot], symbol: symbol, before: instant + 1, step: gridStep, quietLimit: quietLimit, emitFrom: emitFrom,
                emit: emit)
        }
    }

    /// The `recv_ts` of the symbol's last applied event, nil before any.
    public func lastEventTime(of symbol: String) -> Nanos? {
        guard let track = track(of: symbol), track.state.eventCount > 0 else { return nil }
        return track.state.lastRecvTs
    }

    /// Marks every symbol's grid points `<= instant` closed without computing them (a new
    /// engine taking over from one that already published them).
    public mutating func skipGrid(through instant: Nanos) {
        let quietLimit = plan.registry.quietLimit
        for (symbol, slot) in slots {
            Self.close(
                &tracks[slot], symbol: symbol, before: instant + 1, step: gridStep, quietLimit: quietLimit, emitFrom: .max,
                emit: { _ in })
        }
    }

    /// Restores a symbol from a checkpoint (replacing what the engine had of it): grid points
    /// up to the checkpoint's instant count as closed, later ones are emitted as events close them.
    public mutating func restore(_ checkpoint: EngineCheckpoint) {
        let track = Track(
            state: SymbolFeatureState(plan: plan, restoring: checkpoint),
            lastClosed: Time.floorDiv(checkpoint.at, gridStep) * gridStep)
        tracks[slot(of: checkpoint.symbol) { track }] = track
    }

    /// The vector of `symbol` as of `time` (>= its last event), or nil for an unknown symbol.
    public func vector(for symbol: String, at time: Nanos) -> FeatureVector? {
        // Read in place: a copy of the track (its state's arrays retained and released) cost as much as some features.
        guard let slot = slots[symbol] else { return nil }
        return FeatureVector(symbol: symbol, ts: time, values: tracks[slot].state.values(at: max(time, tracks[slot].state.lastRecvTs)))
    }

    /// Closes the grid points `< time`. A point G has a vector only while the symbol has been
    /// silent for at most `quietLimit` (G - last event <= quiet_limit, features.md §1), so a
    /// long silence costs one step here, not one vector per second of it.
    private static func close(
        _ track: inout Track, symbol: String, before time: Nanos, step: Nanos, quietLimit: Nanos,
        emitFrom: Nanos, emit: (FeatureVector) -> Void
    ) {
        let last = Time.floorDiv(time - 1, step) * step
        guard last > track.lastClosed else { return }
        if emitFrom != .max {
            let lastEvent = track.state.lastRecvTs
            var g = max(track.lastClosed + step, emitFrom <= .min + step ? .min : Time.floorDiv(emitFrom - 1, step) * step + step)
            while g <= last && g - lastEvent <= quietLimit {
                emit(FeatureVector(symbol: symbol, ts: g, values: track.state.values(at: g)))
                g += step
            }
        }
        track.lastClosed = last
    }
}
