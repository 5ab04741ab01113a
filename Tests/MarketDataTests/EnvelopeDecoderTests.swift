import Testing

@testable import MarketData

@Suite struct EnvelopeDecoderTests {
    @Test func decodesABookDeltaFromTheGatewayEnvelope() throws {
        let text = """
            {"event_id": "0b6c1e0e", "event_type": "orderbook", "topic": "orderbook.50.BTCUSDT",
             "timestamp": "2026-11-24T10:15:03.120000", "received_at": "2026-11-24T10:15:03.124511", "trace_id": "c0ffee-42",
             "payload": {"s": "BTCUSDT", "type": "delta", "u": 8051772, "seq": 95712456,
                         "b": [["96050.10", "0.512"], ["96049.90", "0"]], "a": [["96050.20", "1.04"]], "topic": "orderbook.50.BTCUSDT"}}
            """
        let message = try EnvelopeDecoder.decode(text: text)
        #expect(message.eventType == "orderbook")
        #expect(message.traceId == "c0ffee-42")
        #expect(message.events.count == 1)
        let event = message.events[0]
        #expect(event.symbol == "BTCUSDT")
        #expect(event.gatewayTs == Time.parseISO8601("2026-11-24T10:15:03.124511"))
        #expect(event.exchTsMs == Time.parseISO8601("2026-11-24T10:15:03.120")! / 1_000_000)
        guard case .book(let book) = event.body else { Issue.record("not a book"); return }
        #expect(!book.isSnapshot)
        #expect(book.updateId == 8051772)
        #expect(book.crossSeq == 95712456)
        #expect(book.depth == 50)
        #expect(book.bids == [PriceLevel(price: 96050.10, size: 0.512), PriceLevel(price: 96049.90, size: 0)])
        #expect(book.asks == [PriceLevel(price: 96050.20, size: 1.04)])
    }

