import Foundation
public import MarketData

/// Malformed message bodies held for the dead-letter file, with bounds so that no sender can
/// make the service keep (or log) an unbounded amount: at most ``dailyCount`` letters and
/// ``dailyBytes`` bytes of bodies per UTC day (by the service clock), each body cut to
/// ``maxBodyBytes``. What is over a bound is counted in ``dropped``, never silently lost
/// from the counters. Pure: time comes in as data.
public struct DeadLetterBox: Sendable {
    /// One malformed body and why it was refused.
    public struct Letter: Sendable {
        public var error: DecodeError
        /// The body, cut to ``DeadLetterBox/maxBodyBytes``.
        public var body: [UInt8]
        /// The body's full length (larger than `body.count` when it was cut).
        public var length: Int
        public var receivedAt: Nanos
        /// Where it came from: `broker`, `ingest` (POST /ingest), `replay`, `simulator`.
        public var source: String
        /// Whether a log line of its own is wanted (a broker message); an HTTP request logs one
        /// summary line instead.
        public var logIndividually: Bool
    }

    public static let dailyCount = 10_000
    public static let dailyBytes = 64 << 20
    public static let maxBodyBytes = 64 << 10

    private(set) var pending: [Letter] = []
    /// Letters refused by a bound since start.
    public private(set) var dropped = 0
    /// Letters kept since start.
    public private(set) var kept = 0
    private var day: Int64 = .min
    private var dayCount = 0
    private var dayBytes = 0

    public init() {}

    /// Keeps a letter unless today's bounds are reached; returns whether it was kept.
    @discardableResult
    public mutating func add(_ error: DecodeError, body: some Collection<UInt8>, at now: Nanos, source: String,
                             logIndividually: Bool) -> Bool {
        let today = Time.floorDiv(now, Time.nanosPerDay)
        if today != day { (day, dayCount, dayBytes) = (today, 0, 0) }
        let cut = Array(body.prefix(Self.maxBodyBytes))
        guard dayCount < Self.dailyCount, dayBytes + cut.count <= Self.dailyBytes else {
            dropped += 1
            return false
        }
        dayCount += 1
        dayBytes += cut.count
        kept += 1
        pending.append(Letter(error: error, body: cut, length: body.count, receivedAt: now, source: source,
                              logIndividually: logIndividually))
        return true
    }

    /// Counts a letter that a caller chose not to keep (over its own per-request bound).
    public mutating func countDropped(_ count: Int = 1) { dropped += count }

    /// The letters not yet written; clears the list.
    public mutating func take() -> [Letter] {
        defer { pending.removeAll() }
        return pending
    }
}

/// The dead-letter files: JSON Lines under the store's `dead-letter` directory.
public enum DeadLetterFile {
    /// One JSON line for a letter: `{"received_at", "source", "error", "trace_id", "length", "truncated", "body"}`
    /// (plus `"line"` for a recording's line number).
    static func line(error: DecodeError, body: [UInt8], length: Int, receivedAt: Nanos?, source: String, lineNumber: Int? = nil) -> String {
        var text = "{"
        if let lineNumber { text += "\"line\":\(lineNumber)," }
        if let receivedAt { text += "\"received_at\":\"\(Time.formatISO8601(receivedAt))\"," }
        text += "\"source\":"
        JSONText.appendString(source, to: &text)
        text += ",\"error\":"
        JSONText.appendString(error.description, to: &text)
        text += ",\"trace_id\":"
        if let trace = error.traceId { JSONText.appendString(trace, to: &text) } else { text += "null" }
        text += ",\"length\":\(length),\"truncated\":\(length > body.count),\"body\":"
        JSONText.appendString(String(decoding: body, as: UTF8.self), to: &text)
        return text + "}\n"
    }

    /// Appends letters to the day's live file in one write.
    public static func append(_ letters: [DeadLetterBox.Letter], directory: String) throws {
        guard let first = letters.first else { return }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/live-\(Time.formatDate(first.receivedAt)).jsonl"
        var text = ""
        for letter in letters {
            text += line(error: letter.error, body: letter.body, length: letter.length, receivedAt: letter.receivedAt,
                         source: letter.source)
        }
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }

    /// Writes a recording's malformed lines to a file of their own; returns its path.
    public static func write(_ entries: [(line: Int, error: DecodeError, body: [UInt8])], directory: String,
                             source: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/import-\(UUID().uuidString.prefix(8))-\((source as NSString).lastPathComponent).jsonl"
        let text = entries.map {
            line(error: $0.error, body: $0.body, length: $0.body.count, receivedAt: nil, source: source, lineNumber: $0.line)
        }
        try text.joined().write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
