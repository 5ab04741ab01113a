public import MarketData

/// Whether the book can be trusted, and if not, why.
public enum BookSyncState: Sendable, Equatable, Codable {
    /// No snapshot yet: the book's state is unknown, so it is out of sync (features.md §1):
    /// every value read from it is null (not 0: an empty book is one we saw empty) until the
    /// first snapshot, which contributes 0 to `ofi` and `book_churn`.
    case awaitingSnapshot
    case synced
    /// A delta's `u` was not the previous `u` + 1: update ids `expected..<received` were missed.
    case gap(expected: Int64, received: Int64)
    /// Best bid >= best ask after an update.
    case crossed(bestBid: Double, bestAsk: Double)
    /// A delta arrived before any snapshot.
    case deltaBeforeSnapshot(updateId: Int64)

    /// Whether values may be read from the book.
    @inlinable public var isSynced: Bool {
        // A pattern, not `==`: the synthesised equality is a call that compares payloads.
        if case .synced = self { true } else { false }
    }
}

/// What applying one update did.
public enum BookApplyOutcome: Sendable, Equatable {
    /// A delta was applied; the book is in sync.
    case applied
    /// A snapshot replaced the book; `restart` when its `u` is 1 (the exchange restarted the stream).
    case snapshot(restart: Bool)
    /// The update put the book out of sync (the state says why); the caller should request a snapshot.
    case desynced(BookSyncState)
    /// A delta arrived while out of sync and was not applied.
    case ignoredWhileOutOfSync
}

/// A level whose size an update changed (`before`/`after` 0 = absent).
public struct LevelChange: Sendable, Equatable {
    public var isBid: Bool
    public var price: Double
    public var before: Double
    public var after: Double
}

/// An L2 order book for one symbol: snapshot replaces, delta applies (size 0 deletes),
/// `u` continuity is checked on every delta, crossed books and deltas before a snapshot are
/// detected. Out of sync, the book says why and ignores deltas until a snapshot restores it.
public struct L2Book: Sendable {
    public private(set) var bids = BookSide(isBid: true)
    public private(set) var asks = BookSide(isBid: false)
    public private(set) var state: BookSyncState = .awaitingSnapshot
    /// `u` of the last applied update.
    public private(set) var lastUpdateId: Int64?

    /// When > 0, each update records in ``changes`` the levels whose size it changed (for a
    /// snapshot, only levels among the best `changeTrackingDepth` before or after it).
    public var changeTrackingDepth: Int
    /// Level changes made by the last applied update (see ``changeTrackingDepth``).
    public private(set) var changes: [LevelChange] = []

    private var spare = BookSide(isBid: true)
    private var spareAsk = BookSide(isBid: false)
    private var seenBid = Set<Double>()
    private var seenAsk = Set<Double>()

    public init(changeTrackingDepth: Int = 0) {
        self.changeTrackingDepth = changeTrackingDepth
    }

    /// A book restored from its parts (an engine checkpoint): the same levels, sync state and
    /// last `u` as the book they were taken from.
    public init(bids: [PriceLevel], asks: [PriceLevel], state: BookSyncState, lastUpdateId: Int64?, changeTrackingDepth: Int = 0) {
        self.changeTrackingDepth = changeTrackingDepth
        self.bids.replace(with: bids)
        self.asks.replace(with: asks)
        self.state = state
        self.lastUpdateId = lastUpdateId
    }

    @inlinable public var isSynced: Bool { state.isSynced }

    /// Best bid and ask with sizes, when both sides are non-empty. (Inlinable: a call would copy
    /// the whole book into the caller's frame first.)
    @inlinable public var top: (bid: Double, bidSize: Double, ask: Double, askSize: Double)? {
        guard let bid = bids.bestPrice, let ask = asks.bestPrice else { return nil }
        return (bid, bids.size(rank: 0), ask, asks.size(rank: 0))
    }

