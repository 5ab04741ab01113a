import MarketData

/// The `features.live` message (interfaces.md §2):
/// `{"symbol", "timestamp", "ts_ns", "registry_version", "features": {name: number|null}, "trace_id"}`.
///
/// Hand-written, unlike the other answers (Codable, JSONEncoder): the features go out in
/// registry order with every null written, which a sorted-keys encoder would not keep, and
/// this runs once per published vector.
public enum FeatureMessage {
    public static func encode(
        _ vector: FeatureVector, names: [String], registryVersion: String, traceId: String?,
        extra: [(String, String)] = []
    ) -> String {
        var out = "{\"symbol\":"
        JSONText.appendString(vector.symbol, to: &out)
        out += ",\"timestamp\":\"\(Time.formatISO8601(vector.ts))\",\"ts_ns\":\(vector.ts),\"registry_version\":"
        JSONText.appendString(registryVersion, to: &out)
        out += ",\"features\":{"
        for (index, (name, value)) in zip(names, vector.values).enumerated() {
            if index > 0 { out += "," }
            JSONText.appendString(name, to: &out)
            out += ":"
            JSONText.appendNumber(value, to: &out)
        }
        out += "},\"trace_id\":"
        if let traceId { JSONText.appendString(traceId, to: &out) } else { out += "null" }
        for (key, raw) in extra {
            out += ","
            JSONText.appendString(key, to: &out)
            out += ":" + raw
        }
        return out + "}"
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
