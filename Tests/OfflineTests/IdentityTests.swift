import API
import FeatureEngine
import FeatureServer
import Foundation
import Live
import MarketData
import Offline
import RawStore
import ServiceRuntime
import ServiceTestSupport
import TestSupport
import Testing

@Suite struct IdentityTests {
    /// features.md §6: for the same stored events and registry, the offline engine reproduces
    /// every vector the online engine published, bit for bit.
    @Test func liveVectorsEqualAnOfflineRebuildFromTheStore() async throws {
        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat(rowGroupRows: 1000))
        let registry = FeatureRegistry.bundledDefault
        let pipeline = try LivePipeline(configuration: .init(registry: registry, bookUpdateThrottle: 200_000_000), store: store)
        var envelopes = simulatedEnvelopes(count: 12_000, seed: 5)
        // A gap and a malformed message in the middle, as real feeds have.
        envelopes.insert((envelopes[5000].0, "{broken"), at: 5000)
        var clock = envelopes[0].0
        for (index, (time, body)) in envelopes.enumerated() {
            while clock + 50_000_000 < time {
                clock += 50_000_000
                await pipeline.tick(now: clock)
            }
            await pipeline.ingest(Array(body.utf8), receivedAt: time)
            if index % 500 == 0 { try await pipeline.sync() }
        }
        try await pipeline.sync()
        await pipeline.finish()
        var online: [String: FeatureVector] = [:]
        var bookUpdateVectors = 0
        for await publication in pipeline.publications {
            if let received = publication.received {
                // A book update's vector is as of the update's receipt (what `receipt_to_publish` starts from).
                #expect(received == publication.vector.ts)
                bookUpdateVectors += 1
                continue
            }
            online["\(publication.vector.symbol)@\(publication.vector.ts)"] = publication.vector
        }
        #expect(bookUpdateVectors > 0)
        try store.flush()

        var compared = 0
        for symbol in try store.layout.symbols() {
            try OfflineEngine.rebuild(store: store, symbol: symbol, from: .min, to: .max, registry: registry) { vector in
                guard let live = online.removeValue(forKey: "\(vector.symbol)@\(vector.ts)") else { return }
                #expect(live.isBitwiseEqual(to: vector), "\(symbol) at \(vector.ts)")
                compared += 1
            }
        }
        #expect(compared > 200)
        // Every online grid vector found its offline twin (online may close the very last
        // grid point by the clock before any later event exists to close it offline).
        #expect(online.count <= 3)
    }
}
