public import MarketData

/// A recording (interfaces.md §8) decoded into stamped events.
///
/// Each line is one gateway envelope with an optional top-level integer `recv_ts` (ns).
/// Without it the event's time is its `received_at`, made non-decreasing (the service's own
/// clock never goes back). `seq` is the per-symbol line order, and events are ordered by
/// `(recv_ts, seq)` exactly as the raw store orders them, so a replay and an offline rebuild
/// of an imported recording see the same sequence.
public struct Recording: Sendable {
    public var events: [MarketEvent] = []
    public var malformed: [(line: Int, error: DecodeError)] = []
    public var lineCount = 0
    /// The raw text of malformed lines, by line number (for dead-lettering on import).
    public var malformedBodies: [Int: [UInt8]] = [:]

    public init() {}

    /// Decodes every line of `path`. With `symbols`, other symbols are dropped.
    public static func load(path: String, symbols: Set<String>? = nil, keepMalformedBodies: Bool = false) throws -> Recording {
        var recording = Recording()
        var stamper = Stamper()
        var clock: Nanos = .min
        var reader = try LineReader(path: path)
        var lineNumber = 0
        var sorted = true
        var lastTs: [String: Nanos] = [:]
        while let line = reader.next() {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            recording.lineCount += 1
            do {
                let message = try EnvelopeDecoder.decode(line)
                let time: Nanos
                if let recorded = message.recordedRecvTs {
                    time = recorded
                    clock = max(clock, recorded)
                } else if let received = message.events.first?.gatewayTs {
                    // Made non-decreasing against every earlier line, stamped or not.
                    clock = max(clock, received)
                    time = clock
                } else {
                    throw DecodeError(field: "received_at", problem: "missing (and no recv_ts)", traceId: message.traceId)
                }
                for event in message.events {
                    if let symbols, !symbols.contains(event.symbol) { continue }
                    // Stamping order is file order; explicit recv_ts values are kept as given.
                    var stamped = stamper.stamp(event, at: time)
                    stamped.recvTs = time
                    if time < lastTs[event.symbol, default: .min] { sorted = false }
                    lastTs[event.symbol] = time
                    recording.events.append(stamped)
                }
            } catch let error as DecodeError {
                recording.malformed.append((lineNumber, error))
                if keepMalformedBodies { recording.malformedBodies[lineNumber] = Array(line) }
            }
        }
        if !sorted {
            // Stable by construction: (recvTs, seq) is unique per symbol.
            recording.events.sort { a, b in
                a.recvTs != b.recvTs ? a.recvTs < b.recvTs : (a.symbol != b.symbol ? a.symbol < b.symbol : a.seq < b.seq)
            }
        }
        return recording
    }
}
