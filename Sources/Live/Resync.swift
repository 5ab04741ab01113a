public import Logging
import MarketData
public import ServiceRuntime

/// Asks the snapshot source for a fresh book whenever one goes out of sync (at most once a
/// second per symbol) and feeds it through the pipeline like any other message.
public enum Resync {
    /// Runs until cancelled.
    public static func run(pipeline: LivePipeline, source: any SnapshotSource, logger: Logger, clock: any WallClock) async {
        var lastAsked: [String: Nanos] = [:]
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
            for symbol in await pipeline.takeResyncRequests() {
                let now = clock.now()
                if let last = lastAsked[symbol], now - last < Time.nanosPerSecond { continue }
                lastAsked[symbol] = now
                do {
                    let body = try await source.snapshotEnvelope(symbol: symbol)
                    let outcome = await pipeline.ingest(body, receivedAt: clock.now())
                    logger.info("book resync snapshot applied", metadata: ["symbol": .string(symbol), "outcome": .string("\(outcome)")])
                } catch {
                    logger.warning("book resync snapshot failed", metadata: ["symbol": .string(symbol), "error": .string("\(error)")])
                }
            }
        }
    }
}
