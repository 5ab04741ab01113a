public import FeatureEngine
import Foundation
import MarketData

/// Output formats of `replay`.
public enum VectorFormat: String, Sendable, CaseIterable {
    case csv, jsonl
}

/// Writes feature vectors as CSV (`ts_ns,symbol,<features>`, null as an empty field) or JSON
/// Lines (the same columns as keys, null as `null`). Numbers are written in the shortest
/// form that reads back as the same Float64. JSON Lines are hand-written, not encoded: columns
/// in registry order with nulls kept, millions of lines per replay.
public final class VectorWriter {
    private let handle: FileHandle
    private let format: VectorFormat
    private let names: [String]
    private var buffer = ""
    private let closeOnFinish: Bool
    public private(set) var written = 0

    public init(path: String, format: VectorFormat, names: [String]) throws {
        if path == "-" {
            handle = FileHandle.standardOutput
            closeOnFinish = false
        } else {
            guard FileManager.default.createFile(atPath: path, contents: nil), let opened = FileHandle(forWritingAtPath: path) else {
                throw CLIError("cannot create '\(path)'")
            }
            handle = opened
            closeOnFinish = true
        }
        self.format = format
        self.names = names
        buffer.reserveCapacity(1 << 20)
        if format == .csv { buffer += (["ts_ns", "symbol"] + names).joined(separator: ",") + "\n" }
    }

    public func write(_ vector: FeatureVector) throws {
        switch format {
        case .csv:
            buffer += String(vector.ts)
            buffer += ","
            buffer += vector.symbol
            for value in vector.values {
                buffer += ","
                if let value, value.isFinite { buffer += value.description }
            }
            buffer += "\n"
        case .jsonl:
            buffer += "{\"ts_ns\":\(vector.ts),\"symbol\":"
            JSONText.appendString(vector.symbol, to: &buffer)
            for (name, value) in zip(names, vector.values) {
                buffer += ",\""
                buffer += name
                buffer += "\":"
                JSONText.appendNumber(value, to: &buffer)
            }
            buffer += "}\n"
        }
        written += 1
        if buffer.utf8.count > 1 << 20 { try flush() }
    }

    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: Data(buffer.utf8))
        buffer.removeAll(keepingCapacity: true)
    }

    public func finish() throws {
        try flush()
        if closeOnFinish { try handle.close() }
    }
}
