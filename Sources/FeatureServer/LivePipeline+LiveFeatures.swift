public import API
public import FeatureEngine
public import Live
public import MarketData
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
}