    /// Applies one update.
    @discardableResult
    public mutating func apply(_ update: BookUpdate) -> BookApplyOutcome {
        changes.removeAll(keepingCapacity: true)
        if update.isSnapshot { return applySnapshot(update) }
        switch state {
        case .synced: break
        case .awaitingSnapshot:
            state = .deltaBeforeSnapshot(updateId: update.updateId)
            return .desynced(state)
        default:
            return .ignoredWhileOutOfSync
        }
        if let last = lastUpdateId, update.updateId != last &+ 1 {
            state = .gap(expected: last &+ 1, received: update.updateId)
            return .desynced(state)
        }
        lastUpdateId = update.updateId
        if changeTrackingDepth > 0 {
            Self.applyTracked(update.bids, to: &bids, seen: &seenBid, changes: &changes)
            Self.applyTracked(update.asks, to: &asks, seen: &seenAsk, changes: &changes)
        } else {
            for level in update.bids { bids.set(price: level.price, size: level.size) }
            for level in update.asks { asks.set(price: level.price, size: level.size) }
        }
        if let crossed = crossedState() {
            state = crossed
            return .desynced(state)
        }
        return .applied
    }

    private static func applyTracked(
        _ levels: [PriceLevel], to side: inout BookSide, seen: inout Set<Double>,
        changes: inout [LevelChange]
    ) {
        guard !levels.isEmpty else { return }
        let start = changes.count
        // The prices seen so far are those of `changes[start...]`: a short update (nearly every
        // delta) scans them, a long one hashes (`seen`).
        let short = levels.count <= 16
        if !short { seen.removeAll(keepingCapacity: true) }
        for level in levels {
            let before = side.set(price: level.price, size: level.size)
            // A price listed twice: the first occurrence holds the size before the update.
            let first = short ? !changes[start...].contains { $0.price == level.price } : seen.insert(level.price).inserted
            if first {
                changes.append(LevelChange(isBid: side.isBid, price: level.price, before: before, after: 0))
            }
        }
        var write = start
        for read in start..<changes.count {
            var change = changes[read]
            change.after = side.size(at: change.price)
            if change.after != change.before {
                changes[write] = change
                write += 1
            }
        }
        changes.removeLast(changes.count - write)
    }

    private mutating func applySnapshot(_ update: BookUpdate) -> BookApplyOutcome {
        spare.replace(with: update.bids)
        spareAsk.replace(with: update.asks)
        if changeTrackingDepth > 0 {
            recordSnapshotChanges(old: bids, new: spare)
            recordSnapshotChanges(old: asks, new: spareAsk)
        }
        swap(&bids, &spare)
        swap(&asks, &spareAsk)
        lastUpdateId = update.updateId
        if let crossed = crossedState() {
            state = crossed
            return .desynced(state)
        }
        state = .synced
        return .snapshot(restart: update.updateId == 1)
    }

    private mutating func recordSnapshotChanges(old: BookSide, new: BookSide) {
        let depth = changeTrackingDepth
        for rank in 0..<min(depth, old.count) {
            let price = old.price(rank: rank)
            let before = old.size(rank: rank)
            let after = new.size(at: price)
            if before != after { changes.append(LevelChange(isBid: old.isBid, price: price, before: before, after: after)) }
        }
        let oldThreshold = old.rankThresholdKey(levels: depth)
        for rank in 0..<min(depth, new.count) {
            let price = new.price(rank: rank)
            let before = old.size(at: price)
            // Levels among the old best were handled above.
            if old.isAmongBest(price: price, presentSize: before, threshold: oldThreshold) { continue }
            let after = new.size(rank: rank)
            if before != after { changes.append(LevelChange(isBid: old.isBid, price: price, before: before, after: after)) }
        }
    }

    private func crossedState() -> BookSyncState? {
        guard let bid = bids.bestPrice, let ask = asks.bestPrice, bid >= ask else { return nil }
        return .crossed(bestBid: bid, bestAsk: ask)
    }
}