    @Test func decodesTradesIncludingABatchedPayload() throws {
        let text = """
            {"event_type": "trade", "topic": "publicTrade.ETHUSDT", "timestamp": "2026-11-24T10:00:00.000",
             "received_at": "2026-11-24T10:00:00.001",
             "payload": [{"T": 1764064800000, "s": "ETHUSDT", "S": "Buy", "v": "0.01", "p": "3000.5", "i": "abc", "BT": false,
              "L": "PlusTick"},
                         {"T": 1764064800001, "s": "ETHUSDT", "S": "Sell", "v": "2", "p": "3000", "i": "abd", "BT": true}]}
            """
        let message = try EnvelopeDecoder.decode(text: text)
        #expect(message.events.count == 2)
        guard case .trade(let first) = message.events[0].body, case .trade(let second) = message.events[1].body else {
            Issue.record("not trades"); return
        }
        #expect(
            first == Trade(price: 3000.5, size: 0.01, side: .buy, tradeId: "abc", tradeTimeMs: 1764064800000, tickDirection: "PlusTick"))
        #expect(second.side == .sell)
        #expect(second.isBlockTrade)
        #expect(message.events[1].exchTsMs == 1764064800001)
    }

    @Test func decodesKlineTickerFundingPositionAndPositionManagerEvents() throws {
        let kline = try EnvelopeDecoder.decode(
            text: """
                {"event_type":"kline","topic":"kline.1.BTCUSDT","payload":{"start":1764064800000,"end":1764064859999,
                 "interval":"1","open":"1","high":"2","low":"0.5","close":"1.5","volume":"10","turnover":"15","confirm":true,
                  "timestamp":1764064803000}}
                """)
        #expect(kline.events[0].symbol == "BTCUSDT")
        #expect(
            kline.events[0].body
                == .kline(
                    Kline(
                        interval: "1", startMs: 1764064800000, endMs: 1764064859999, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10,
                        turnover: 15, confirm: true)))

        let ticker = try EnvelopeDecoder.decode(
            text: """
                {"event_type":"ticker","topic":"tickers.BTCUSDT","payload":{"symbol":"BTCUSDT","markPrice":"100.5",
                 "fundingRate":"0.0001","nextFundingTime":"1764086400000"}}
                """)
        #expect(ticker.events[0].body == .ticker(TickerUpdate(markPrice: 100.5, fundingRate: 0.0001, nextFundingTimeMs: 1764086400000)))

        let funding = try EnvelopeDecoder.decode(
            text: """
                {"event_type":"funding","payload":{"symbol":"BTCUSDT","fundingRate":"-0.0002","fundingRateTimestamp":"1764086400000"}}
                """)
        #expect(funding.events[0].body == .funding(FundingUpdate(fundingRate: -0.0002, fundingRateTimestampMs: 1764086400000)))

        let position = try EnvelopeDecoder.decode(
            text: """
                {"event_type":"position","payload":{"symbol":"BTCUSDT","side":"Sell","size":"0.5","avgPrice":"95000",
                 "markPrice":"95100","unrealisedPnl":"-50","updatedTime":"1764086400000"}}
                """)
        guard case .position(let p) = position.events[0].body else { Issue.record("not a position"); return }
        #expect(p.size == -0.5)
        #expect(p.entryPrice == 95000)
        #expect(p.source == .exchange)

        let manager = try EnvelopeDecoder.decode(
            text: """
                {"event_type":"position_updated","position_id":"p1","asset":"BTCUSDT","size":"-1.25","unrealized_pnl":"3",
                 "realized_pnl":"0","mode":"one-way","update_source":"fill","trace_id":"t9","timestamp":"2026-11-24T12:00:00+02:00"}
                """)
        guard case .position(let m) = manager.events[0].body else { Issue.record("not a position"); return }
        #expect(m.size == -1.25)
        #expect(m.entryPrice == nil)
        #expect(m.source == .positionManager)
        #expect(manager.traceId == "t9")
        #expect(m.updatedTimeMs == Time.parseISO8601("2026-11-24T10:00:00Z")! / 1_000_000)
    }

    @Test(arguments: [
        ("not json", ""),
        (#"{"event_type":"orderbook","payload":{"s":"BTCUSDT","type":"delta","u":1,"b":[["abc","1"]],"a":[]}}"#, "payload.b[0][0]"),
        (#"{"event_type":"orderbook","payload":{"s":"BTCUSDT","type":"delta","b":[],"a":[]}}"#, "payload.u"),
        (#"{"event_type":"orderbook","payload":{"s":"BTCUSDT","type":"partial","u":1}}"#, "payload.type"),
        (#"{"event_type":"trade","payload":{"s":"BTCUSDT","S":"Hold","v":"1","p":"1","i":"x"}}"#, "payload.S"),
        (#"{"event_type":"trade","payload":{"s":"btc/usdt","S":"Buy","v":"1","p":"1","i":"x"}}"#, "payload.s"),
        (#"{"event_type":"trade","payload":{"s":"BTCUSDT","S":"Buy","v":"nan","p":"1","i":"x"}}"#, "payload.v"),
        (#"{"event_type":"trade","payload":{"s":"BTCUSDT","S":"Buy","v":"0","p":"1","i":"x"}}"#, "payload.v"),
        (#"{"event_type":"ticker","payload":{"symbol":"BTCUSDT","markPrice":"1e999"}}"#, "payload.markPrice"),
        (#"{"event_type":"weather","payload":{}}"#, "event_type"),
        (#"{"payload":{}}"#, "event_type"),
        (#"{"event_type":"trade","received_at":"yesterday","payload":{}}"#, "received_at"),
    ])
    func malformedInputIsATypedErrorNamingTheField(text: String, field: String) {
        #expect {
            _ = try EnvelopeDecoder.decode(text: text)
        } throws: { error in
            guard let error = error as? DecodeError else { return false }
            return error.field == field && !error.problem.isEmpty
        }
    }

    @Test func errorsCarryTheTraceId() {
        do {
            _ = try EnvelopeDecoder.decode(text: #"{"event_type":"trade","trace_id":"abc-1","payload":{"s":"X1"}}"#)
            Issue.record("expected an error")
        } catch {
            #expect(error.traceId == "abc-1")
            #expect(error.description.contains("payload.p"))
        }
    }
}

@Suite struct TimeTests {
    @Test func parsesISO8601Exactly() {
        #expect(Time.parseISO8601("1970-01-01T00:00:00") == 0)
        #expect(Time.parseISO8601("1970-01-01T00:00:01.000000001Z") == 1_000_000_001)
        #expect(Time.parseISO8601("2024-12-01T00:00:00.691000") == 1_733_011_200_691_000_000)
        #expect(Time.parseISO8601("2024-12-01T02:00:00+02:00") == 1_733_011_200_000_000_000)
        #expect(Time.parseISO8601("2024-02-30T00:00:00") != nil)  // calendar validity beyond 1...31 is not checked
        #expect(Time.parseISO8601("2024-12-01") == nil)
        #expect(Time.parseISO8601("2024-12-01T25:00:00") == nil)
        #expect(Time.parseISO8601("2024-12-01T00:00:00.") == nil)
        // Offsets: +HH:MM, +HHMM, +HH, and the malformed forms around them.
        #expect(Time.parseISO8601("2024-11-30T22:30:00-01:30") == 1_733_011_200_000_000_000)
        #expect(Time.parseISO8601("2024-12-01T02:30:00+0230") == 1_733_011_200_000_000_000)
        #expect(Time.parseISO8601("2024-12-01T02:00:00+02") == 1_733_011_200_000_000_000)
        for bad in ["+02:3", "+02:xx", "+02:300", "+0", "+023", "+02300", "*02", "+02:30Z"] {
            #expect(Time.parseISO8601("2024-12-01T02:00:00" + bad) == nil, "\(bad)")
        }
    }

    @Test func formatsAndRoundTrips() {
        let t: Nanos = 1_733_011_200_691_000_123
        #expect(Time.formatISO8601(t) == "2024-12-01T00:00:00.691000123Z")
        #expect(Time.parseISO8601(Time.formatISO8601(t)) == t)
        #expect(Time.formatDate(t) == "2024-12-01")
    }

    @Test func parsesDurations() {
        #expect(Time.parseDuration("500ms") == 500_000_000)
        #expect(Time.parseDuration("3s") == 3_000_000_000)
        #expect(Time.parseDuration("1m") == 60_000_000_000)
        #expect(Time.parseDuration("1h") == 3_600_000_000_000)
        #expect(Time.parseDuration("1d") == 86_400_000_000_000)
        for bad in ["", "3", "s", "0s", "-1s", "1.5s", "3 s", "3sec", "1w"] { #expect(Time.parseDuration(bad) == nil, "\(bad)") }
        #expect(Time.formatDuration(60_000_000_000) == "1m")
    }

    @Test func stamperKeepsRecvTsMonotonicAndSeqStrictlyIncreasingPerSymbol() {
        var stamper = Stamper()
        let a = UnstampedEvent(symbol: "A", body: .funding(FundingUpdate(fundingRate: 0)))
        let b = UnstampedEvent(symbol: "B", body: .funding(FundingUpdate(fundingRate: 0)))
        #expect(stamper.stamp(a, at: 100).recvTs == 100)
        let back = stamper.stamp(a, at: 90)
        #expect(back.recvTs == 100)
        #expect(back.seq == 2)
        #expect(stamper.stamp(b, at: 90).seq == 1)
        stamper.floor = 200
        #expect(stamper.stamp(a, at: 150).recvTs == 201)
    }
}

@Suite struct JSONParserTests {
    @Test func parsesNestedValuesAndEscapes() throws {
        let value = try JSONParser.parse(#"{"a":[1,-2.5e3,true,null,"x\"\u00e9\ud83d\ude00"],"b":{}}"#)
        #expect(value["a"] == .array([.number("1"), .number("-2.5e3"), .bool(true), .null, .string("x\"é😀")]))
        #expect(value["b"] == .object([:]))
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "01x", "\"abc", "tru", "[1] 2", String(repeating: "[", count: 100)])
    func rejectsInvalidDocuments(text: String) {
        #expect(throws: JSONSyntaxError.self) { _ = try JSONParser.parse(text) }
    }

    @Test func writesNumbersThatReadBackExactly() {
        var out = ""
        JSONText.appendNumber(0.1 + 0.2, to: &out)
        #expect(Double(out) == 0.1 + 0.2)
        out = ""
        JSONText.appendNumber(.nan, to: &out)
        #expect(out == "null")
    }

    @Test func writesStringsWithAndWithoutEscapesThatReadBack() throws {
        for text in ["ret_1s", "", "BTCUSDT", "a\"b", "back\\slash", "line\nbreak\ttab\r", "bell\u{07}", "é ✓ 𝄞", "x\u{1F}"] {
            var out = "["
            JSONText.appendString(text, to: &out)
            out += "]"
            #expect(try JSONParser.parse(out) == .array([.string(text)]))
        }
        var plain = ""
        JSONText.appendString("mid_price", to: &plain)
        #expect(plain == "\"mid_price\"")
        var escaped = ""
        JSONText.appendString("q\"\u{01}", to: &escaped)
        #expect(escaped == #""q\"\u0001""#)
    }
}

@Suite struct DuplicateFilterTests {
    @Test func aRedeliveredMessageIsRecognisedAndAFreshOneIsNot() throws {
        var filter = DuplicateFilter(capacity: 2)
        func duplicate(_ event: UnstampedEvent) -> Bool { filter.isDuplicate(event) }
        let delta = UnstampedEvent(
            symbol: "BTCUSDT", exchTsMs: 5, body: .book(BookUpdate(isSnapshot: false, updateId: 10, bids: [], asks: [])))
        let next = UnstampedEvent(
            symbol: "BTCUSDT", exchTsMs: 6, body: .book(BookUpdate(isSnapshot: false, updateId: 11, bids: [], asks: [])))
        let trade = UnstampedEvent(symbol: "BTCUSDT", body: .trade(Trade(price: 1, size: 1, side: .buy, tradeId: "x")))
        #expect(!duplicate(delta))
        #expect(duplicate(delta))
        #expect(!duplicate(next))
        #expect(!duplicate(trade))
        // Capacity 2: the oldest key (delta) has been forgotten.
        #expect(!duplicate(delta))
        // A restart snapshot reuses u = 1 but at another exchange time: not a duplicate.
        let restart1 = UnstampedEvent(
            symbol: "BTCUSDT", exchTsMs: 100, body: .book(BookUpdate(isSnapshot: true, updateId: 1, bids: [], asks: [])))
        var restart2 = restart1
        restart2.exchTsMs = 200
        #expect(!duplicate(restart1))
        #expect(!duplicate(restart2))
    }
}
