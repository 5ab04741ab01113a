public import MarketData

/// What to build: one symbol or several, targets, and how rows are split (features.md §4–§5).
///
/// With several symbols every split file holds the rows of each symbol in the order the
/// symbols are listed, each symbol's rows in time order (the `symbol` column tells them apart);
/// splits, purging and embargo apply to row times exactly as for one symbol.
public struct DatasetConfig: Sendable, Equatable {
    public enum TargetType: String, Sendable, CaseIterable, Equatable {
        case `return`, logReturn = "log_return", direction, sharpe
    }

    public struct Targets: Sendable, Equatable {
        public var types: [TargetType] = [.return]
        /// Horizons in ns (whole seconds, 1 min to 1 h by default policy).
        public var horizons: [Nanos] = [60 * Time.nanosPerSecond]
        public var threshold: Double = 0.001
        public var volWindow: Nanos = 300 * Time.nanosPerSecond
        public init() {}
    }

    public enum Splits: Sendable, Equatable {
        /// Half-open periods `[start, end)` of row times, by split name (train, validation, test).
        case explicit(periods: [(name: String, start: Nanos, end: Nanos)], embargo: Nanos)
        case walkForward(
            start: Nanos, end: Nanos, trainWindow: Nanos, validationWindow: Nanos, step: Nanos,
            minTrainSamples: Int, lastFoldIsTest: Bool, embargo: Nanos)
        case random(start: Nanos, end: Nanos, seed: UInt64, fractions: [(name: String, fraction: Double)])

        public static func == (a: Splits, b: Splits) -> Bool { "\(a)" == "\(b)" }
    }

    /// The symbols, in the order their rows appear in every split file (at least one, no repeats).
    public var symbols: [String]
    /// The one symbol, or the symbols joined by commas (the `symbol` of the dataset record and the
    /// manifest); setting it builds that one symbol.
    public var symbol: String {
        get { symbols.joined(separator: ",") }
        set { symbols = [newValue] }
    }
    public var targets = Targets()
    public var splits: Splits
    /// Row spacing on the 1 s grid.
    public var sampleEvery: Nanos = Time.nanosPerSecond
    public var leakageCheck = true
    /// Random splits must be asked for explicitly: they mix future and past.
    public var allowRandomSplit = false
    /// Registry version the caller expects (checked against the one in force when given).
    public var registryVersion: String?

    public init(symbol: String, splits: Splits) {
        self.symbols = [symbol]
        self.splits = splits
    }

    /// A build over several symbols.
    public init(symbols: [String], splits: Splits) {
        self.symbols = symbols
        self.splits = splits
    }

    /// The most symbols one request may list.
    public static let maxSymbols = 100

    /// The longest duration accepted anywhere in a request (windows, steps, embargo): with instants
    /// kept within 2000–2100, sums of a few of them cannot overflow.
    public static let maxDuration: Nanos = 3_660 * Time.nanosPerDay

    /// The longest horizon.
    public var maxHorizon: Nanos { targets.horizons.max() ?? 0 }

    /// The whole range of row times `[start, end)`.
    public var rowRange: (start: Nanos, end: Nanos) {
        switch splits {
        case .explicit(let periods, _): (periods.map(\.start).min() ?? 0, periods.map(\.end).max() ?? 0)
        case .walkForward(let start, let end, _, _, _, _, _, _): (start, end)
        case .random(let start, let end, _, _): (start, end)
        }
    }
}

/// A configuration that cannot be built, with every reason (rejected before any work starts).
public struct DatasetConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    public var problems: [String]
    public var description: String { "dataset request rejected:\n" + problems.map { "  - \($0)" }.joined(separator: "\n") }
}

