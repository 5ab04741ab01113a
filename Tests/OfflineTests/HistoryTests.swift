import API
import EngineHistory
import FeatureEngine
import FeatureServer
import Foundation
import Live
import MarketData
import Offline
import Quality
import RawStore
import ServiceRuntime
import ServiceTestSupport
import TestSupport
import Testing

/// Issue 11 on the live path: checkpoints taken as events arrive, a reload built off the actor
/// that catches up and swaps, and quality counters recomputed from the store.
@Suite struct HistoryTests {
    /// A pipeline over a fresh store fed `count` simulated envelopes (50 events/s of market time).
    func feed(
        _ count: Int, into pipeline: LivePipeline, seed: UInt64 = 3, start: Nanos = 1_767_225_600_000_000_000
    ) async -> [(Nanos, String)] {
        let envelopes = simulatedEnvelopes(count: count, seed: seed, start: start)
        for (time, body) in envelopes { await pipeline.ingest(Array(body.utf8), receivedAt: time) }
        return envelopes
    }

    @Test func theLivePathTakesCheckpointsEqualToAnOfflineEngines() async throws {
        let store = try RawStore(root: scratchDirectory(), format: ParquetFormat())
        let pipeline = try LivePipeline(configuration: .init(registry: .bundledDefault), store: store)
        // 133 s of market across a 10 min boundary (1 767 226 200 s): one checkpoint per symbol.
        _ = await feed(20_000, into: pipeline, start: 1_767_225_600_000_000_000 + 540 * Time.nanosPerSecond)
        let taken = await pipeline.takeCheckpoints()
        try #require(taken.count == 3)
        #expect(taken.allSatisfy { $0.at == 1_767_226_200_000_000_000 })
        try await pipeline.sync()
        try store.flush()
        let checkpoints = CheckpointStore(root: store.layout.root)
        for checkpoint in taken {
            try checkpoints.write(checkpoint)
            // The same instant from the stored events through a state-only engine.
            var engine = FeatureEngine(registry: .stateOnly)
            var replay = try store.replay(symbol: checkpoint.symbol, from: .min, to: checkpoint.at + 1)
            while let event = try replay.next() { engine.apply(event) }
            #expect(engine.checkpoint(of: checkpoint.symbol, at: checkpoint.at) == checkpoint)
        }
        #expect(try checkpoints.instants(symbol: taken[0].symbol).contains(taken[0].at))
    }

    @Test func aReloadCatchesUpWithWhatArrivedMeanwhileAndEqualsAnOfflineRebuild() async throws {
        let store = try RawStore(root: scratchDirectory(), format: ParquetFormat())
        let pipeline = try LivePipeline(configuration: .init(registry: .bundledDefault), store: store)
        let first = await feed(20_000, into: pipeline)
        // A new registry (shorter windows), reloaded while more events keep arriving.
        let registry = try FeatureRegistry.parse(
            """
            version: "2.0.0"
            features:
              - {name: mid_price, kind: mid_price}
              - {name: vwap_2s, kind: vwap, window: 2s}
              - {name: ofi_5s, kind: ofi, window: 5s}
              - {name: volatility_30s, kind: volatility, window: 30s}
              - {name: depth_bid_top3, kind: depth_bid, levels: 3}
            """)
        let later = simulatedEnvelopes(count: 22_000, seed: 3, start: 1_767_225_600_000_000_000).suffix(2_000)
        async let reloaded = pipeline.reload(registry: registry, now: first.last!.0)
        for (time, body) in later { await pipeline.ingest(Array(body.utf8), receivedAt: time) }
        let stats = try await reloaded
        #expect(stats.replayed > 0)
        #expect(await pipeline.configuration.registry.contentHash == registry.contentHash)
        // The live engine now equals an engine fed every stored event with the new registry.
        try await pipeline.sync()
        try store.flush()
        let at = later.last!.0 + 400_000_000
        for symbol in await pipeline.symbols {
            var offline = FeatureEngine(registry: registry)
            var replay = try store.replay(symbol: symbol, from: .min, to: .max)
            while let event = try replay.next() { offline.apply(event) }
            let live = try #require(await pipeline.latest(symbol: symbol, now: at))
            let expected = try #require(offline.vector(for: symbol, at: at))
            #expect(live.isBitwiseEqual(to: expected), "\(symbol)")
        }
    }

    /// A vector still waiting for the publisher when a reload swaps the registry goes out with
    /// the names and version of the registry that computed it; later vectors with the new ones.
    @Test func aVectorQueuedBeforeAReloadKeepsItsRegistrysLabels() async throws {
        let store = try RawStore(root: scratchDirectory(), format: ParquetFormat())
        let pipeline = try LivePipeline(configuration: .init(registry: .bundledDefault, bookUpdateThrottle: 0), store: store)
        let first = await feed(2_000, into: pipeline)
        let registry = try FeatureRegistry.parse(
            """
            version: "2.0.0"
            features:
              - {name: mid_price, kind: mid_price}
              - {name: depth_bid_top3, kind: depth_bid, levels: 3}
            """)
        _ = try await pipeline.reload(registry: registry, now: first.last!.0)
        let later = simulatedEnvelopes(count: 2_200, seed: 3, start: 1_767_225_600_000_000_000).suffix(200)
        for (time, body) in later { await pipeline.ingest(Array(body.utf8), receivedAt: time) }
        await pipeline.finish()
        var (before, after) = (0, 0)
        for await publication in pipeline.publications {
            #expect(publication.names.count == publication.vector.values.count)
            if publication.registryVersion == registry.version {
                #expect(publication.names == registry.names)
                after += 1
            } else {
                #expect(publication.names == FeatureRegistry.bundledDefault.names)
                #expect(after == 0, "no vector of the old registry after one of the new")
                before += 1
            }
        }
        #expect(before > 0 && after > 0)
    }

    @Test func qualityRebuiltFromTheStoreEqualsTheLiveCounters() async throws {
        let store = try RawStore(root: scratchDirectory(), format: ParquetFormat())
        let pipeline = try LivePipeline(configuration: .init(registry: .bundledDefault), store: store)
        _ = await feed(12_000, into: pipeline)
        let live = await pipeline.takeQualityBuckets(endedBy: .max)
        try await pipeline.sync()
        try store.flush()
        #expect(!live.isEmpty)
        for (symbol, buckets) in live {
            let rebuilt = try QualityRebuild.buckets(store: store, symbol: symbol, from: .min, to: .max)
            #expect(rebuilt == buckets, "\(symbol)")
        }
    }
}
