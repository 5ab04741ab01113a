import Datasets
import FeatureEngine
import Foundation
import MarketData
import Parquet
import RawStore
import TestSupport
import Testing

let base: Nanos = 1_767_225_600_000_000_000  // 2026-01-01T00:00:00Z
func at(_ seconds: Double) -> Nanos { base + Nanos((seconds * 1e9).rounded()) }

/// A store where the mid steps up by 1 every second: a snapshot at k + 0.5 s has mid 100 + k,
/// so mid(k s) = 99 + k for k >= 1; a trade every second too.
func steppingStore(seconds: Int = 100) throws -> RawStore {
    let store = try RawStore(root: scratchDirectory(), format: ParquetFormat())
    var stamper = Stamper()
    var events: [MarketEvent] = []
    for k in 0...seconds {
        let mid = 100 + Double(k)
        let book = BookUpdate(
            isSnapshot: true, updateId: Int64(k + 1), bids: [PriceLevel(price: mid - 0.5, size: 1)],
            asks: [PriceLevel(price: mid + 0.5, size: 1)])
        events.append(stamper.stamp(UnstampedEvent(symbol: "BTCUSDT", body: .book(book)), at: at(Double(k) + 0.5)))
        let trade = Trade(price: mid, size: 1, side: .buy, tradeId: "t\(k)")
        events.append(stamper.stamp(UnstampedEvent(symbol: "BTCUSDT", body: .trade(trade)), at: at(Double(k) + 0.7)))
    }
    store.append(events)
    try store.sync()
    try store.flush()
    return store
}

func explicitConfig(embargo: Nanos = 0) -> DatasetConfig {
    var config = DatasetConfig(
        symbol: "BTCUSDT",
        splits: .explicit(
            periods: [
                ("train", at(10), at(30)), ("validation", at(30), at(40)), ("test", at(40), at(50)),
            ], embargo: embargo))
    config.targets.types = [.return, .logReturn, .direction, .sharpe]
    config.targets.horizons = [2 * Time.nanosPerSecond, 3 * Time.nanosPerSecond]
    config.targets.threshold = 0.015
    config.targets.volWindow = 5 * Time.nanosPerSecond
    return config
}

func column(_ path: String, _ name: String) throws -> ParquetColumnData {
    try ParquetReader(path: path).readAll(columns: [name])[0]
}

func times(_ path: String) throws -> [Double] {
    guard case .int64(let t) = try column(path, "timestamp").values else { return [] }
    return t.map { Double($0 - base) / 1e9 }
}

