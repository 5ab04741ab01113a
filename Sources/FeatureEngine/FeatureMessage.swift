import MarketData

/// The `features.live` message (interfaces.md §2):
/// `{"symbol", "timestamp", "ts_ns", "registry_version", "features": {name: number|null}, "trace_id"}`.
///
/// Hand-written, unlike the other answers (Codable, JSONEncoder): the features go out in
/// registry order with every null written, which a sorted-keys encoder would not keep, and
/// this runs once per published vector.
public enum FeatureMessage {
    /// The message's text (one-off encodings: the API's latest vector, tests); the publisher
    /// keeps an ``Encoder`` per registry instead.
    public static func encode(
        _ vector: FeatureVector, names: [String], registryVersion: String, traceId: String?,
        extra: [(String, String)] = []
    ) -> String {
        let bytes = Encoder(names: names, registryVersion: registryVersion).encode(vector, traceId: traceId, extra: extra)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Encodes the messages of one registry straight into bytes, with the parts that do not
    /// change from vector to vector — each feature's `"name":` key, the registry version —
    /// prepared once: this runs once per published vector, and the names and numbers are most
    /// of a message.
    ///
    /// A class (immutable, so `Sendable`): every queued publication carries its registry's
    /// encoder, and sharing one costs a reference count, not copies of its arrays.
    public final class Encoder: Sendable {
        /// The feature names, in the order of the vectors' values.
        public let names: [String]
        /// The registry version written in every message.
        public let registryVersion: String
        /// `,"registry_version":"…","features":{`
        private let head: [UInt8]
        /// Every feature's key with its separator, back to back: `"a":` then `,"b":` and so on.
        private let keys: [UInt8]
        /// Where each feature's key ends in ``keys``.
        private let keyEnds: [Int]
        /// A first guess at a message's size (keys, version, and room for the numbers).
        private let capacity: Int

        /// Prepares the constant parts of the registry's messages.
        public init(names: [String], registryVersion: String) {
            self.names = names
            self.registryVersion = registryVersion
            var head = JSONBytes()
            head.append(raw: Array(",\"registry_version\":".utf8))
            head.appendString(registryVersion)
            head.append(raw: Array(",\"features\":{".utf8))
            self.head = head.bytes
            var keys = JSONBytes()
            var keyEnds: [Int] = []
            keyEnds.reserveCapacity(names.count)
            for (index, name) in names.enumerated() {
                if index > 0 { keys.append(ascii: UInt8(ascii: ",")) }
                keys.appendString(name)
                keys.append(ascii: UInt8(ascii: ":"))
                keyEnds.append(keys.bytes.count)
            }
            self.keys = keys.bytes
            self.keyEnds = keyEnds
            capacity = 160 + self.head.count + self.keys.count + 24 * names.count
        }

        /// The message of `vector` (values in ``names`` order), in UTF-8: the same text as the
        /// message's JSON always had. `extra` members (key, raw JSON value) follow `trace_id`.
        public func encode(_ vector: FeatureVector, traceId: String?, extra: [(String, String)] = []) -> [UInt8] {
            var out = JSONBytes(capacity: capacity + vector.symbol.utf8.count + (traceId?.utf8.count ?? 0))
            out.append(literal: "{\"symbol\":")
            out.appendString(vector.symbol)
            out.append(literal: ",\"timestamp\":\"")
            out.appendISO8601(vector.ts)
            out.append(literal: "\",\"ts_ns\":")
            out.appendInteger(vector.ts)
            out.append(raw: head)
            // Only the names that have a value, and the reverse (as a zip of the two).
            let count = min(keyEnds.count, vector.values.count)
            keys.withUnsafeBufferPointer { keys in
                var start = 0
                for index in 0..<count {
                    let end = keyEnds[index]
                    out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: keys[start..<end]))
                    out.appendNumber(vector.values[index])
                    start = end  // the next key starts with its comma: written only after a value
                }
            }
            out.append(literal: "},\"trace_id\":")
            if let traceId { out.appendString(traceId) } else { out.append(literal: "null") }
            for (key, raw) in extra {
                out.append(ascii: UInt8(ascii: ","))
                out.appendString(key)
                out.append(ascii: UInt8(ascii: ":"))
                out.write(raw)
            }
            out.append(ascii: UInt8(ascii: "}"))
            return out.bytes
        }
    }

    /// Decodes a message into a vector with values in `names` order (absent names read as null).
    public static func decode(_ text: String, names: [String]) throws -> (vector: FeatureVector, registryVersion: String) {
        let root = try JSONParser.parse(text)
        guard case .string(let symbol)? = root["symbol"], case .number(let ts)? = root["ts_ns"], let tsValue = Int64(ts),
            case .string(let version)? = root["registry_version"], case .object(let features)? = root["features"]
        else {
            throw DecodeError(field: "", problem: "not a features.live message")
        }
        let values: [Double?] = names.map { name in
            if case .number(let n)? = features[name] { return Double(n) }
            return nil
        }
        return (FeatureVector(symbol: symbol, ts: tsValue, values: values), version)
    }
}
