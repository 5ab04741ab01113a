import FeatureEngine
import Foundation
public import MarketData

/// `manifest.json` of a built dataset: what was built from what, and the proof it does not leak.
public struct DatasetManifest: Sendable {
    public struct Split: Sendable {
        public var name: String
        public var rows: Int
        public var start: Nanos?
        public var end: Nanos?
        public var file: String
    }

    /// What the replay of one symbol saw (summed over its tasks in a distributed build).
    public struct SymbolSource: Sendable {
        public var symbol: String
        public var coverage: [ClosedRange<Nanos>]
        public var gaps: [(start: Nanos, end: Nanos)]
        public var quietPeriods: [(start: Nanos, end: Nanos)]
        public var eventsRead: Int
        public var droppedAtEnd: Int
        public var lastGrid: Nanos?
    }

    public var id: String
    public var symbol: String
    public var splits: [Split]
    /// What `manifest.json` holds.
    public var document: DatasetManifestDocument
    /// The text of `manifest.json`: ``document`` pretty-printed, keys sorted.
    public var json: String

    /// - Parameter createdAt: the build's time, from the caller's clock.
    static func make(
        id: String, config: DatasetConfig, registry: FeatureRegistry, sink: SplitSink, files: [String: String],
        sources: [SymbolSource], leakage: LeakageChecker.Report, buildSeconds: Double, createdAt: Nanos
    ) throws -> DatasetManifest {
        typealias Document = DatasetManifestDocument
        func iso(_ t: Nanos) -> String { Time.formatISO8601(t) }
        func duration(_ t: Nanos) -> String { Time.formatDuration(t) }
        func unique<Value>(_ pairs: [(String, Value)]) -> [String: Value] {
            Dictionary(pairs, uniquingKeysWith: { first, _ in first })
        }
        var splits: [Split] = []
        for name in sink.outputOrder {
            guard let out = sink.outputs[name], let file = files[name] else { continue }
            let empty = out.rows == 0
            splits.append(Split(name: name, rows: out.rows, start: empty ? nil : out.minT, end: empty ? nil : out.maxT, file: file))
        }
        let columns = sink.schema.columns.map(\.name)
        let (start, end) = config.rowRange
        // Gaps come from the events themselves (runs of 5 s or more without any event inside the
        // rows' range, as the data-quality report counts them), not from file bounds: an outage
        // inside one file is a gap too. A quiet period (no rows: silent longer than quiet_limit)
        // lies inside one of them and is listed on its own as well.
        var document = Document(
            datasetId: id, symbol: config.symbol, createdAt: iso(createdAt), buildSeconds: buildSeconds,
            registry: .init(version: registry.version, contentHash: registry.contentHash),
            targets: .init(
                types: config.targets.types.map(\.rawValue), horizons: config.targets.horizons.map(duration),
                threshold: config.targets.threshold, volWindow: duration(config.targets.volWindow)),
            sampleEvery: duration(config.sampleEvery), period: .init(start: iso(start), end: iso(end)),
            splitStrategy: "", randomSplit: false,
            splitsInfo: unique(
                splits.map { split in
                    (
                        split.name,
                        Document.SplitInfo(rows: split.rows, start: split.start.map(iso), end: split.end.map(iso), file: split.file)
                    )
                }),
            rows: sink.totalRows, purgedRows: sink.purged, embargoedRows: sink.embargoed,
            droppedRowsPastLastEvent: sources.reduce(0) { $0 + $1.droppedAtEnd },
            columns: columns,
            nullCounts: unique(
                splits.compactMap { split in
                    sink.outputs[split.name].map { (split.name, unique(Array(zip(columns, $0.nullCounts)))) }
                }),
            source: nil,
            leakageCheck: .init(
                enabled: leakage.enabled, rowsChecked: leakage.rowsChecked, passed: leakage.violations.isEmpty,
                violations: Array(leakage.violations.prefix(100)),
                checks: leakage.checks.map { .init(check: $0.name, passed: $0.passed) }))
        func source(_ s: SymbolSource) -> Document.Source {
            .init(
                eventsRead: s.eventsRead, lastGridPoint: iso(s.lastGrid ?? .min),
                coverage: s.coverage.map { [iso($0.lowerBound), iso($0.upperBound)] },
                gaps: s.gaps.map { [iso($0.start), iso($0.end)] }, quietLimit: duration(registry.quietLimit),
                quietPeriods: s.quietPeriods.map { [iso($0.start), iso($0.end)] })
        }
        if config.symbols.count == 1, let only = sources.first {
            document.source = source(only)
        } else {
            // Several symbols: the list, and what each replay saw by symbol.
            document.symbols = config.symbols
            document.sources = unique(sources.map { ($0.symbol, source($0)) })
        }
        switch config.splits {
        case .explicit(let periods, let embargo):
            document.splitStrategy = "explicit"
            document.embargo = duration(embargo)
            document.periods = unique(periods.map { ($0.name, [iso($0.start), iso($0.end)]) })
        case .walkForward(let s, let e, let train, let validation, let step, let minTrain, let lastTest, let embargo):
            document.splitStrategy = "walk_forward"
            document.walkForward = .init(
                start: iso(s), end: iso(e), trainWindow: duration(train),
                validationWindow: duration(validation), step: duration(step),
                minTrainSamples: minTrain, lastFoldTest: lastTest, embargo: duration(embargo))
            document.folds = sink.folds.enumerated().map { k, fold in
                .init(
                    fold: k, train: [iso(fold.train.lowerBound), iso(fold.train.upperBound)], validationName: fold.validationName,
                    validation: [iso(fold.validation.lowerBound), iso(fold.validation.upperBound)])
            }
            document.skippedFolds = sink.skippedFolds.map {
                .init(fold: $0.fold, trainRows: $0.trainRows, reason: "fewer than min_train_samples train rows")
            }
        case .random(let s, let e, let seed, let fractions):
            document.splitStrategy = "random"
            document.randomSplit = true
            document.random = .init(start: iso(s), end: iso(e), seed: seed, fractions: unique(fractions.map { ($0.name, $0.fraction) }))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
        return DatasetManifest(id: id, symbol: config.symbol, splits: splits, document: document, json: json)
    }
}

/// The content of `manifest.json`. Keys are snake_case; the members of the split strategy used
/// are present, the others absent; an empty split's start and end are null.
public struct DatasetManifestDocument: Codable, Sendable, Equatable {
    /// The registry the features were computed with.
    public struct Registry: Codable, Sendable, Equatable {
        public var version: String
        public var contentHash: String

