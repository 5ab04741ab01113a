import Foundation
public import MarketData

/// One kept malformed message, as a line of a dead-letter file.
public struct DeadLetterRecord: Codable, Sendable, Equatable {
    /// The line of a recording it came from (import), nil for live messages.
    public var line: Int?
    /// ISO 8601 receipt time (live messages).
    public var receivedAt: String?
    /// Where it came from: `broker`, `ingest`, or a recording's path.
    public var source: String
    public var error: String
    public var traceId: String?
    /// The body's length as received, and whether `body` was cut (bodies are kept up to a bound).
    public var length: Int
    public var truncated: Bool
    public var body: String

    enum CodingKeys: String, CodingKey {
        case line, source, error, length, truncated, body
        case receivedAt = "received_at"
        case traceId = "trace_id"
    }

    public init(error: DecodeError, body: [UInt8], length: Int, receivedAt: Nanos?, source: String, line: Int? = nil) {
        self.line = line
        self.receivedAt = receivedAt.map(Time.formatISO8601)
        self.source = source
        self.error = error.description
        self.traceId = error.traceId
        self.length = length
        self.truncated = length > body.count
        self.body = String(decoding: body, as: UTF8.self)
    }
}

/// The dead-letter files: JSON Lines of ``DeadLetterRecord`` under the store's `dead-letter`
/// directory — one file per UTC day for live messages, one per imported recording.
public enum DeadLetterFile {
    static func encode(_ records: [DeadLetterRecord]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out = Data()
        for record in records {
            out.append(try encoder.encode(record))
            out.append(0x0A)
        }
        return out
    }

    /// Appends records to the live file of the day of `day` (ns) in one write.
    public static func append(_ records: [DeadLetterRecord], day: Nanos, directory: String) throws {
        guard !records.isEmpty else { return }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/live-\(Time.formatDate(day)).jsonl"
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: try encode(records))
    }

    /// Writes a recording's malformed lines to a file of their own; returns its path.
    public static func write(
        _ entries: [(line: Int, error: DecodeError, body: [UInt8])], directory: String,
        source: String
    ) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/import-\(UUID().uuidString.prefix(8))-\((source as NSString).lastPathComponent).jsonl"
        let records = entries.map {
            DeadLetterRecord(error: $0.error, body: $0.body, length: $0.body.count, receivedAt: nil, source: source, line: $0.line)
        }
        try encode(records).write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }
}