@Suite struct DatasetBuilderTests {
    @Test func targetsAtHandComputedPoints() throws {
        let store = try steppingStore()
        let dir = scratchDirectory()
        let manifest = try DatasetBuilder(
            config: explicitConfig(), registry: .bundledDefault, store: store, outputDirectory: dir, datasetId: "d1", createdAt: base
        ).build()
        let train = "\(dir)/train.parquet"
        #expect(try times(train).first == 10)
        guard case .double(let ret2) = try column(train, "target_return_2s").values,
            case .double(let log3) = try column(train, "target_log_return_3s").values,
            case .string(let dir2) = try column(train, "target_direction_2s").values,
            case .double(let mid) = try column(train, "mid_price").values
        else { Issue.record("types"); return }
        // Row t = 10 s: mid(10) = 109, mid(12) = 111, mid(13) = 112.
        #expect(mid[0] == 109)
        #expect(ret2[0] == 111.0 / 109.0 - 1)
        #expect(log3[0] == Foundation.log(112.0 / 109.0))
        #expect(dir2[0] == "up")  // 1.83 % > 1.5 %
        // Later rows: 2 / (99 + k) drops below the threshold at k = 35 (validation, t = 35 s).
        let validation = "\(dir)/validation.parquet"
        guard case .string(let vdir) = try column(validation, "target_direction_2s").values else { Issue.record("types"); return }
        let vt = try times(validation)
        for (t, d) in zip(vt, vdir) { #expect(d == ((2.0 / (99 + t)) > 0.015 ? "up" : "flat"), "t=\(t)") }
        // Sharpe: the mid's 1 s log returns over the last 5 s are log((99+k)/(98+k)).
        guard case .double(let sharpe2) = try column(train, "target_sharpe_2s").values, let sigmaFree = sharpe2.first else {
            Issue.record("types"); return
        }
        let returns = (6...10).map { k in Foundation.log((99.0 + Double(k)) / (98.0 + Double(k))) }
        let m = returns.reduce(0, +) / 5
        let sd = (returns.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 5).squareRoot()
        #expect(abs(sigmaFree - (111.0 / 109.0 - 1) / (sd * 2.0.squareRoot())) < 1e-9 * abs(sigmaFree))
        #expect(manifest.document.leakageCheck.passed)
    }

    @Test func purgingDropsExactlyTheRowsWhoseLabelsReachTheNextPeriod() throws {
        let store = try steppingStore()
        let dir = scratchDirectory()
        let manifest = try DatasetBuilder(
            config: explicitConfig(), registry: .bundledDefault, store: store, outputDirectory: dir, datasetId: "d2", createdAt: base
        ).build()
        // h_max = 3 s: train rows t + 3 >= 30 (27, 28, 29) are purged; validation rows 37..39 likewise.
        #expect(try times("\(dir)/train.parquet") == (10...26).map(Double.init))
        #expect(try times("\(dir)/validation.parquet") == (30...36).map(Double.init))
        #expect(try times("\(dir)/test.parquet") == (40...49).map(Double.init))
        #expect(manifest.splits.map(\.rows) == [17, 7, 10])
        #expect(manifest.document.purgedRows == ["train": 3, "validation": 3])
    }

    @Test func embargoDropsTheFirstRowsOfLaterSplits() throws {
        let store = try steppingStore()
        let dir = scratchDirectory()
        _ = try DatasetBuilder(
            config: explicitConfig(embargo: 2 * Time.nanosPerSecond), registry: .bundledDefault, store: store,
            outputDirectory: dir, datasetId: "d3", createdAt: base
        ).build()
        #expect(try times("\(dir)/validation.parquet") == (32...36).map(Double.init))
        #expect(try times("\(dir)/test.parquet") == (42...49).map(Double.init))
    }

    @Test func walkForwardFoldBoundariesAndSkippedFolds() throws {
        let store = try steppingStore()
        var config = explicitConfig()
        config.splits = .walkForward(
            start: at(10), end: at(60), trainWindow: 20 * Time.nanosPerSecond, validationWindow: 10 * Time.nanosPerSecond,
            step: 10 * Time.nanosPerSecond, minTrainSamples: 17, lastFoldIsTest: true, embargo: 0)
        let dir = scratchDirectory()
        let manifest = try DatasetBuilder(
            config: config, registry: .bundledDefault, store: store, outputDirectory: dir, datasetId: "wf", createdAt: base
        ).build()
        #expect(
            manifest.splits.map(\.name) == [
                "fold_0_train", "fold_0_validation", "fold_1_train", "fold_1_validation", "fold_2_train", "fold_2_test",
            ])
        #expect(try times("\(dir)/fold_0_train.parquet") == (10...26).map(Double.init))
        #expect(try times("\(dir)/fold_0_validation.parquet") == (30...39).map(Double.init))
        #expect(try times("\(dir)/fold_1_train.parquet") == (20...36).map(Double.init))
        #expect(try times("\(dir)/fold_2_test.parquet") == (50...59).map(Double.init))
        // The last fold's second range is keyed by its split name.
        let folds = try JSONParser.parse(String(contentsOfFile: "\(dir)/manifest.json", encoding: .utf8))["folds"]
        guard case .array(let list)? = folds, list.count == 3 else { Issue.record("folds: \(String(describing: folds))"); return }
        #expect(list[2]["test"] != nil && list[2]["validation"] == nil && list[0]["validation"] != nil)
        // With 18 required train rows every fold (17 after purging) is skipped and reported.
        config.splits = .walkForward(
            start: at(10), end: at(60), trainWindow: 20 * Time.nanosPerSecond, validationWindow: 10 * Time.nanosPerSecond,
            step: 10 * Time.nanosPerSecond, minTrainSamples: 18, lastFoldIsTest: false, embargo: 0)
        let skipped = try DatasetBuilder(
            config: config, registry: .bundledDefault, store: store, outputDirectory: scratchDirectory(), datasetId: "wf2", createdAt: base
        ).build()
        #expect(skipped.splits.isEmpty)
        #expect(skipped.document.skippedFolds?.first.map { [$0.fold, $0.trainRows] } == [0, 17])
    }

