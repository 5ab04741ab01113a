import Foundation
import FeatureEngine
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

    public var id: String
    public var symbol: String
    public var splits: [Split]
    public var json: String

    static func make(id: String, config: DatasetConfig, registry: FeatureRegistry, sink: SplitSink, files: [String: String],
                     coverage: [ClosedRange<Nanos>], missingPeriods: [(start: Nanos, end: Nanos)] = [],
                     quietPeriods: [(start: Nanos, end: Nanos)] = [],
                     leakage: LeakageChecker.Report, eventsRead: Int, droppedAtEnd: Int,
                     lastGrid: Nanos, buildSeconds: Double) -> DatasetManifest {
        func str(_ s: String) -> String { var out = ""; JSONText.appendString(s, to: &out); return out }
        func iso(_ t: Nanos?) -> String { t.map { "\"\(Time.formatISO8601($0))\"" } ?? "null" }
        var splits: [Split] = []
        for name in sink.outputOrder {
            guard let out = sink.outputs[name], let file = files[name] else { continue }
            splits.append(Split(name: name, rows: out.rows, start: out.rows > 0 ? out.minT : nil, end: out.rows > 0 ? out.maxT : nil, file: file))
        }
        let columns = sink.schema.columns.map(\.name)
        var json = "{\n  \"dataset_id\": \(str(id)),\n  \"status\": \"ready\",\n  \"symbol\": \(str(config.symbol)),\n"
        json += "  \"created_at\": \(iso(Nanos(Date().timeIntervalSince1970 * 1e9))),\n  \"build_seconds\": \(buildSeconds),\n"
        json += "  \"registry\": {\"version\": \(str(registry.version)), \"content_hash\": \(str(registry.contentHash))},\n"
        json += "  \"targets\": {\"types\": [\(config.targets.types.map { str($0.rawValue) }.joined(separator: ", "))], "
        json += "\"horizons\": [\(config.targets.horizons.map { str(Time.formatDuration($0)) }.joined(separator: ", "))], "
        json += "\"threshold\": \(config.targets.threshold), \"vol_window\": \(str(Time.formatDuration(config.targets.volWindow)))},\n"
        json += "  \"sample_every\": \(str(Time.formatDuration(config.sampleEvery))),\n"
        let (start, end) = config.rowRange
        json += "  \"period\": {\"start\": \(iso(start)), \"end\": \(iso(end))},\n"
        switch config.splits {
        case .explicit(let periods, let embargo):
            json += "  \"split_strategy\": \"explicit\",\n  \"random_split\": false,\n  \"embargo\": \(str(Time.formatDuration(embargo))),\n"
            json += "  \"periods\": {" + periods.map { "\(str($0.name)): [\(iso($0.start)), \(iso($0.end))]" }.joined(separator: ", ") + "},\n"
        case .walkForward(let s, let e, let train, let validation, let step, let minTrain, let lastTest, let embargo):
            json += "  \"split_strategy\": \"walk_forward\",\n  \"random_split\": false,\n"
            json += "  \"walk_forward\": {\"start\": \(iso(s)), \"end\": \(iso(e)), \"train_window\": \(str(Time.formatDuration(train))), "
            json += "\"validation_window\": \(str(Time.formatDuration(validation))), \"step\": \(str(Time.formatDuration(step))), "
            json += "\"min_train_samples\": \(minTrain), \"last_fold_test\": \(lastTest), \"embargo\": \(str(Time.formatDuration(embargo)))},\n"
            json += "  \"folds\": [" + sink.folds.enumerated().map { k, fold in
                "{\"fold\": \(k), \"train\": [\(iso(fold.train.lowerBound)), \(iso(fold.train.upperBound))], \"\(fold.validationName)\": [\(iso(fold.validation.lowerBound)), \(iso(fold.validation.upperBound))]}"
            }.joined(separator: ", ") + "],\n"
            json += "  \"skipped_folds\": [" + sink.skippedFolds.map { "{\"fold\": \($0.fold), \"train_rows\": \($0.trainRows), \"reason\": \"fewer than min_train_samples train rows\"}" }.joined(separator: ", ") + "],\n"
        case .random(let s, let e, let seed, let fractions):
            json += "  \"split_strategy\": \"random\",\n  \"random_split\": true,\n  \"random\": {\"start\": \(iso(s)), \"end\": \(iso(e)), \"seed\": \(seed), "
            json += "\"fractions\": {" + fractions.map { "\(str($0.name)): \($0.fraction)" }.joined(separator: ", ") + "}},\n"
        }
        json += "  \"splits_info\": {" + splits.map { "\(str($0.name)): {\"rows\": \($0.rows), \"start\": \(iso($0.start)), \"end\": \(iso($0.end)), \"file\": \(str($0.file))}" }.joined(separator: ", ") + "},\n"
        json += "  \"rows\": \(sink.totalRows),\n"
        json += "  \"purged_rows\": {" + sink.purged.sorted { $0.key < $1.key }.map { "\(str($0.key)): \($0.value)" }.joined(separator: ", ") + "},\n"
        json += "  \"embargoed_rows\": {" + sink.embargoed.sorted { $0.key < $1.key }.map { "\(str($0.key)): \($0.value)" }.joined(separator: ", ") + "},\n"
        json += "  \"dropped_rows_past_last_event\": \(droppedAtEnd),\n"
        json += "  \"columns\": [\(columns.map(str).joined(separator: ", "))],\n"
        json += "  \"null_counts\": {" + splits.compactMap { split -> String? in
            guard let out = sink.outputs[split.name] else { return nil }
            return "\(str(split.name)): {" + zip(columns, out.nullCounts).map { "\(str($0)): \($1)" }.joined(separator: ", ") + "}"
        }.joined(separator: ", ") + "},\n"
        // Gaps come from the events themselves (runs of 5 s or more without any event inside the
        // rows' range, as the data-quality report counts them), not from file bounds: an outage
        // inside one file is a gap too. A quiet period (no rows: silent longer than quiet_limit)
        // lies inside one of them and is listed on its own as well.
        let gaps = missingPeriods.map { ($0.start, $0.end) }
        json += "  \"source\": {\"events_read\": \(eventsRead), \"last_grid_point\": \(iso(lastGrid)), \"coverage\": ["
            + coverage.map { "[\(iso($0.lowerBound)), \(iso($0.upperBound))]" }.joined(separator: ", ") + "], \"gaps\": ["
            + gaps.map { "[\(iso($0.0)), \(iso($0.1))]" }.joined(separator: ", ") + "], \"quiet_limit\": \(str(Time.formatDuration(registry.quietLimit))), "
            + "\"quiet_periods\": [" + quietPeriods.map { "[\(iso($0.start)), \(iso($0.end))]" }.joined(separator: ", ") + "]},\n"
        json += "  \"leakage_check\": {\"enabled\": \(leakage.enabled), \"rows_checked\": \(leakage.rowsChecked), \"passed\": \(leakage.violations.isEmpty), "
        json += "\"violations\": [\(leakage.violations.prefix(100).map(str).joined(separator: ", "))], "
        json += "\"checks\": [" + leakage.checks.map { "{\"check\": \(str($0.name)), \"passed\": \($0.passed)}" }.joined(separator: ", ") + "]}\n}\n"
        return DatasetManifest(id: id, symbol: config.symbol, splits: splits, json: json)
    }
}
