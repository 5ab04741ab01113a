import FeatureEngine
import Foundation
import MarketData
import Parquet

/// Routes finished rows to their split files (features.md §5) and writes them as Parquet.
final class SplitSink {
    let config: DatasetConfig
    let registry: FeatureRegistry
    let directory: String
    let layout: Layout
    let schema: ParquetSchema
    let targetNames: [String]
    private(set) var outputs: [String: Output] = [:]
    private(set) var outputOrder: [String] = []
    private(set) var purged: [String: Int] = [:]
    private(set) var embargoed: [String: Int] = [:]
    private(set) var totalRows = 0
    private var randomRows: [DatasetRow] = []
    /// Walk-forward folds: (train range, validation range, validation split name).
    let folds: [(train: Range<Nanos>, validation: Range<Nanos>, validationName: String)]
    private(set) var skippedFolds: [(fold: Int, trainRows: Int)] = []

    final class Output {
        let name: String
        let path: String
        var writer: ParquetWriter?
        var buffer: [DatasetRow] = []
        var rows = 0
        var minT: Nanos = .max
        var maxT: Nanos = .min
        var nullCounts: [Int]
        init(name: String, path: String, columns: Int) {
            self.name = name
            self.path = path
            nullCounts = Array(repeating: 0, count: columns)
        }
    }

    /// The columns of a dataset file (split files and task parts alike) and the conversion of
    /// rows to and from them.
    struct Layout {
        let schema: ParquetSchema
        let targetNames: [String]
        let config: DatasetConfig
        let featureCount: Int

        init(config: DatasetConfig, registry: FeatureRegistry) {
            self.config = config
            featureCount = registry.features.count
            var names: [String] = []
            var columns: [ParquetColumn] = [.timestampNanos("timestamp"), .string("symbol")]
            columns += registry.names.map { ParquetColumn(name: $0, type: .double, optional: true) }
            for h in config.targets.horizons {
                for type in config.targets.types {
                    let name = "target_\(type.rawValue)_\(Time.formatDuration(h))"
                    names.append(name)
                    columns.append(
                        type == .direction ? .string(name, optional: true) : ParquetColumn(name: name, type: .double, optional: true))
                }
            }
            columns.append(
                ParquetColumn(
                    name: "last_event_ts", type: .int64, logicalType: .timestamp(unit: .nanos, utc: true), optional: false,
                    encoding: .deltaBinaryPacked))
            schema = ParquetSchema(columns)
            targetNames = names
        }

        /// The column data of `rows`; adds each column's nulls to `nullCounts`.
        func columns(_ rows: [DatasetRow], nullCounts: inout [Int]) -> [ParquetColumnData] {
            var columns: [ParquetColumnData] = [
                ParquetColumnData(.int64(rows.map(\.t))),
                ParquetColumnData(.string(rows.map(\.symbol))),
            ]
            var counted = nullCounts
            defer { nullCounts = counted }
            func count(_ nulls: Int, _ column: Int) { counted[column] += nulls }
            func doubles(_ values: [Double?], column: Int) -> ParquetColumnData {
                count(values.reduce(0) { $0 + ($1 == nil ? 1 : 0) }, column)
                return ParquetColumnData(.double(values.map { $0 ?? 0 }), validity: values.map { $0 != nil })
            }
            for index in 0..<featureCount { columns.append(doubles(rows.map { $0.features[index] }, column: 2 + index)) }
            var targetIndex = 0
            var directionIndex = 0
            var column = 2 + featureCount
            for _ in config.targets.horizons {
                for type in config.targets.types {
                    if type == .direction {
                        let values = rows.map { $0.directions[directionIndex] }
                        count(values.reduce(0) { $0 + ($1 == nil ? 1 : 0) }, column)
                        columns.append(ParquetColumnData(.string(values.map { $0 ?? "" }), validity: values.map { $0 != nil }))
                        directionIndex += 1
                    } else {
                        columns.append(doubles(rows.map { $0.targets[targetIndex] }, column: column))
                    }
                    targetIndex += 1
                    column += 1
                }
            }
            columns.append(ParquetColumnData(.int64(rows.map(\.lastEventTs))))
            return columns
        }

