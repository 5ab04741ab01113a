import Foundation
import Testing

@testable import MarketData

/// The fast path must never change a result: whenever it decodes a message, the general decoder
/// decodes the same message to the same values, bit for bit; whenever it declines, the general
/// decoder's result (value or error) is what `decode` returns.
@Suite struct EnvelopeFastPathTests {
    /// Runs both decoders on `text`; returns whether the fast path took it.
    @discardableResult
    static func check(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let bytes = Array(text.utf8)
        let general: Result<DecodedMessage, DecodeError>
        do throws(DecodeError) { general = .success(try EnvelopeDecoder.decodeGeneral(bytes)) } catch { general = .failure(error) }
        let fast = bytes.withUnsafeBufferPointer(EnvelopeFastPath.decode)
        let viaDecode = EnvelopeDecoder.decodeResult(bytes)
        #expect(viaDecode == general, "decode must equal the general decoder on \(text)", sourceLocation: sourceLocation)
        guard let fast else { return false }
        guard case .success(let expected) = general else {
            Issue.record("fast path accepted what the general decoder rejects (\(general)): \(text)", sourceLocation: sourceLocation)
            return true
        }
        // `==` takes -0.0 for 0.0: the descriptions tell the bits apart.
        #expect(fast == expected && "\(fast)" == "\(expected)", "fast path differs on \(text)", sourceLocation: sourceLocation)
        return true
    }

    @Test func takesTheGatewaysBookAndTradeMessages() {
        let book = """
            {"event_id": "0b6c1e0e", "event_type": "orderbook", "topic": "orderbook.50.BTCUSDT",
             "timestamp": "2026-11-24T10:15:03.120000", "received_at": "2026-11-24T10:15:03.124511", "trace_id": "c0ffee-42",
             "payload": {"s": "BTCUSDT", "type": "delta", "u": 8051772, "seq": 95712456,
                         "b": [["96050.10", "0.512"], ["96049.90", "0"]], "a": [["96050.20", "1.04"]], "topic": "orderbook.50.BTCUSDT"}}
            """
        #expect(Self.check(book))
        let trades = """
            {"event_type": "trade", "topic": "publicTrade.ETHUSDT", "timestamp": "2026-11-24T10:00:00.000",
             "payload": [{"T": 1764064800000, "s": "ETHUSDT", "S": "Buy", "v": "0.01", "p": "3000.5", "i": "abc", "BT": false},
                         {"T": 1764064800001, "S": "Sell", "v": 2, "p": "3e3", "i": 17, "BT": "true", "L": "PlusTick"}]}
            """
        #expect(Self.check(trades))
    }

