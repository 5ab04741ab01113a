import FeatureEngine
import MarketData
import Testing

/// features.md §1, quiet symbols: no grid vectors once a symbol has been silent for longer than
/// `quiet_limit`; the series resumes at the first grid point after its next event.
@Suite struct QuietSymbolTests {
    /// A book and a trade, then 3 h of silence, then a trade.
    func silentScript() -> Script {
        var script = Script()
        script.snapshot(s(10.2), bids: [(100, 1)], asks: [(101, 1)])
        script.trade(s(12.5), 100.5, 2, .buy)
        script.trade(s(12.5 + 3 * 3600), 100.7, 1, .sell)
        script.delta(s(12.5 + 3 * 3600 + 2.25), bids: [(100.5, 3)])
        return script
    }

    @Test func noVectorsPastTheQuietLimitOfflineAndOnline() throws {
        let registry = try FeatureRegistry.parse(
            "version: q\nquiet_limit: 10m\nfeatures:\n  - {name: mid, kind: mid_price}\n"
                + "  - {name: vol, kind: volume, window: 3s}\n")
        #expect(registry.quietLimit == 600 * Time.nanosPerSecond)
        let script = silentScript()
        var offline = FeatureEngine(registry: registry)
        var offlineVectors: [FeatureVector] = []
        for event in script.events { offline.apply(event) { offlineVectors.append($0) } }
        let times = offlineVectors.map(\.ts)
        // Grid points 11 s ... 612 s (last event 12.5 s + 600 s), then from the next event's second on.
        let lastBeforeSilence = s(12.5) + 600 * Time.nanosPerSecond
        #expect(times.first == s(11))
        #expect(times.filter { $0 <= lastBeforeSilence }.last == s(612))
        #expect(!times.contains { $0 > lastBeforeSilence && $0 < s(12.5 + 3 * 3600) })
        #expect(times.filter { $0 > lastBeforeSilence } == [s(10813), s(10814)])
        // The vector after the silence sees the whole state (book, windows) as the rules say.
        let resumed = offlineVectors.first { $0.ts == s(10813) }!
        #expect(resumed.values[0] == 100.5)
        #expect(resumed.values[1] == 1)

        // Online: the clock passes every second of the silence; the same vectors come out.
        var online = FeatureEngine(registry: registry)
        var onlineVectors: [FeatureVector] = []
        for event in script.events {
            var clock = (online.state(of: script.symbol)?.lastRecvTs).map { Time.floorDiv($0, Time.nanosPerSecond) * Time.nanosPerSecond }
            while let tick = clock, tick + Time.nanosPerSecond < event.recvTs {
                online.closeGrid(through: tick + Time.nanosPerSecond) { onlineVectors.append($0) }
                clock = tick + Time.nanosPerSecond
            }
            online.apply(event) { onlineVectors.append($0) }
        }
        #expect(onlineVectors.count == offlineVectors.count)
        #expect(zip(onlineVectors, offlineVectors).allSatisfy { $0.isBitwiseEqual(to: $1) })
    }

    @Test func aYearOfSilenceCostsOneStep() {
        var engine = FeatureEngine(registry: .bundledDefault)
        var script = Script()
        script.snapshot(s(1.5), bids: [(100, 1)], asks: [(101, 1)])
        for event in script.events { engine.apply(event) { _ in } }
        var count = 0
        // A year of grid points closed at once: at most quiet_limit (1 h) of them has a vector.
        engine.closeGrid(through: s(1.5) + 365 * Time.nanosPerDay) { _ in count += 1 }
        #expect(count == 3600)
    }

    @Test func lateGridPointsAreClosedWithoutVectorsOnline() {
        var engine = FeatureEngine(registry: .bundledDefault)
        var script = Script()
        script.snapshot(s(1.5), bids: [(100, 1)], asks: [(101, 1)])
        for event in script.events { engine.apply(event) { _ in } }
        engine.emitFrom = s(100)
        var times: [Nanos] = []
        engine.closeGrid(through: s(105)) { times.append($0.ts) }
        #expect(times == [s(100), s(101), s(102), s(103), s(104), s(105)])
    }

    @Test func quietLimitIsValidatedAndHashed() throws {
        let base = "version: q\nfeatures:\n  - {name: mid, kind: mid_price}\n"
        let standard = try FeatureRegistry.parse(base)
        #expect(standard.quietLimit == FeatureRegistry.defaultQuietLimit)
        let shorter = try FeatureRegistry.parse("quiet_limit: 30m\n" + base)
        #expect(shorter.contentHash != standard.contentHash)
        #expect(try FeatureRegistry.parse("quiet_limit: 1h\n" + base).contentHash == standard.contentHash)
        for bad in ["0s", "8d", "soon", "-1h"] {
            #expect(FeatureRegistry.validate("quiet_limit: \(bad)\n" + base).map(\.path) == ["quiet_limit"], "\(bad)")
        }
    }
}