extension DatasetConfig {
    /// Parses the JSON form (the CLI file and the `POST /dataset/build` body):
    /// ```json
    /// {"symbol": "BTCUSDT", "sample_every": "1s", "leakage_check": true,  (or "symbols": ["BTCUSDT", "ETHUSDT"])
    ///  "targets": {"types": ["return", "direction", "sharpe"], "horizons": ["1m", "5m"], "threshold": 0.001, "vol_window": "5m"},
    ///  "splits": {"strategy": "explicit", "embargo": "0s",
    ///             "periods": {"train": ["2026-01-01T00:00:00Z", "2026-01-20T00:00:00Z"], "validation": [...], "test": [...]}}}
    /// ```
    /// Walk-forward: `{"strategy": "walk_forward", "start", "end", "train_window", "validation_window", "step",
    /// "min_train_samples", "last_fold_test", "embargo"}`; random: `{"strategy": "random", "start", "end", "seed",
    /// "fractions": {"train": 0.7, ...}}` with `"allow_random_split": true` at the top level.
    public static func parse(json text: String) throws(DatasetConfigError) -> DatasetConfig {
        let root: JSONValue
        do { root = try JSONParser.parse(text) } catch { throw DatasetConfigError(problems: ["not valid JSON: \(error)"]) }
        var problems: [String] = []
        func string(_ value: JSONValue?, _ path: String) -> String? {
            if case .string(let s)? = value { return s }
            if value != nil { problems.append("\(path): expected a string") }
            return nil
        }
        func time(_ value: JSONValue?, _ path: String) -> Nanos? {
            guard let text = string(value, path) else { problems.append("\(path): missing timestamp"); return nil }
            guard let t = Time.parseISO8601(text) else {
                problems.append("\(path): not an ISO-8601 timestamp: '\(text.prefix(40))'")
                return nil
            }
            guard Time.isAccepted(t) else {
                problems.append("\(path): '\(text.prefix(40))' is not \(Time.acceptedRangeText)")
                return nil
            }
            return t
        }
        func duration(_ value: JSONValue?, _ path: String, default fallback: Nanos? = nil) -> Nanos? {
            guard let value else {
                if fallback == nil { problems.append("\(path): missing") }
                return fallback
            }
            if case .string(let text) = value, text == "0s" || text == "0" { return 0 }
            guard let text = string(value, path), let d = Time.parseDuration(text) else {
                problems.append("\(path): malformed duration (forms: 500ms, 3s, 1m, 1h, 1d)")
                return fallback
            }
            guard d <= maxDuration else {
                problems.append("\(path): \(text.prefix(40)) is longer than \(Time.formatDuration(maxDuration))")
                return fallback
            }
            return d
        }
        func number(_ value: JSONValue?, _ path: String) -> Double? {
            guard let value else { return nil }
            guard case .number(let text) = value, let n = Double(text), n.isFinite else {
                problems.append("\(path): expected a finite number")
                return nil
            }
            return n
        }
        /// A whole number within `range` (JSON numbers are text here, so no Double detour).
        func integer<T: FixedWidthInteger>(_ value: JSONValue?, _ path: String, _ range: ClosedRange<T>, default fallback: T) -> T {
            guard let value else { return fallback }
            guard case .number(let text) = value, let n = T(text), range.contains(n) else {
                problems.append("\(path): expected a whole number from \(range.lowerBound) to \(range.upperBound)")
                return fallback
            }
            return n
        }
        func bool(_ value: JSONValue?, _ fallback: Bool) -> Bool { if case .bool(let b)? = value { b } else { fallback } }

        guard case .object = root else { throw DatasetConfigError(problems: ["expected a JSON object"]) }
        var symbols: [String] = []
        if let list = root["symbols"] {
            if root["symbol"] != nil { problems.append("symbol, symbols: give one of them, not both") }
            if case .array(let items) = list, !items.isEmpty, items.count <= maxSymbols {
                for (index, item) in items.enumerated() {
                    guard let symbol = string(item, "symbols[\(index)]") else { continue }
                    if !Symbols.isValid(symbol) {
                        problems.append("symbols[\(index)]: invalid '\(symbol.prefix(40))'")
                    } else if symbols.contains(symbol) {
                        problems.append("symbols[\(index)]: \(symbol) is listed twice")
                    } else {
                        symbols.append(symbol)
                    }
                }
            } else {
                problems.append("symbols: expected a list of 1 to \(maxSymbols) symbols")
            }
        } else {
            let symbol = string(root["symbol"], "symbol") ?? ""
            if symbol.isEmpty {
                problems.append("symbol: missing (or symbols: [...])")
            } else if !Symbols.isValid(symbol) {
                problems.append("symbol: invalid '\(symbol.prefix(40))'")
            } else {
                symbols = [symbol]
            }
        }
        var targets = Targets()
        if let t = root["targets"] {
            if case .array(let list)? = t["types"] {
                targets.types = []
                for item in list {
                    if case .string(let name) = item, let type = TargetType(rawValue: name) {
                        targets.types.append(type)
                    } else {
                        problems.append(
                            "targets.types: unknown target \(JSONText.serialize(item).prefix(40)) (return, log_return, direction, sharpe)")
                    }
                }
            }
            if case .array(let list)? = t["horizons"] {
                targets.horizons = list.enumerated().compactMap { duration($0.element, "targets.horizons[\($0.offset)]") }
            } else if let single = t["horizon"] {
                targets.horizons = [duration(single, "targets.horizon")].compactMap { $0 }
            }
            if let threshold = number(t["threshold"], "targets.threshold") { targets.threshold = threshold }
            targets.volWindow = duration(t["vol_window"], "targets.vol_window", default: targets.volWindow) ?? targets.volWindow
        }
        let splitsNode = root["splits"] ?? root["split"]
        var splits: Splits = .explicit(periods: [], embargo: 0)
        switch splitsNode.flatMap({ string($0["strategy"], "splits.strategy") }) ?? "explicit" {
        case "explicit":
            var periods: [(String, Nanos, Nanos)] = []
            if case .object(let members)? = splitsNode?["periods"] {
                for name in ["train", "validation", "test"] {
                    guard let pair = members[name] else { continue }
                    guard case .array(let bounds) = pair, bounds.count == 2 else {
                        problems.append("splits.periods.\(name): expected [start, end]"); continue
                    }
                    if let start = time(bounds[0], "splits.periods.\(name)[0]"), let end = time(bounds[1], "splits.periods.\(name)[1]") {
                        periods.append((name, start, end))
                    }
                }
                for key in members.keys where !["train", "validation", "test"].contains(key) {
                    problems.append("splits.periods.\(key.prefix(40)): unknown split")
                }
            } else {
                problems.append("splits.periods: missing (an object with train/validation/test periods)")
            }
            splits = .explicit(periods: periods, embargo: duration(splitsNode?["embargo"], "splits.embargo", default: 0) ?? 0)
        case "walk_forward":
            let node = splitsNode!
            splits = .walkForward(
                start: time(node["start"], "splits.start") ?? 0, end: time(node["end"], "splits.end") ?? 0,
                trainWindow: duration(node["train_window"], "splits.train_window") ?? 0,
                validationWindow: duration(node["validation_window"], "splits.validation_window") ?? 0,
                step: duration(node["step"], "splits.step") ?? 0,
                minTrainSamples: integer(node["min_train_samples"], "splits.min_train_samples", 0...1_000_000_000, default: 1),
                lastFoldIsTest: bool(node["last_fold_test"], false),
                embargo: duration(node["embargo"], "splits.embargo", default: 0) ?? 0)
        case "random":
            let node = splitsNode!
            var fractions: [(String, Double)] = []
            if case .object(let members)? = node["fractions"] {
                for name in ["train", "validation", "test"] {
                    if let f = number(members[name], "splits.fractions.\(name)") { fractions.append((name, f)) }
                }
            } else {
                fractions = [("train", 0.7), ("validation", 0.15), ("test", 0.15)]
            }
            splits = .random(
                start: time(node["start"], "splits.start") ?? 0, end: time(node["end"], "splits.end") ?? 0,
                seed: integer(node["seed"], "splits.seed", 0...UInt64.max, default: 42), fractions: fractions)
        case let other:
            problems.append("splits.strategy: unknown '\(other)' (explicit, walk_forward, random)")
        }
        var config = DatasetConfig(symbols: symbols, splits: splits)
        config.targets = targets
        config.sampleEvery = duration(root["sample_every"], "sample_every", default: Time.nanosPerSecond) ?? Time.nanosPerSecond
        config.leakageCheck = bool(root["leakage_check"], true)
        config.allowRandomSplit = bool(root["allow_random_split"], false)
        config.registryVersion = string(root["registry_version"], "registry_version")
        problems += config.validationProblems()
        guard problems.isEmpty else { throw DatasetConfigError(problems: problems) }
        return config
    }