    @Test func declinesWhatItDoesNotKnowAndTheGeneralDecoderDecides() {
        // An escape, a member given twice, another event type: the general decoder's answer stands.
        #expect(!Self.check(#"{"event_type":"orderbook","trace_id":"a\"b","payload":{"s":"BTCUSDT","type":"delta","u":1}}"#))
        #expect(!Self.check(#"{"event_type":"orderbook","payload":{"s":"BTCUSDT","s":"ETHUSDT","type":"delta","u":1}}"#))
        #expect(!Self.check(#"{"event_type":"ticker","payload":{"symbol":"BTCUSDT","lastPrice":"1"}}"#))
        // Nesting past the general parser's limit is an error there: never accepted here.
        let deep = String(repeating: "[", count: 70) + String(repeating: "]", count: 70)
        #expect(!Self.check(#"{"event_type":"orderbook","x":"# + deep + #","payload":{"s":"BTCUSDT","type":"delta","u":1}}"#))
        // Errors keep their wording: the fast path declines and the general decoder explains.
        let bad = Array(#"{"event_type":"orderbook","payload":{"s":"BTCUSDT","type":"delta","u":"x1"}}"#.utf8)
        #expect(EnvelopeDecoder.decodeResult(bad) == .failure(DecodeError(field: "payload.u", problem: "not an integer: 'x1'")))
    }

    @Test func aBookTopicsDepthIsItsSecondPartAsCharactersWouldSplitIt() {
        let topics = [
            "orderbook.50.BTCUSDT", "orderbook.1.X", "orderbook..BTC", "orderbook.50", "orderbook", ".", "..", ".5", "a.+5.b",
            "a.007.b", "a. 5.b", "a.5\r\n.b", "a.\r\n5.b", "a.99999999999999999999.b", "ob.５0.X", "ob.5\u{301}.X", "ob.\u{301}5.X",
            "é.7.x", "a.-3.b", "",
        ]
        for topic in topics {
            let parts = topic.split(separator: ".", omittingEmptySubsequences: false)
            let expected = parts.count > 1 ? Int(String(parts[1])) : nil
            #expect(EnvelopeDecoder.topicDepth(topic) == expected, "\(topic)")
        }
    }

    @Test func agreesWithTheGeneralDecoderOnGeneratedMessages() {
        var random = SplitMix64(seed: 0xFA57)
        var taken = 0
        let count = 6_000
        for _ in 0..<count {
            let text = MessageGenerator.message(using: &random)
            if Self.check(text) { taken += 1 }
        }
        // Most generated messages are well formed: the fast path must take a good share of them,
        // or this test checks nothing.
        #expect(taken > count / 4, "fast path took \(taken) of \(count)")
    }

    @Test func agreesWithTheGeneralDecoderOnMutatedMessages() {
        var random = SplitMix64(seed: 0xBAD)
        let alphabet = Array(#"{}[]":,.-+eE0123456789 \tnultrfasSbB"#.utf8) + [0x00, 0xC3, 0xA9, 0xE2, 0x84, 0xAA]
        let structure = Array(#"{}[]":,"#.utf8)
        var taken = 0
        for _ in 0..<8_000 {
            var bytes = Array(MessageGenerator.message(using: &random).utf8)
            for _ in 0..<Int.random(in: 1...3, using: &random) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(alphabet.randomElement(using: &random)!, at: at)
                case 2: bytes[at] = alphabet.randomElement(using: &random)!
                default:
                    // Structure is where a scanner goes wrong: swap one bracket, quote, colon or comma.
                    let structural = bytes.indices.filter { structure.contains(bytes[$0]) }
                    bytes[structural.randomElement(using: &random)!] = structure.randomElement(using: &random)!
                }
            }
            if Self.check(String(decoding: bytes, as: UTF8.self)) { taken += 1 }
        }
        #expect(taken > 100, "fast path took \(taken) mutated messages")
    }

    @Test func readsBackEveryDecimalTheServiceWrites() {
        // The gateway encoder writes each Double's shortest text: reading it back, by either path,
        // gives the same bits (17-digit and exponent forms go the general way inside the fast path).
        var random = SplitMix64(seed: 42)
        var taken = 0
        for index in 0..<3_000 {
            func value() -> Double {
                let scale = [1e-9, 1e-4, 0.01, 1, 100, 1e5, 1e9][Int.random(in: 0..<7, using: &random)]
                let raw = Double.random(in: 0..<1, using: &random) * scale
                return Bool.random(using: &random) ? raw : (raw * 100).rounded() / 100
            }
            let levels = (0..<Int.random(in: 0...6, using: &random)).map { _ in PriceLevel(price: value() + 1e-6, size: value()) }
            let book = BookUpdate(
                isSnapshot: index % 50 == 0, updateId: Int64(index), crossSeq: Int64(index * 3), depth: nil,
                bids: levels, asks: levels.reversed())
            let event = UnstampedEvent(
                symbol: "BTCUSDT", exchTsMs: 1_767_225_600_000 + Int64(index), gatewayTs: 1_767_225_600_001_000_000 + Int64(index) * 1_000,
                traceId: "t\(index)", body: .book(book))
            let text = GatewayEnvelope.encode(event, eventId: "e\(index)")
            if Self.check(text) { taken += 1 }
            let bytes = Array(text.utf8)
            guard case .book(let decoded)? = bytes.withUnsafeBufferPointer(EnvelopeFastPath.decode)?.events.first?.body else { continue }
            #expect(decoded.bids.map(\.price.bitPattern) == levels.map(\.price.bitPattern))
            #expect(decoded.bids.map(\.size.bitPattern) == levels.map(\.size.bitPattern))
        }
        #expect(taken == 3_000)
    }

    // Skipped, not failed, in a clone without ../shared (third-party data, never copied here).
    static let recording = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared/data/bybit/2024-12-01_XRPUSDT_ob500.envelopes.jsonl").standardized.path
    @Test(
        .enabled(
            if: FileManager.default.fileExists(atPath: recording),
            "missing \(recording): real recordings live in ../shared/data beside the clone"))
    func agreesOnARealRecording() throws {
        let lines = try String(contentsOfFile: Self.recording, encoding: .utf8).split(separator: "\n")
        let taken = lines.filter { Self.check(String($0)) }.count
        #expect(taken == lines.count, "every recorded book message takes the fast path (\(taken) of \(lines.count))")
    }
}

/// Gateway-like messages with the variations a sender may produce: members in any order, null and
/// absent optional members, numbers as strings or JSON numbers in every syntax, unknown members
/// with nested values, odd whitespace and topics — and, now and then, a value that is wrong.
enum MessageGenerator {
    static func message(using random: inout SplitMix64) -> String {
        let isBook = Bool.random(using: &random)
        let symbol = vary(["BTCUSDT", "ETHUSDT", "1000PEPEUSDT", "BTC-PERP"], ["btcusdt", "", "-X"], &random)
        let eventType = isBook ? vary(["orderbook"], ["trade", "Orderbook"], &random) : vary(["trade"], ["orderbook", "ticker"], &random)
        var envelope: [(String, String)] = [("event_type", quoted(eventType))]
        maybe(&envelope, "event_id", vary([quoted("e-1"), "null", quoted("é-ü")], ["12", quoted("e\\u0041")], &random), &random)
        maybe(&envelope, "trace_id", vary([quoted("c0ffee-42"), "null", "7", "{}"], [quoted("tr\\\"ace")], &random), &random)
        let depth = vary(["50", "1", "200"], ["x", "", "+5", "007"], &random)
        let topic = isBook ? "orderbook.\(depth).\(symbol)" : "publicTrade.\(symbol)"
        maybe(&envelope, "topic", vary([quoted(topic), "null"], [quoted("nodot"), quoted("a.."), quoted("..."), "3"], &random), &random)
        maybe(&envelope, "timestamp", timestamp(&random), &random)
        maybe(&envelope, "received_at", timestamp(&random), &random)
        if Int.random(in: 0..<10, using: &random) == 0 {
            envelope.append(("recv_ts", vary(["1767225600000000000", "\"1767225600000000001\""], ["-1", "1.5"], &random)))
        }
        if Bool.random(using: &random) {
            envelope.append(
                ("source", vary(["{\"a\":[1,{\"b\":null}]}", "[]", "true", "1.5e-3", "\"ws\""], ["[1,]", "tru", "01"], &random)))
        }
        let items = (0..<(isBook ? 1 : Int.random(in: 1...3, using: &random))).map { _ in
            isBook ? bookItem(symbol: symbol, &random) : tradeItem(symbol: symbol, &random)
        }
        let payload: String
        switch Int.random(in: 0..<20, using: &random) {
        case 0: payload = vary(["[]"], ["null", "\"x\"", "[1]", "[{},]"], &random)
        case 1...5: payload = "[" + items.joined(separator: "," + space(&random)) + "]"
        default: payload = items.count == 1 ? items[0] : "[" + items.joined(separator: ", ") + "]"
        }
        envelope.append(("payload", payload))
        if Int.random(in: 0..<30, using: &random) == 0 { envelope.append(envelope[0]) }
        return space(&random) + object(envelope.shuffled(using: &random), &random) + space(&random)
    }

