import Foundation
public import Logging
import MarketData
import Synchronization

/// swift-log handler writing one JSON object per line to standard error:
/// `{"ts", "level", "logger", "message", ...metadata}` (trace ids travel as metadata).
/// Hand-written, not encoded: the fixed keys come first, then the metadata, on every log call.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let clock: any WallClock
    private static let output = Mutex<FileHandle>(FileHandle.standardError)

    public init(label: String, level: Logger.Level, clock: any WallClock = SystemClock()) {
        self.label = label
        self.clock = clock
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = "{\"ts\":\"\(Time.formatISO8601(clock.now()))\",\"level\":\"\(event.level.rawValue)\",\"logger\":"
        JSONText.appendString(label, to: &line)
        line += ",\"message\":"
        JSONText.appendString(event.message.description, to: &line)
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for key in merged.keys.sorted() {
            line += ","
            JSONText.appendString(key, to: &line)
            line += ":"
            JSONText.appendString(merged[key]!.description, to: &line)
        }
        line += "}\n"
        let data = Data(line.utf8)
        Self.output.withLock { $0.write(data) }
    }
}