    @Test func theLeakageCheckerCatchesABrokenRow() {
        var checker = LeakageChecker(config: explicitConfig())
        checker.checkRow(t: at(10), lastEventTs: at(9.7), targetTimes: [at(12), at(13)])
        #expect(checker.violations.isEmpty)
        checker.checkRow(t: at(11), lastEventTs: at(11.5), targetTimes: [at(13), at(14)])  // a feature saw the future
        checker.checkRow(t: at(12), lastEventTs: at(11.5), targetTimes: [at(12), at(16)])  // targets outside (t, t + h_max]
        #expect(checker.violations.count == 3)
        #expect(checker.rowsChecked == 3)
    }

    @Test func leakyOrImpossibleRequestsAreRejectedBeforeTheBuild() throws {
        var overlapping = explicitConfig()
        overlapping.splits = .explicit(periods: [("train", at(10), at(35)), ("validation", at(30), at(40))], embargo: 0)
        #expect(overlapping.validationProblems().contains { $0.contains("overlaps") })
        var random = explicitConfig()
        random.splits = .random(start: at(10), end: at(50), seed: 1, fractions: [("train", 0.8), ("test", 0.2)])
        #expect(random.validationProblems().contains { $0.contains("allow_random_split") })
        #expect(throws: DatasetConfigError.self) {
            _ = try DatasetConfig.parse(
                json:
                    #"{"symbol": "BTCUSDT", "targets": {"horizons": ["90s", "1.5m"]}, "splits": {"strategy": "#
                    + #""explicit", "periods": {"train": ["2026-01-01T00:00:00Z", "x"]}}}"#
            )
        }
        do {
            _ = try DatasetConfig.parse(
                json:
                    #"{"symbol": "BTCUSDT", "splits": {"strategy": "random", "start": "2026-01-01T00:00:00Z", "end": "#
                    + #""2026-01-02T00:00:00Z"}}"#
            )
            Issue.record("random without the flag must be rejected")
        } catch {
            #expect(error.problems.contains { $0.contains("allow_random_split") })
        }
        // A bound with a fraction of a second would select no row (rows are at whole seconds).
        var fractional = explicitConfig()
        fractional.splits = .explicit(periods: [("train", at(10) + 8_000_000, at(35)), ("test", at(40), at(50))], embargo: 0)
        #expect(
            fractional.validationProblems() == [
                "splits.periods.train: start and end must be whole seconds (rows are at whole-second grid points), got "
                    + "\(Time.formatISO8601(at(10) + 8_000_000)) and \(Time.formatISO8601(at(35)))"
            ])
    }

    @Test func aPeriodWithoutDataIsAnsweredWithThePeriodsThatHaveData() throws {
        let store = try steppingStore()
        var config = explicitConfig()
        config.splits = .explicit(periods: [("train", at(10_000), at(20_000))], embargo: 0)
        do {
            _ = try DatasetBuilder(
                config: config, registry: .bundledDefault, store: store, outputDirectory: scratchDirectory(), datasetId: "x",
                createdAt: base
            ).build()
            Issue.record("expected no data")
        } catch let error as DatasetBuildError {
            #expect(error.description.contains("periods with data: [2026-01-01T00:00:00.500000000Z, 2026-01-01T00:01:40.700000000Z]"))
        }
    }

    @Test func randomSplitsKeepTimeOrderAndSayTheyAreRandom() throws {
        let store = try steppingStore()
        var config = explicitConfig()
        config.allowRandomSplit = true
        config.splits = .random(start: at(10), end: at(90), seed: 7, fractions: [("train", 0.5), ("validation", 0.25), ("test", 0.25)])
        let dir = scratchDirectory()
        let manifest = try DatasetBuilder(
            config: config, registry: .bundledDefault, store: store, outputDirectory: dir, datasetId: "r", createdAt: base
        ).build()
        #expect(manifest.splits.map(\.rows) == [40, 20, 20])
        for split in ["train", "validation", "test"] {
            let t = try times("\(dir)/\(split).parquet")
            #expect(t == t.sorted())
        }
        #expect(manifest.document.randomSplit)
    }
}