        enum CodingKeys: String, CodingKey {
            case version
            case contentHash = "content_hash"
        }
    }

    /// The target configuration (durations as `5s`, `1m`).
    public struct Targets: Codable, Sendable, Equatable {
        public var types: [String]
        public var horizons: [String]
        public var threshold: Double
        public var volWindow: String

        enum CodingKeys: String, CodingKey {
            case types, horizons, threshold
            case volWindow = "vol_window"
        }
    }

    /// A range of row times, ISO 8601.
    public struct Period: Codable, Sendable, Equatable {
        public var start: String
        public var end: String
    }

    /// The walk-forward configuration.
    public struct WalkForward: Codable, Sendable, Equatable {
        public var start: String
        public var end: String
        public var trainWindow: String
        public var validationWindow: String
        public var step: String
        public var minTrainSamples: Int
        public var lastFoldTest: Bool
        public var embargo: String

        enum CodingKeys: String, CodingKey {
            case start, end, step, embargo
            case trainWindow = "train_window"
            case validationWindow = "validation_window"
            case minTrainSamples = "min_train_samples"
            case lastFoldTest = "last_fold_test"
        }
    }

    /// One walk-forward fold: `{"fold", "train": [start, end], "validation" or "test": [start, end]}`.
    public struct Fold: Codable, Sendable, Equatable {
        public var fold: Int
        public var train: [String]
        /// `validation`, or `test` for the last fold when it is a test fold: the key of ``validation``.
        public var validationName: String
        public var validation: [String]

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(fold: Int, train: [String], validationName: String, validation: [String]) {
            self.fold = fold
            self.train = train
            self.validationName = validationName
            self.validation = validation
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            fold = try container.decode(Int.self, forKey: Key(stringValue: "fold"))
            train = try container.decode([String].self, forKey: Key(stringValue: "train"))
            validationName = container.contains(Key(stringValue: "test")) ? "test" : "validation"
            validation = try container.decode([String].self, forKey: Key(stringValue: validationName))
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(fold, forKey: Key(stringValue: "fold"))
            try container.encode(train, forKey: Key(stringValue: "train"))
            try container.encode(validation, forKey: Key(stringValue: validationName))
        }
    }

