import Synchronization

/// A histogram of durations with fixed Prometheus buckets (seconds), safe to share. (Not the
/// data-quality `Quality.LatencyHistogram`, which is a value kept in minute buckets.)
public final class SecondsHistogram: Sendable {
    public static let defaultBounds: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.07, 0.1, 0.25, 0.5, 1, 2.5]
    public let bounds: [Double]
    private let state: Mutex<(counts: [Int], sum: Double, count: Int)>

    public init(bounds: [Double] = SecondsHistogram.defaultBounds) {
        self.bounds = bounds
        state = Mutex((Array(repeating: 0, count: bounds.count), 0, 0))
    }

    public func observe(seconds: Double) {
        state.withLock { s in
            if let index = bounds.firstIndex(where: { seconds <= $0 }) { s.counts[index] += 1 }
            s.sum += seconds
            s.count += 1
        }
    }

    /// Prometheus text lines for metric `name`.
    public func render(name: String, help: String) -> String {
        let (counts, sum, count) = state.withLock { ($0.counts, $0.sum, $0.count) }
        var out = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        var cumulative = 0
        for (bound, c) in zip(bounds, counts) {
            cumulative += c
            out += "\(name)_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        out += "\(name)_bucket{le=\"+Inf\"} \(count)\n\(name)_sum \(sum)\n\(name)_count \(count)\n"
        return out
    }

    public var count: Int { state.withLock { $0.count } }
}