    /// Everything that would make the dataset wrong or leaky, found before the build starts.
    public func validationProblems() -> [String] {
        var problems: [String] = []
        let second = Time.nanosPerSecond
        if symbols.isEmpty { problems.append("symbols: at least one symbol is needed") }
        if Set(symbols).count != symbols.count { problems.append("symbols: a symbol is listed twice") }
        if targets.types.isEmpty { problems.append("targets.types: at least one target is needed") }
        if targets.horizons.isEmpty { problems.append("targets.horizons: at least one horizon is needed") }
        for h in targets.horizons where h % second != 0 || h <= 0 {
            problems.append("targets.horizons: \(Time.formatDuration(h)) is not a positive whole number of seconds")
        }
        for h in targets.horizons where h > 86_400 * second {
            problems.append("targets.horizons: \(Time.formatDuration(h)) is longer than a day")
        }
        if !(targets.threshold >= 0) { problems.append("targets.threshold: must be >= 0") }
        if targets.volWindow % second != 0 || targets.volWindow < 2 * second {
            problems.append("targets.vol_window: must be whole seconds, at least 2s")
        }
        if sampleEvery % second != 0 || sampleEvery <= 0 { problems.append("sample_every: must be a positive whole number of seconds") }
        switch splits {
        case .explicit(let periods, let embargo):
            if periods.isEmpty { problems.append("splits.periods: no period given") }
            for p in periods where p.start >= p.end { problems.append("splits.periods.\(p.name): start must be before end") }
            // Rows are at whole-second grid points: a bound with a fraction of a second would
            // silently select no rows at all.
            for p in periods where p.start % second != 0 || p.end % second != 0 {
                problems.append(
                    "splits.periods.\(p.name): start and end must be whole seconds (rows are at whole-second grid points), got "
                        + "\(Time.formatISO8601(p.start)) and \(Time.formatISO8601(p.end))")
            }
            let order = ["train", "validation", "test"]
            let sorted = periods.sorted { order.firstIndex(of: $0.name)! < order.firstIndex(of: $1.name)! }
            for (a, b) in zip(sorted, sorted.dropFirst()) where a.end > b.start {
                problems.append(
                    "splits.periods: \(a.name) [..., \(Time.formatISO8601(a.end))) overlaps or follows \(b.name) "
                        + "starting \(Time.formatISO8601(b.start)): periods must be in order train < validation < test without overlap"
                )
            }
            if embargo < 0 { problems.append("splits.embargo: must not be negative") }
        case .walkForward(let start, let end, let train, let validation, let step, let minTrain, _, let embargo):
            if start >= end { problems.append("splits: start must be before end") }
            if [start, end, train, validation, step].contains(where: { $0 % second != 0 }) {
                problems.append("splits: start, end, train_window, validation_window and step must be whole seconds")
            }
            if train <= 0 || validation <= 0 || step <= 0 {
                problems.append("splits: train_window, validation_window and step must be positive")
            }
            if start + train + validation > end { problems.append("splits: not even one fold fits between start and end") }
            if minTrain < 0 { problems.append("splits.min_train_samples: must not be negative") }
            if embargo < 0 { problems.append("splits.embargo: must not be negative") }
        case .random(let start, let end, _, let fractions):
            if !allowRandomSplit {
                problems.append(
                    "splits.strategy random mixes past and future rows (leakage): set \"allow_random_split\": true to ask for it explicitly"
                )
            }
            if start >= end { problems.append("splits: start must be before end") }
            if start % second != 0 || end % second != 0 { problems.append("splits: start and end must be whole seconds") }
            let total = fractions.reduce(0) { $0 + $1.fraction }
            if fractions.isEmpty || fractions.contains(where: { $0.fraction < 0 }) || abs(total - 1) > 1e-9 {
                problems.append("splits.fractions: must be non-negative and add up to 1")
            }
        }
        return problems
    }
}