    /// A fold left out for having too few train rows.
    public struct SkippedFold: Codable, Sendable, Equatable {
        public var fold: Int
        public var trainRows: Int
        public var reason: String

        enum CodingKeys: String, CodingKey {
            case fold, reason
            case trainRows = "train_rows"
        }
    }

    /// The random split's configuration.
    public struct Random: Codable, Sendable, Equatable {
        public var start: String
        public var end: String
        public var seed: UInt64
        public var fractions: [String: Double]
    }

    /// One output split (one file).
    public struct SplitInfo: Codable, Sendable, Equatable {
        public var rows: Int
        public var start: String?
        public var end: String?
        public var file: String

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(rows, forKey: .rows)
            try container.encode(start, forKey: .start)
            try container.encode(end, forKey: .end)
            try container.encode(file, forKey: .file)
        }
    }

    /// What was read: events, coverage of the stored files, gaps and quiet periods found in the events.
    public struct Source: Codable, Sendable, Equatable {
        public var eventsRead: Int
        public var lastGridPoint: String
        public var coverage: [[String]]
        public var gaps: [[String]]
        public var quietLimit: String
        public var quietPeriods: [[String]]

        enum CodingKeys: String, CodingKey {
            case coverage, gaps
            case eventsRead = "events_read"
            case lastGridPoint = "last_grid_point"
            case quietLimit = "quiet_limit"
            case quietPeriods = "quiet_periods"
        }
    }

    /// The leakage check's outcome.
    public struct LeakageCheck: Codable, Sendable, Equatable {
        /// One period check performed, with its outcome.
        public struct Check: Codable, Sendable, Equatable {
            public var check: String
            public var passed: Bool
        }

        public var enabled: Bool
        public var rowsChecked: Int
        public var passed: Bool
        /// The first 100 violations.
        public var violations: [String]
        public var checks: [Check]

        enum CodingKeys: String, CodingKey {
            case enabled, passed, violations, checks
            case rowsChecked = "rows_checked"
        }
    }

    public var datasetId: String
    /// Always `ready`: a manifest is written only for a finished build.
    public var status = "ready"
    public var symbol: String
    public var createdAt: String
    public var buildSeconds: Double
    public var registry: Registry
    public var targets: Targets
    public var sampleEvery: String
    public var period: Period
    /// `explicit`, `walk_forward` or `random`.
    public var splitStrategy: String
    public var randomSplit: Bool
    /// Explicit periods: the embargo and the periods by split name.
    public var embargo: String?
    public var periods: [String: [String]]?
    /// Walk-forward: its configuration, the folds and the skipped folds.
    public var walkForward: WalkForward?
    public var folds: [Fold]?
    public var skippedFolds: [SkippedFold]?
    /// Random split: its configuration.
    public var random: Random?
    public var splitsInfo: [String: SplitInfo]
    public var rows: Int
    public var purgedRows: [String: Int]
    public var embargoedRows: [String: Int]
    public var droppedRowsPastLastEvent: Int
    /// The Parquet columns, in file order.
    public var columns: [String]
    /// By split, then by column.
    public var nullCounts: [String: [String: Int]]
    /// What was read (one symbol).
    public var source: Source?
    /// Several symbols: the symbols in row order, and what was read by symbol (`source` is then absent).
    public var symbols: [String]?
    public var sources: [String: Source]?
    public var leakageCheck: LeakageCheck

    enum CodingKeys: String, CodingKey {
        case status, symbol, symbols, registry, targets, period, embargo, periods, folds, random, rows, columns, source, sources
        case datasetId = "dataset_id"
        case createdAt = "created_at"
        case buildSeconds = "build_seconds"
        case sampleEvery = "sample_every"
        case splitStrategy = "split_strategy"
        case randomSplit = "random_split"
        case walkForward = "walk_forward"
        case skippedFolds = "skipped_folds"
        case splitsInfo = "splits_info"
        case purgedRows = "purged_rows"
        case embargoedRows = "embargoed_rows"
        case droppedRowsPastLastEvent = "dropped_rows_past_last_event"
        case nullCounts = "null_counts"
        case leakageCheck = "leakage_check"
    }
}
