public import FeatureEngine
import Foundation
public import MarketData
import RawStore

/// Engine checkpoint files beside the raw data (interfaces.md §3):
/// `{root}/checkpoints/symbol={S}/date={YYYY-MM-DD}/ckpt-{recv_ts}.json`. Each file is one
/// header line — format name, version, SHA-256 and length of the payload — then the payload
/// (the checkpoint as JSON, Float64 values in shortest round-trip form, so exact). Written
/// atomically; a file whose version, checksum, symbol or instant does not match is never
/// trusted: the replay starts from an earlier checkpoint instead.
public struct CheckpointStore: Sendable {
    public static let formatName = "feature-service-engine-checkpoint"
    public let directory: String

    /// - Parameter root: the data directory (the raw store's root).
    public init(root: String) {
        directory = "\(root)/checkpoints"
    }

    struct Header: Codable {
        var format: String
        var version: Int
        var sha256: String
        var bytes: Int
    }

    func symbolDirectory(_ symbol: String) -> String { "\(directory)/symbol=\(symbol)" }

    /// Where the checkpoint of `symbol` as of `instant` lives.
    public func path(symbol: String, at instant: Nanos) -> String {
        "\(symbolDirectory(symbol))/date=\(Time.formatDate(instant))/ckpt-\(instant).json"
    }

    /// The file's bytes for a checkpoint.
    public static func encode(_ checkpoint: EngineCheckpoint) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let payload = [UInt8](try encoder.encode(checkpoint))
        let header = Header(format: formatName, version: EngineCheckpoint.formatVersion, sha256: sha256Hex(payload), bytes: payload.count)
        return [UInt8](try encoder.encode(header)) + [UInt8(ascii: "\n")] + payload
    }

    /// Why a file is not trusted, or nil with the checkpoint when it is.
    public static func decode(_ bytes: [UInt8], symbol: String, at instant: Nanos) -> Result<EngineCheckpoint, CheckpointRejection> {
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")),
            let header = try? JSONDecoder().decode(Header.self, from: Data(bytes[..<newline])), header.format == formatName
        else {
            return .failure(.unreadable("no checkpoint header"))
        }
        guard header.version == EngineCheckpoint.formatVersion else {
            return .failure(.foreignVersion(header.version))
        }
        let payload = Array(bytes[(newline + 1)...])
        guard payload.count == header.bytes, sha256Hex(payload) == header.sha256 else { return .failure(.checksumMismatch) }
        guard let checkpoint = try? JSONDecoder().decode(EngineCheckpoint.self, from: Data(payload)) else {
            return .failure(.unreadable("payload does not decode"))
        }
        guard checkpoint.symbol == symbol, checkpoint.at == instant, checkpoint.lastEventRecvTs <= instant else {
            return .failure(.unreadable("the payload is not the checkpoint of \(symbol) at \(instant)"))
        }
        return .success(checkpoint)
    }

    /// Writes a checkpoint atomically (fsync included: call it off the pipeline's actor).
    public func write(_ checkpoint: EngineCheckpoint) throws {
        try DurableFile.write(try Self.encode(checkpoint), to: path(symbol: checkpoint.symbol, at: checkpoint.at))
    }

    /// The instants of the stored checkpoints of `symbol`, oldest first.
    public func instants(symbol: String) throws -> [Nanos] {
        var instants: [Nanos] = []
        for day in try DurableFile.list(symbolDirectory(symbol)) where day.hasPrefix("date=") {
            for file in try DurableFile.list("\(symbolDirectory(symbol))/\(day)") where file.hasPrefix("ckpt-") && file.hasSuffix(".json") {
                if let instant = Nanos(file.dropFirst(5).dropLast(5)) { instants.append(instant) }
            }
        }
        return instants.sorted()
    }

    /// The latest trusted checkpoint of `symbol` at or before `instant`, and the files skipped
    /// on the way (a torn, edited or foreign-version file is passed over, never trusted).
    public func latest(
        symbol: String, atOrBefore instant: Nanos
    ) throws
        -> (checkpoint: EngineCheckpoint?, skipped: [(String, CheckpointRejection)])
    {
        var skipped: [(String, CheckpointRejection)] = []
        for candidate in try instants(symbol: symbol).reversed() where candidate <= instant {
            let file = path(symbol: symbol, at: candidate)
            let bytes: [UInt8]
            do { bytes = try DurableFile.read(file) } catch { skipped.append((file, .unreadable("\(error)"))); continue }
            switch Self.decode(bytes, symbol: symbol, at: candidate) {
            case .success(let checkpoint): return (checkpoint, skipped)
            case .failure(let why): skipped.append((file, why))
            }
        }
        return (nil, skipped)
    }

    /// Removes the checkpoints of every day before `date` (`YYYY-MM-DD`), as retention removes
    /// the raw data of those days; returns the files removed.
    @discardableResult
    public func removeDays(before date: String, symbols owned: Set<String>? = nil) throws -> Int {
        var removed = 0
        for symbolEntry in try DurableFile.list(directory) where symbolEntry.hasPrefix("symbol=") {
            // A shard removes only its own symbols' checkpoints.
            if let owned, !owned.contains(String(symbolEntry.dropFirst("symbol=".count))) { continue }
            let symbolPath = "\(directory)/\(symbolEntry)"
            for day in try DurableFile.list(symbolPath) where day.hasPrefix("date=") && String(day.dropFirst(5)) < date {
                let dayPath = "\(symbolPath)/\(day)"
                for file in try DurableFile.list(dayPath) {
                    try DurableFile.remove("\(dayPath)/\(file)")
                    removed += 1
                }
                try? FileManager.default.removeItem(atPath: dayPath)
            }
        }
        return removed
    }
}

/// Why a checkpoint file was not trusted.
public enum CheckpointRejection: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(String)
    case foreignVersion(Int)
    case checksumMismatch

    public var description: String {
        switch self {
        case .unreadable(let why): "unreadable: \(why)"
        case .foreignVersion(let version): "format version \(version), this build reads \(EngineCheckpoint.formatVersion)"
        case .checksumMismatch: "checksum mismatch (torn or edited)"
        }
    }
}
