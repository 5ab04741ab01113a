import Foundation
import MarketData

/// Where a fresh book snapshot comes from when a book goes out of sync (a pluggable seam:
/// the exchange's REST endpoint in production, anything else in tests or replays).
public protocol SnapshotSource: Sendable {
    /// A gateway envelope (interfaces.md §1) holding a book snapshot of `symbol`.
    func snapshotEnvelope(symbol: String) async throws -> [UInt8]
}

/// Bybit v5 `GET {base}/v5/market/orderbook?category=linear&symbol=S&limit=N`, turned into a
/// gateway envelope so that it goes through the same decoding, stamping and storage as
/// everything else (the offline engine sees the same snapshot).
public struct BybitRESTSnapshotSource: SnapshotSource {
    public var baseURL: String
    public var category: String
    public var limit: Int

    public init(baseURL: String, category: String = "linear", limit: Int = 200) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.category = category
        self.limit = limit
    }

    public func snapshotEnvelope(symbol: String) async throws -> [UInt8] {
        guard let url = URL(string: "\(baseURL)/v5/market/orderbook?category=\(category)&symbol=\(symbol)&limit=\(limit)") else {
            throw DecodeError(field: "", problem: "bad snapshot URL for \(symbol)")
        }
        let (status, body) = try await HTTPGet.fetch(url.absoluteString, timeout: .seconds(5))
        guard status == 200 else { throw DecodeError(field: "", problem: "snapshot request for \(symbol) answered \(status)") }
        let root = try JSONParser.parse(bytes: body)
        guard let result = root["result"], case .object(var payload) = result else {
            throw DecodeError(field: "result", problem: "no order book in the snapshot answer")
        }
        payload["type"] = .string("snapshot")
        payload["topic"] = .string("orderbook.\(limit).\(symbol)")
        // A value tree, not a Codable type: the payload's numbers pass through with their exact text.
        var envelope: [String: JSONValue] = [
            "event_type": .string("orderbook"), "topic": .string("orderbook.\(limit).\(symbol)"),
            "trace_id": .string("resync-\(symbol)"), "payload": .object(payload),
        ]
        if case .number(let ts)? = payload["ts"], let ms = Int64(ts) {
            envelope["timestamp"] = .string(String(Time.formatISO8601(ms * Time.nanosPerMilli).dropLast(4)))
        }
        return Array(JSONText.serialize(.object(envelope)).utf8)
    }
}
