public import MarketData

/// Proves the absence of leakage, row by row and period by period (features.md §4–§5):
/// a row's features read only events with `recv_ts <= t`, its targets only the state at
/// `t + h` (`t < t + h <= t + h_max`), and no label of an earlier split reaches into a later one.
public struct LeakageChecker {
    public struct Report: Sendable {
        public var enabled: Bool
        public var rowsChecked: Int
        public var violations: [String]
        /// Period checks performed, with their outcome.
        public var checks: [(name: String, passed: Bool)]
    }

    let config: DatasetConfig
    public private(set) var rowsChecked = 0
    public private(set) var violations: [String] = []

    public init(config: DatasetConfig) { self.config = config }

    /// Checks one row: `lastEventTs` is the newest event its features saw; `targetTimes` the
    /// instants its targets read.
    public mutating func checkRow(t: Nanos, lastEventTs: Nanos, targetTimes: [Nanos]) {
        rowsChecked += 1
        if lastEventTs > t {
            violations.append("row \(Time.formatISO8601(t)): features saw an event at \(Time.formatISO8601(lastEventTs)), after t")
        }
        for target in targetTimes where target <= t || target > t + config.maxHorizon {
            violations.append("row \(Time.formatISO8601(t)): a target reads \(Time.formatISO8601(target)), outside (t, t + h_max]")
        }
    }

    func finish(sink: SplitSink) -> Report {
        var checks: [(String, Bool)] = []
        var problems = violations
        let hMax = config.maxHorizon
        func ordered(_ earlier: SplitSink.Output?, _ laterStart: Nanos, _ label: String) {
            guard let earlier, earlier.rows > 0 else { return }
            let passed = earlier.maxT + hMax < laterStart
            checks.append((label, passed))
            if !passed {
                problems.append(
                    "\(label): the last \(earlier.name) row at \(Time.formatISO8601(earlier.maxT)) has a label past "
                        + "\(Time.formatISO8601(laterStart))"
                )
            }
        }
        switch config.splits {
        case .explicit(let periods, _):
            let order = ["train", "validation", "test"]
            let sorted = periods.sorted { order.firstIndex(of: $0.name)! < order.firstIndex(of: $1.name)! }
            for (a, b) in zip(sorted, sorted.dropFirst()) {
                ordered(sink.outputs[a.name], b.start, "\(a.name) purged before \(b.name)")
                if let later = sink.outputs[b.name], later.rows > 0, let earlier = sink.outputs[a.name], earlier.rows > 0 {
                    let passed = earlier.maxT < later.minT
                    checks.append(("\(a.name) before \(b.name)", passed))
                    if !passed { problems.append("\(a.name) rows are not all before \(b.name) rows") }
                }
            }
        case .walkForward:
            for (k, fold) in sink.folds.enumerated() {
                ordered(
                    sink.outputs["fold_\(k)_train"], fold.validation.lowerBound, "fold \(k): train purged before \(fold.validationName)")
            }
        case .random:
            checks.append(("random split (explicitly allowed): periods interleave by design", true))
        }
        return Report(enabled: config.leakageCheck, rowsChecked: rowsChecked, violations: problems, checks: checks)
    }
}