        /// Rows back from the columns ``columns(_:nullCounts:)`` wrote.
        func rows(_ columns: [ParquetColumnData]) throws -> [DatasetRow] {
            guard columns.count == schema.columns.count, case .int64(let times) = columns[0].values,
                case .string(let symbols) = columns[1].values, case .int64(let lastEvents) = columns[columns.count - 1].values
            else { throw DatasetPartError("unexpected column types in a dataset part") }
            func doubles(_ column: Int) throws -> [Double?] {
                guard case .double(let values) = columns[column].values else { throw DatasetPartError("column \(column) is not DOUBLE") }
                return values.indices.map { columns[column].isNull($0) ? nil : values[$0] }
            }
            func strings(_ column: Int) throws -> [String?] {
                guard case .string(let values) = columns[column].values else { throw DatasetPartError("column \(column) is not text") }
                return values.indices.map { columns[column].isNull($0) ? nil : values[$0] }
            }
            let features = try (0..<featureCount).map { try doubles(2 + $0) }
            var targets: [[Double?]] = []
            var directions: [[String?]] = []
            var column = 2 + featureCount
            for _ in config.targets.horizons {
                for type in config.targets.types {
                    if type == .direction {
                        directions.append(try strings(column))
                        targets.append(Array(repeating: nil, count: times.count))
                    } else {
                        targets.append(try doubles(column))
                    }
                    column += 1
                }
            }
            return times.indices.map { row in
                DatasetRow(
                    symbol: symbols[row], t: times[row], features: features.map { $0[row] }, targets: targets.map { $0[row] },
                    directions: directions.map { $0[row] }, lastEventTs: lastEvents[row])
            }
        }
    }

    init(config: DatasetConfig, registry: FeatureRegistry, directory: String) {
        self.config = config
        self.registry = registry
        self.directory = directory
        layout = Layout(config: config, registry: registry)
        schema = layout.schema
        targetNames = layout.targetNames
        if case .walkForward(let start, let end, let train, let validation, let step, _, let lastIsTest, _) = config.splits {
            var folds: [(Range<Nanos>, Range<Nanos>, String)] = []
            var a = start
            while a + train + validation <= end {
                folds.append((a..<(a + train), (a + train)..<(a + train + validation), "validation"))
                a += step
            }
            if lastIsTest, !folds.isEmpty { folds[folds.count - 1].2 = "test" }
            self.folds = folds
        } else {
            folds = []
        }
    }

    /// Adds a finished row to every split it belongs to (or counts it as purged/embargoed).
    func add(_ row: DatasetRow) throws {
        let t = row.t
        let hMax = config.maxHorizon
        switch config.splits {
        case .explicit(let periods, let embargo):
            let order = ["train", "validation", "test"]
            let sorted = periods.sorted { order.firstIndex(of: $0.name)! < order.firstIndex(of: $1.name)! }
            guard let index = sorted.firstIndex(where: { t >= $0.start && t < $0.end }) else { return }
            let period = sorted[index]
            // Purging: no label of an earlier split reaches into the next one.
            if index + 1 < sorted.count, t + hMax >= sorted[index + 1].start { purged[period.name, default: 0] += 1; return }
            if index > 0, t < period.start + embargo { embargoed[period.name, default: 0] += 1; return }
            try append(row, to: period.name)
        case .walkForward(_, _, _, _, _, _, _, let embargo):
            for (k, fold) in folds.enumerated() {
                if fold.train.contains(t) {
                    if t + hMax >= fold.validation.lowerBound {
                        purged["fold_\(k)_train", default: 0] += 1
                    } else {
                        try append(row, to: "fold_\(k)_train")
                    }
                } else if fold.validation.contains(t) {
                    let name = "fold_\(k)_\(fold.validationName)"
                    if t < fold.validation.lowerBound + embargo { embargoed[name, default: 0] += 1 } else { try append(row, to: name) }
                }
            }
        case .random(let start, let end, _, _):
            if t >= start && t < end { randomRows.append(row) }
        }
    }

