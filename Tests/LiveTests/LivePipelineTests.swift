import API
import FeatureEngine
import FeatureServer
import Foundation
import Live
import MarketData
import Offline
import ServiceRuntime
import ServiceTestSupport
import Testing

@Suite struct LivePipelineTests {
    @Test func gridVectorsArePublishedWhenTheClockPassesAndMatchAnOfflineEngine() async throws {
        let registry = FeatureRegistry.bundledDefault
        let pipeline = try LivePipeline(configuration: .init(registry: registry), store: nil)
        let envelopes = simulatedEnvelopes(count: 9000)
        var offline = FeatureEngine(registry: registry)
        var stamper = Stamper()
        var expected: [FeatureVector] = []
        var clock = envelopes[0].0
        for (time, body) in envelopes {
            // The clock ticks every 100 ms of market time, as the server's timer does.
            while clock + 100_000_000 < time {
                clock += 100_000_000
                await pipeline.tick(now: clock)
            }
            let outcome = await pipeline.ingest(Array(body.utf8), receivedAt: time)
            #expect(outcome == .accepted(events: 1))
            // Offline: the same events, stamped the same way, grid closed by events.
            for event in try EnvelopeDecoder.decode(text: body).events {
                offline.apply(stamper.stamp(event, at: time)) { expected.append($0) }
            }
        }
        await pipeline.finish()
        var published: [FeatureVector] = []
        for await publication in pipeline.publications { published.append(publication.vector) }
        // Online publishes grid points as the clock passes them; offline when the next event arrives.
        let onlineByKey = Dictionary(published.map { ("\($0.symbol)@\($0.ts)", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(expected.count > 100)
        var compared = 0
        for vector in expected {
            guard let online = onlineByKey["\(vector.symbol)@\(vector.ts)"] else { continue }
            #expect(online.isBitwiseEqual(to: vector))
            compared += 1
        }
        #expect(compared >= expected.count - 3 * 2)  // all but the last grid points of each symbol
    }

    @Test func malformedDuplicateAndForeignMessagesAreCountedNotFatal() async throws {
        let pipeline = try LivePipeline(configuration: .init(registry: .bundledDefault, symbols: ["BTCUSDT"]), store: nil)
        let trade =
            #"{"event_type":"trade","timestamp":"2026-01-01T00:00:00","payload":{"s":"BTCUSDT","S":"Buy","v":"1","p":"10","i":"42"}}"#
        let foreign = #"{"event_type":"trade","payload":{"s":"ETHUSDT","S":"Buy","v":"1","p":"10","i":"43"}}"#
        #expect(await pipeline.ingest(Array(trade.utf8), receivedAt: 1) == .accepted(events: 1))
        #expect(await pipeline.ingest(Array(trade.utf8), receivedAt: 2) == .accepted(events: 0))  // redelivered
        #expect(await pipeline.ingest(Array(foreign.utf8), receivedAt: 3) == .accepted(events: 0))
        guard case .malformed(let error) = await pipeline.ingest(Array("{oops".utf8), receivedAt: 4) else {
            Issue.record("expected malformed"); return
        }
        #expect(error.description.contains("invalid JSON"))
        let counters = await pipeline.counters
        #expect(counters.duplicates == 1)
        #expect(counters.otherSymbols == 1)
        #expect(counters.malformed == 1)
        #expect(counters.eventsByType[.trade] == 1)
        // The malformed body, and the foreign one: counted and kept, not silently dropped.
        let letters = await pipeline.takeDeadLetters()
        #expect(letters.count == 2)
        #expect(letters.contains { $0.error.description.contains("ETHUSDT is not one of this instance's symbols") })
        #expect(await pipeline.latest(symbol: "BTCUSDT", now: 5) != nil)
        #expect(await pipeline.latest(symbol: "ETHUSDT", now: 5) == nil)
    }
}
