public import FeatureEngine
public import MarketData
import OrderBook

/// `feature-service replay`: a recording in, feature vectors at grid points out, no storage.
public struct ReplayRunner {
    public struct Options: Sendable {
        public var input: String
        public var output: String
        public var format: VectorFormat
        public var registry: FeatureRegistry
        public var everySeconds: Int
        public var symbols: Set<String>?
        public init(
            input: String, output: String, format: VectorFormat, registry: FeatureRegistry, everySeconds: Int = 1,
            symbols: Set<String>? = nil
        ) {
            self.input = input
            self.output = output
            self.format = format
            self.registry = registry
            self.everySeconds = everySeconds
            self.symbols = symbols
        }
    }

    /// What a replay did, printed at the end.
    public struct Summary: Sendable, CustomStringConvertible {
        public var lines = 0
        public var eventsByType: [EventType: Int] = [:]
        public var malformed: [(line: Int, error: DecodeError)] = []
        public var desyncs = 0
        public var vectorsWritten = 0
        public var symbols: [String] = []

        public var description: String {
            var out = "replay summary:\n"
            out += "  lines read:      \(lines)\n"
            let total = eventsByType.values.reduce(0, +)
            out += "  events applied:  \(total)"
            let parts = EventType.allCases.compactMap { type in eventsByType[type].map { "\(type.rawValue) \($0)" } }
            out += parts.isEmpty ? "\n" : " (\(parts.joined(separator: ", ")))\n"
            out += "  malformed lines: \(malformed.count)\n"
            out += "  book desyncs:    \(desyncs)\n"
            out += "  symbols:         \(symbols.joined(separator: ", "))\n"
            out += "  vectors written: \(vectorsWritten)\n"
            return out
        }
    }

    public let options: Options
    public init(options: Options) { self.options = options }

    /// Runs the replay; malformed lines are reported through `report` with their line numbers.
    public func run(report: (String) -> Void = { _ in }) throws -> Summary {
        guard options.everySeconds > 0 else { throw CLIError("--every must be a positive number of seconds") }
        let recording = try Recording.load(path: options.input, symbols: options.symbols)
        var summary = Summary()
        summary.lines = recording.lineCount
        summary.malformed = recording.malformed
        let shown = 50
        for (line, error) in recording.malformed.prefix(shown) {
            report("line \(line): malformed, skipped: \(error)" + (error.traceId.map { " (trace_id \($0))" } ?? ""))
        }
        if recording.malformed.count > shown { report("... and \(recording.malformed.count - shown) more malformed lines") }

        let writer = try VectorWriter(path: options.output, format: options.format, names: options.registry.names)
        var engine = FeatureEngine(registry: options.registry, gridStep: Int64(options.everySeconds) * Time.nanosPerSecond)
        var failure: (any Error)?
        for event in recording.events {
            let outcome = engine.apply(event) { vector in
                do { try writer.write(vector) } catch { failure = error }
            }
            if let failure { throw failure }
            summary.eventsByType[event.type, default: 0] += 1
            if case .applied(.desynced?) = outcome { summary.desyncs += 1 }
        }
        try writer.finish()
        summary.vectorsWritten = writer.written
        summary.symbols = engine.symbolNames
        return summary
    }
}