    static func bookItem(symbol: String, _ random: inout SplitMix64) -> String {
        var members: [(String, String)] = [("type", quoted(vary(["delta", "snapshot"], ["Delta", ""], &random)))]
        maybe(&members, "s", vary([quoted(symbol), "null"], ["5", quoted("eth")], &random), &random)
        members.append(("u", integer(&random)))
        maybe(&members, "seq", integer(&random), &random)
        maybe(&members, "b", levels(&random), &random)
        maybe(&members, "a", levels(&random), &random)
        maybe(&members, "topic", vary([quoted("orderbook.200.\(symbol)"), "null"], ["[]"], &random), &random)
        if Int.random(in: 0..<4, using: &random) == 0 { members.append(("cts", "1732000000000")) }
        if Int.random(in: 0..<40, using: &random) == 0 { members.append(("u", "1")) }
        return object(members.shuffled(using: &random), &random)
    }

    static func tradeItem(symbol: String, _ random: inout SplitMix64) -> String {
        var members: [(String, String)] = [("p", decimal(&random)), ("v", decimal(&random))]
        members.append(("S", quoted(vary(["Buy", "Sell", "sell", "BUY", "buy", "SELL"], ["Hold", ""], &random))))
        maybe(&members, "s", vary([quoted(symbol), "null"], ["[1]"], &random), &random)
        maybe(&members, "T", vary(["1764064800000", "\"1764064800001\"", "null"], ["99", "1.5", "\"\""], &random), &random)
        members.append(("i", vary([quoted("abc-1"), "42", "4.5e1"], ["null", "true", "[]"], &random)))
        maybe(&members, "BT", vary(["true", "false", "\"true\"", "\"false\"", "null"], ["\"no\"", "0"], &random), &random)
        maybe(&members, "L", vary([quoted("PlusTick"), "null"], ["3"], &random), &random)
        return object(members.shuffled(using: &random), &random)
    }