    private func output(_ name: String) -> Output {
        if let existing = outputs[name] { return existing }
        let created = Output(name: name, path: "\(directory)/\(name).parquet", columns: schema.columns.count)
        outputs[name] = created
        outputOrder.append(name)
        return created
    }

    private func append(_ row: DatasetRow, to name: String) throws {
        let out = output(name)
        out.buffer.append(row)
        out.rows += 1
        out.minT = min(out.minT, row.t)
        out.maxT = max(out.maxT, row.t)
        totalRows += 1
        if out.buffer.count >= 8192 { try write(out) }
    }

    private func write(_ out: Output) throws {
        guard !out.buffer.isEmpty else { return }
        if out.writer == nil {
            var options = ParquetWriterOptions()
            options.compression = .zstd
            options.rowGroupRows = 100_000
            out.writer = try ParquetWriter(
                path: out.path, schema: schema, options: options,
                keyValueMetadata: [
                    "feature_service.registry_version": registry.version,
                    "feature_service.registry_hash": registry.contentHash,
                    "feature_service.split": out.name,
                ])
        }
        let columns = layout.columns(out.buffer, nullCounts: &out.nullCounts)
        try out.writer!.write(columns)
        out.buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered and closes every file; returns split name -> file name.
    func finish() throws -> [String: String] {
        if case .random(_, _, let seed, let fractions) = config.splits {
            // Shuffle with the seed, cut by fractions, keep each split in time order.
            var generator = SplitMix64(seed: seed)
            var indices = Array(randomRows.indices)
            indices.shuffle(using: &generator)
            var assignment = [Int](repeating: 0, count: randomRows.count)
            var position = 0
            for (split, entry) in fractions.enumerated() {
                let share = entry.fraction
                let count = split == fractions.count - 1 ? indices.count - position : Int((share * Double(indices.count)).rounded(.down))
                for i in indices[position..<min(indices.count, position + count)] { assignment[i] = split }
                position += count
            }
            for (i, row) in randomRows.enumerated() { try append(row, to: fractions[assignment[i]].name) }
            randomRows = []
        }
        if case .walkForward(_, _, _, _, _, let minTrain, _, _) = config.splits {
            for k in folds.indices {
                let trainRows = outputs["fold_\(k)_train"]?.rows ?? 0
                if trainRows < max(minTrain, 1) {
                    skippedFolds.append((k, trainRows))
                    for name in ["fold_\(k)_train", "fold_\(k)_\(folds[k].validationName)"] {
                        if let out = outputs.removeValue(forKey: name) {
                            totalRows -= out.rows
                            out.writer?.abort()
                            outputOrder.removeAll { $0 == name }
                        }
                    }
                }
            }
        }
        // Canonical order: by fold, then train < validation < test.
        func key(_ name: String) -> (Int, Int) {
            let rank = ["train": 0, "validation": 1, "test": 2]
            let parts = name.split(separator: "_")
            if parts.count == 3, parts[0] == "fold", let k = Int(parts[1]) { return (k, rank[String(parts[2])] ?? 3) }
            return (0, rank[name] ?? 3)
        }
        outputOrder.sort { key($0) < key($1) }
        var files: [String: String] = [:]
        for name in outputOrder {
            guard let out = outputs[name] else { continue }
            try write(out)
            if out.writer == nil {
                // An empty split still gets a file with the schema.
                out.writer = try ParquetWriter(path: out.path, schema: schema)
            }
            try out.writer!.close()
            files[name] = "\(name).parquet"
        }
        return files
    }

    func abort() {
        for out in outputs.values { out.writer?.abort() }
    }
}
