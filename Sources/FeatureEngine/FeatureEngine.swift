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
    private var symbols: [String: Track] = [:]

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

    public init(registry: FeatureRegistry, gridStep: Nanos = Time.nanosPerSecond) {
        self.init(plan: FeaturePlan(registry: registry), gridStep: gridStep)
    }

    /// Symbols seen so far, sorted.
    public var symbolNames: [String] { symbols.keys.sorted() }

    /// The state of one symbol, if seen.
    public func state(of symbol: String) -> SymbolFeatureState? { symbols[symbol]?.state }

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
        return symbols.withValue(
            for: event.symbol,
            default: {
                // The first grid point is the first multiple of the step at or after the first event.
                Track(state: SymbolFeatureState(plan: plan), lastClosed: Time.floorDiv(event.recvTs - 1, step) * step)
            }
        ) { track in
            guard event.recvTs >= track.state.lastRecvTs else { return .outOfOrder }
            Self.close(
                &track, symbol: event.symbol, before: event.recvTs, step: step, quietLimit: quietLimit,
                emitFrom: compute ? emitFrom : .max, emit: emit)
            return .applied(track.state.apply(event))
        }
    }

    /// Online: closes every symbol's grid points `<= instant`, emitting their vectors.
    /// Afterwards events must be stamped `> instant` (see `Stamper.floor`).
    public mutating func closeGrid(through instant: Nanos, emit: (FeatureVector) -> Void) {
        let quietLimit = plan.registry.quietLimit
        let emitFrom = self.emitFrom
        for symbol in symbols.keys.sorted() {
            symbols.withValue(for: symbol, default: { fatalError("unreachable") }) { track in
                Self.close(
                    &track, symbol: symbol, before: instant + 1, step: gridStep, quietLimit: quietLimit, emitFrom: emitFrom,
                    emit: emit)
            }
        }
    }

    /// The `recv_ts` of the symbol's last applied event, nil before any.
    public func lastEventTime(of symbol: String) -> Nanos? {
        guard let track = symbols[symbol], track.state.eventCount > 0 else { return nil }
        return track.state.lastRecvTs
    }

    /// Marks every symbol's grid points `<= instant` closed without computing them (a new
    /// engine taking over from one that already published them).
    public mutating func skipGrid(through instant: Nanos) {
        let quietLimit = plan.registry.quietLimit
        for symbol in symbols.keys {
            symbols.withValue(for: symbol, default: { fatalError("unreachable") }) { track in
                Self.close(
                    &track, symbol: symbol, before: instant + 1, step: gridStep, quietLimit: quietLimit, emitFrom: .max,
                    emit: { _ in })
            }
        }
    }

    /// Restores a symbol from a checkpoint (replacing what the engine had of it): grid points
    /// up to the checkpoint's instant count as closed, later ones are emitted as events close them.
    public mutating func restore(_ checkpoint: EngineCheckpoint) {
        symbols[checkpoint.symbol] = Track(
            state: SymbolFeatureState(plan: plan, restoring: checkpoint),
            lastClosed: Time.floorDiv(checkpoint.at, gridStep) * gridStep)
    }

    /// The vector of `symbol` as of `time` (>= its last event), or nil for an unknown symbol.
    public func vector(for symbol: String, at time: Nanos) -> FeatureVector? {
        guard let track = symbols[symbol] else { return nil }
        return FeatureVector(symbol: symbol, ts: time, values: track.state.values(at: max(time, track.state.lastRecvTs)))
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

extension Dictionary {
    /// Mutates the value for `key` in place (inserting `make()` first when absent).
    mutating func withValue<R>(for key: Key, default make: () -> Value, _ body: (inout Value) -> R) -> R {
        body(&self[key, default: make()])
    }
}