    static func levels(_ random: inout SplitMix64) -> String {
        if Int.random(in: 0..<12, using: &random) == 0 {
            return vary(
                ["null", "[]", "[[\"1\",\"2\",3]]", "[[\"1\",\"2\",[null,{}]]]"], ["{}", "\"x\"", "[[]]", "[[\"1\"]]", "[[[[[[1]]]]]]"],
                &random)
        }
        let count = Int.random(in: 0...4, using: &random)
        let pairs = (0..<count).map { _ in "[\(decimal(&random)),\(space(&random))\(decimal(&random))]" }
        return "[" + pairs.joined(separator: "," + space(&random)) + "]"
    }

    static func decimal(_ random: inout SplitMix64) -> String {
        let plain = "\(Int.random(in: 1...99_999, using: &random)).\(Int.random(in: 0...9_999, using: &random))"
        let valid = [
            quoted(plain), quoted(plain), plain, quoted("0.000000000000001"), quoted("123456789012345678"), quoted("96050.10"),
            quoted("1e5"), quoted("+5"), quoted(".5"), quoted("0012.50"), quoted("0.30000000000000004"), "7", "2.5E-3",
            quoted("123456789.123456"), quoted("999999999999999"),
        ]
        let invalid = [
            quoted("0"), quoted("-0"), quoted("-3.25"), "-1", quoted(""), quoted("5."), quoted("1.2.3"), quoted("nan"),
            quoted("1e400"), "null", "true",
        ]
        return vary(valid, invalid, &random)
    }

    static func integer(_ random: inout SplitMix64) -> String {
        let value = Int64.random(in: 0...99_999_999, using: &random)
        return vary(
            ["\(value)", quoted("\(value)"), "-\(value)", quoted("+\(value)"), "9223372036854775807", quoted("007"), "null"],
            ["1.0", quoted(""), "99999999999999999999", quoted("1 "), "-"], &random)
    }

    static func timestamp(_ random: inout SplitMix64) -> String {
        vary(
            [quoted("2026-11-24T10:15:03.120000"), quoted("2026-11-24T10:15:03Z"), quoted("2026-11-24 10:15:03.5+02:00"), "null"],
            [quoted("1900-01-01T00:00:00"), quoted("yesterday"), "1764064800000"], &random)
    }

    static func object(_ members: [(String, String)], _ random: inout SplitMix64) -> String {
        "{" + members.map { "\(quoted($0.0)):\(space(&random))\($0.1)" }.joined(separator: "," + space(&random)) + "}"
    }

    static func maybe(_ members: inout [(String, String)], _ key: String, _ value: String, _ random: inout SplitMix64) {
        if Int.random(in: 0..<5, using: &random) > 0 { members.append((key, value)) }
    }

    /// One of the `valid` forms, or one time in 40 one of the `invalid` ones.
    static func vary(_ valid: [String], _ invalid: [String], _ random: inout SplitMix64) -> String {
        Int.random(in: 0..<40, using: &random) == 0 ? invalid.randomElement(using: &random)! : valid.randomElement(using: &random)!
    }

    static func space(_ random: inout SplitMix64) -> String { ["", "", " ", "\n  ", "\t"].randomElement(using: &random)! }
    static func quoted(_ text: String) -> String { "\"\(text)\"" }
}
