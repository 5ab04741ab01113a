public import API
public import FeatureEngine
public import Live
public import MarketData
import OrderBook
import Quality
import ServiceRuntime

/// The live pipeline is what the HTTP API reads and drives (the API knows it only by this protocol).
extension LivePipeline: LiveFeatures {
    public func registry() -> FeatureRegistry { configuration.registry }

    public func symbols() -> [String] { symbols }

    public func lastEventAt(symbol: String) -> Nanos? { counters.lastEventAt[symbol] }

    public func reload(to registry: FeatureRegistry, now: Nanos) async throws -> ReloadSummary {
        do {
            let stats: ReloadStats = try await reload(registry: registry, now: now)
            return ReloadSummary(seconds: stats.seconds, replayed: stats.replayed, caughtUp: stats.caughtUp)
        } catch let error as ReloadInProgress {
            throw ReloadConflict(error.description)
        }
    }

    public func ingest(
        batch: [(body: ArraySlice<UInt8>, refused: DecodeError?)], receivedAt: Nanos, reportLimit: Int,
        deadLetterLimit: Int
    ) -> IngestOutcome {
        let outcome: BatchOutcome = ingest(
            batch: batch, receivedAt: receivedAt, reportLimit: reportLimit, deadLetterLimit: deadLetterLimit,
            source: "ingest")
        return IngestOutcome(
            acceptedEvents: outcome.acceptedEvents, malformedLines: outcome.malformedLines, errors: outcome.errors,
            deadLettersKept: outcome.deadLettersKept)
    }

    public nonisolated func makeDurable() async throws { try await sync() }

    public func bookTop(symbol: String, levels: Int) -> BookTop? {
        guard let top = bookLevels(symbol: symbol, levels: levels) else { return nil }
        let state: String
        switch top.state {
        case .synced: state = "synced"
        case .awaitingSnapshot: state = "awaiting_snapshot"
        case .gap: state = "sequence_gap"
        case .crossed: state = "crossed_book"
        case .deltaBeforeSnapshot: state = "delta_before_snapshot"
        }
        return BookTop(
            bids: top.bids.map { .init(price: $0.price, size: $0.size) }, asks: top.asks.map { .init(price: $0.price, size: $0.size) },
            inSync: top.state.isSynced, state: state, lastUpdateId: top.lastUpdateId)
    }
}
