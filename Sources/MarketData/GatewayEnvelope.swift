/// Encodes events as the gateway publishes them (interfaces.md §1): the inverse of
/// ``EnvelopeDecoder``. Used by the simulated feed, recordings and tests. Decimals are
/// written in the shortest form that parses back to the same `Double`. Hand-written, not
/// encoded: the payload keeps the exchange's field order and decimal strings, and this feeds
/// the simulated market and the benchmarks at millions of events.
public enum GatewayEnvelope {
    /// The envelope text of `event`. With `includeRecvTs`, the recording field `recv_ts`
    /// carries the stamp so that a replay sees exactly the same times.
    public static func encode(_ event: MarketEvent, eventId: String, includeRecvTs: Bool = false) -> String {
        encode(
            UnstampedEvent(
                symbol: event.symbol, exchTsMs: event.exchTsMs, gatewayTs: event.gatewayTs ?? event.recvTs,
                traceId: event.traceId, body: event.body),
            eventId: eventId, recvTs: includeRecvTs ? event.recvTs : nil)
    }

    /// The envelope text of an unstamped event.
    public static func encode(_ event: UnstampedEvent, eventId: String, recvTs: Nanos? = nil) -> String {
        var out = "{"
        if let recvTs { out += "\"recv_ts\":\(recvTs)," }
        let (eventType, topic) = names(event)
        out += "\"event_id\":"
        JSONText.appendString(eventId, to: &out)
        out += ",\"event_type\":\"\(eventType)\",\"topic\":"
        JSONText.appendString(topic, to: &out)
        if let exch = event.exchTsMs ?? event.gatewayTs.map({ Time.floorDiv($0, Time.nanosPerMilli) }) {
            out += ",\"timestamp\":\"\(isoMicros(exch * Time.nanosPerMilli))\""
        }
        if let gateway = event.gatewayTs { out += ",\"received_at\":\"\(isoMicros(gateway))\"" }
        if let trace = event.traceId {
            out += ",\"trace_id\":"
            JSONText.appendString(trace, to: &out)
        }
        out += ",\"payload\":{"
        var first = true
        func field(_ key: String, _ raw: String) {
            if !first { out += "," }
            first = false
            out += "\"\(key)\":\(raw)"
        }
        func string(_ key: String, _ value: String) {
            var quoted = ""
            JSONText.appendString(value, to: &quoted)
            field(key, quoted)
        }
        func decimal(_ key: String, _ value: Double?) { if let value { field(key, "\"\(value.description)\"") } }
        func levels(_ list: [PriceLevel]) -> String {
            "[" + list.map { "[\"\($0.price.description)\",\"\($0.size.description)\"]" }.joined(separator: ",") + "]"
        }
        switch event.body {
        case .book(let book):
            string("s", event.symbol)
            string("type", book.isSnapshot ? "snapshot" : "delta")
            field("u", String(book.updateId))
            if let seq = book.crossSeq { field("seq", String(seq)) }
            field("b", levels(book.bids))
            field("a", levels(book.asks))
        case .trade(let trade):
            if let time = trade.tradeTimeMs { field("T", String(time)) }
            string("s", event.symbol)
            string("S", trade.side == .buy ? "Buy" : "Sell")
            decimal("v", trade.size)
            decimal("p", trade.price)
            string("i", trade.tradeId)
            field("BT", trade.isBlockTrade ? "true" : "false")
            if let tick = trade.tickDirection { string("L", tick) }
        case .kline(let kline):
            field("start", String(kline.startMs))
            field("end", String(kline.endMs))
            string("interval", kline.interval)
            decimal("open", kline.open)
            decimal("high", kline.high)
            decimal("low", kline.low)
            decimal("close", kline.close)
            decimal("volume", kline.volume)
            decimal("turnover", kline.turnover)
            field("confirm", kline.confirm ? "true" : "false")
            if let time = event.exchTsMs { field("timestamp", String(time)) }
        case .ticker(let ticker):
            string("symbol", event.symbol)
            decimal("lastPrice", ticker.lastPrice)
            decimal("markPrice", ticker.markPrice)
            decimal("indexPrice", ticker.indexPrice)
            decimal("openInterest", ticker.openInterest)
            decimal("fundingRate", ticker.fundingRate)
            if let next = ticker.nextFundingTimeMs { string("nextFundingTime", String(next)) }
            decimal("bid1Price", ticker.bid1Price)
            decimal("bid1Size", ticker.bid1Size)
            decimal("ask1Price", ticker.ask1Price)
            decimal("ask1Size", ticker.ask1Size)
            decimal("volume24h", ticker.volume24h)
            decimal("turnover24h", ticker.turnover24h)
        case .funding(let funding):
            string("symbol", event.symbol)
            decimal("fundingRate", funding.fundingRate)
            if let time = funding.fundingRateTimestampMs { string("fundingRateTimestamp", String(time)) }
            if let next = funding.nextFundingTimeMs { string("nextFundingTime", String(next)) }
        case .position(let position):
            string("symbol", event.symbol)
            string("side", position.size > 0 ? "Buy" : position.size < 0 ? "Sell" : "")
            decimal("size", abs(position.size))
            decimal("avgPrice", position.entryPrice)
            decimal("markPrice", position.markPrice)
            decimal("unrealisedPnl", position.unrealizedPnl)
            decimal("cumRealisedPnl", position.realizedPnl)
            if let time = position.updatedTimeMs { string("updatedTime", String(time)) }
        case .execution(let execution):
            string("symbol", event.symbol)
            string("orderId", execution.orderId)
            if let id = execution.executionId { string("execId", id) }
            if let side = execution.side { string("side", side == .buy ? "Buy" : "Sell") }
            decimal("execPrice", execution.price)
            decimal("execQty", execution.quantity)
            if let status = execution.status { string("orderStatus", status) }
            if let time = execution.timeMs { string("execTime", String(time)) }
        }
        if !first { out += "," }
        out += "\"topic\":"
        JSONText.appendString(topic, to: &out)
        return out + "}}"
    }

    private static func names(_ event: UnstampedEvent) -> (String, String) {
        switch event.body {
        case .book(let book): ("orderbook", "orderbook.\(book.depth ?? 50).\(event.symbol)")
        case .trade: ("trade", "publicTrade.\(event.symbol)")
        case .kline(let kline): ("kline", "kline.\(kline.interval).\(event.symbol)")
        case .ticker: ("ticker", "tickers.\(event.symbol)")
        case .funding: ("funding", "funding.\(event.symbol)")
        case .position: ("position", "position")
        case .execution: ("order", "order")
        }
    }

    /// ISO-8601 UTC with microseconds and no offset, the gateway's form.
    static func isoMicros(_ nanos: Nanos) -> String {
        let text = Time.formatISO8601(nanos)  // ...SS.nnnnnnnnnZ
        return String(text.prefix(26))
    }
}
