import FeatureEngine
import MarketData
import Testing

@Suite struct FeatureMessageTests {
    /// The String encoder the byte encoder replaced, kept as the reference its output must equal
    /// byte for byte (consumers and recorded fixtures compare messages as text).
    static func referenceEncode(
        _ vector: FeatureVector, names: [String], registryVersion: String, traceId: String?, extra: [(String, String)] = []
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

    /// Doubles of every kind the formatter treats apart: specials, signed zeros, subnormals,
    /// extremes, integers, short decimals, and arbitrary bit patterns.
    static func randomValue(_ rng: inout SplitMix64) -> Double? {
        switch rng.next() % 12 {
        case 0: return nil
        case 1: return [0.0, -0.0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNormalMagnitude][Int(rng.next() % 7)]
        case 2:
            return [Double.greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1e16, 1e-5, 1e-7, 0.1, 123_456_789.0][Int(rng.next() % 7)]
        case 3: return Double(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64))
        case 4: return Double(Int(rng.next() % 2_000_001) - 1_000_000) / 1000
        case 5: return Double(bitPattern: rng.next() & 0x000F_FFFF_FFFF_FFFF | (rng.next() % 2) << 63)  // subnormal
        case 6: return Double.random(in: -1...1, using: &rng) * pow10(Int(rng.next() % 40) - 20)
        default: return Double(bitPattern: rng.next())
        }
    }

    static func pow10(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<abs(exponent) { result *= 10 }
        return exponent < 0 ? 1 / result : result
    }

    /// Strings with and without characters JSON escapes (quotes, backslashes, controls), and
    /// multi-byte UTF-8.
    static func randomName(_ rng: inout SplitMix64) -> String {
        let pieces = [
            "mid", "_", "spread_bps", "\"", "\\", "\n", "\r", "\t", "\u{01}", "\u{1F}", "é", "€", "𝄞", "/", " ", "\u{7F}", "1",
        ]
        let count = 1 + Int(rng.next() % (rng.next() % 4 == 0 ? 8 : 3))
        return (0..<count).map { _ in pieces[Int(rng.next() % (rng.next() % 3 == 0 ? UInt64(pieces.count) : 3))] }.joined()
    }

    @Test func byteEncoderWritesExactlyTheReferenceText() {
        var rng = SplitMix64(seed: 13)
        for round in 0..<3_000 {
            let names = (0..<Int(rng.next() % 24)).map { _ in Self.randomName(&rng) }
            // Sometimes more or fewer values than names: both encoders stop at the shorter.
            let valueCount = rng.next() % 8 == 0 ? Int(rng.next() % 30) : names.count
            let values = (0..<valueCount).map { _ in Self.randomValue(&rng) }
            let ts: Nanos =
                switch rng.next() % 4 {
                case 0: Nanos(bitPattern: rng.next()) >> 1  // years far outside 0...9999 (halved: Time's arithmetic fits)
                case 1: Time.acceptedRange.lowerBound + Nanos(rng.next() % UInt64(Time.acceptedRange.count))
                case 2: [0, -1, 1, .min / 2, .max, Time.nanosPerSecond - 1][Int(rng.next() % 6)]
                default: 1_767_225_600_000_000_000 + Nanos(rng.next() % 1_000_000_000_000)
                }
            let vector = FeatureVector(symbol: round % 5 == 0 ? Self.randomName(&rng) : "BTCUSDT", ts: ts, values: values)
            let version = round % 7 == 0 ? Self.randomName(&rng) : "v\(round)"
            let traceId: String? = rng.next() % 3 == 0 ? nil : Self.randomName(&rng)
            let extra: [(String, String)] = rng.next() % 4 == 0 ? [("stale", "true"), (Self.randomName(&rng), "12")] : []
            let expected = Self.referenceEncode(vector, names: names, registryVersion: version, traceId: traceId, extra: extra)
            let encoder = FeatureMessage.Encoder(names: names, registryVersion: version)
            let bytes = encoder.encode(vector, traceId: traceId, extra: extra)
            #expect(bytes == Array(expected.utf8), "round \(round): \(expected)")
            #expect(
                FeatureMessage.encode(vector, names: names, registryVersion: version, traceId: traceId, extra: extra) == expected)
            if bytes != Array(expected.utf8) { return }
        }
    }

    @Test func oneEncoderServesManyVectors() throws {
        let names = ["mid", "spread_bps", "a\"b"]
        let encoder = FeatureMessage.Encoder(names: names, registryVersion: "3")
        for ts in [Nanos(1_767_225_600_123_456_789), 1_767_225_601_000_000_000] {
            let vector = FeatureVector(symbol: "ETHUSDT", ts: ts, values: [1.5, nil, -0.0])
            let text = String(decoding: encoder.encode(vector, traceId: "t-1"), as: UTF8.self)
            #expect(text == Self.referenceEncode(vector, names: names, registryVersion: "3", traceId: "t-1"))
            let (decoded, version) = try FeatureMessage.decode(text, names: names)
            #expect(version == "3" && decoded.ts == ts && decoded.values[0] == 1.5 && decoded.values[1] == nil)
        }
    }

    @Test func formatsAsTheStandardLibraryAndTimeDo() {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<20_000 {
            let value = Double(bitPattern: rng.next())
            var bytes = JSONBytes()
            bytes.appendNumber(value)
            #expect(String(decoding: bytes.bytes, as: UTF8.self) == (value.isFinite ? value.description : "null"))
            let integer = Int64(bitPattern: rng.next()) >> Int64(1 + rng.next() % 63)
            var text = JSONBytes()
            text.appendInteger(integer)
            text.appendISO8601(integer)
            #expect(String(decoding: text.bytes, as: UTF8.self) == String(integer) + Time.formatISO8601(integer))
        }
    }
}