/// features.md §1 and §4 across a silence longer than `quiet_limit`: no rows in it, the
/// manifest names it (a quiet period, inside a gap found from the events), and targets
/// reaching into it read the unchanged state.
@Suite struct QuietPeriodDatasetTests {
    @Test func aSilenceLongerThanTheQuietLimitHasNoRowsAndIsAGap() throws {
        let store = try RawStore(root: scratchDirectory(), format: ParquetFormat())
        var stamper = Stamper()
        var events: [MarketEvent] = []
        // A minute of market, 3 h of silence, another minute.
        for k in Array(0...60) + Array(10_860...11_000) {
            let mid = 100 + Double(k % 7)
            let book = BookUpdate(
                isSnapshot: true, updateId: Int64(k + 1), bids: [PriceLevel(price: mid - 0.5, size: 1)],
                asks: [PriceLevel(price: mid + 0.5, size: 1)])
            events.append(stamper.stamp(UnstampedEvent(symbol: "BTCUSDT", body: .book(book)), at: at(Double(k) + 0.5)))
        }
        store.append(events)
        try store.sync()
        try store.flush()
        let registry = try FeatureRegistry.parse("version: q\nquiet_limit: 10m\nfeatures:\n  - {name: mid, kind: mid_price}\n")
        var config = DatasetConfig(symbol: "BTCUSDT", splits: .explicit(periods: [("train", at(10), at(10_900))], embargo: 0))
        config.targets.horizons = [60 * Time.nanosPerSecond]
        config.leakageCheck = true
        let dir = scratchDirectory()
        _ = try DatasetBuilder(config: config, registry: registry, store: store, outputDirectory: dir, datasetId: "quiet", createdAt: base)
            .build()
        let rows = try times("\(dir)/train.parquet")
        // Last event before the silence at 60.5 s: rows up to 660 s; next event at 10 860.5 s: rows from 10 861 s.
        #expect(rows.filter { $0 > 660 && $0 < 10_861 }.isEmpty)
        #expect(rows.contains(660) && rows.contains(10_861))
        #expect(rows.count == (660 - 10 + 1) + (10_899 - 10_861 + 1))
        // A row just before the silence reads mid(t + 1 min) inside it: the state there is the last one.
        let returns = try column("\(dir)/train.parquet", "target_return_1m")
        #expect(!returns.isNull(rows.firstIndex(of: 650)!))
        let manifest = try JSONDecoder().decode(
            DatasetManifestDocument.self, from: Data(contentsOf: URL(fileURLWithPath: "\(dir)/manifest.json")))
        let quietStart = Time.formatISO8601(at(661)), quietEnd = Time.formatISO8601(at(10_861))
        #expect(manifest.source?.quietPeriods == [[quietStart, quietEnd]], "\(String(describing: manifest.source))")
        // The gap from the events themselves, though both stretches sit in one stored file: the
        // seconds from 61 s (after the event at 60.5 s) to 10 860 s (the second of the next event).
        let gapStart = Time.formatISO8601(at(61)), gapEnd = Time.formatISO8601(at(10_860))
        #expect(manifest.source?.gaps == [[gapStart, gapEnd]], "\(String(describing: manifest.source))")
    }
}

/// An outage inside one stored file: the file's bounds cover the request, the events do not.
@Suite struct OutageInsideAFileTests {
    @Test func aPeriodWithoutEventsIsNoDataEvenInsideAFile() throws {
        let store = try RawStore(root: scratchDirectory(), format: ParquetFormat())
        var stamper = Stamper()
        let events = (Array(0...60) + Array(700...760)).map { k in
            stamper.stamp(
                UnstampedEvent(symbol: "BTCUSDT", body: .trade(Trade(price: 100, size: 1, side: .buy, tradeId: "t\(k)"))),
                at: at(Double(k) + 0.5))
        }
        store.append(events)
        try store.sync()
        try store.flush()
        #expect(try store.coverage(symbol: "BTCUSDT").contains { $0.lowerBound <= at(100) && $0.upperBound >= at(600) })
        var config = DatasetConfig(symbol: "BTCUSDT", splits: .explicit(periods: [("train", at(100), at(600))], embargo: 0))
        config.targets.horizons = [60 * Time.nanosPerSecond]
        #expect(throws: DatasetBuildError.self) {
            try DatasetBuilder(
                config: config, registry: .bundledDefault, store: store, outputDirectory: scratchDirectory(), datasetId: "x",
                createdAt: base
            ).build()
        }
    }
}
