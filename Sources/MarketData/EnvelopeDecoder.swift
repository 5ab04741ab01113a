/// Why a message could not be decoded: the field (a path such as `payload.b[3][0]`) and
/// the problem. Malformed input is never fatal: callers count it, log it with the trace id
/// and keep the body.
public struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var problem: String
    /// The message's trace id, when it could be read.
    public var traceId: String?
    public init(field: String, problem: String, traceId: String? = nil) {
        self.field = field
        self.problem = problem
        self.traceId = traceId
    }
    public var description: String { field.isEmpty ? problem : "\(field): \(problem)" }
}

/// A decoded gateway message: one envelope may hold several data items (Bybit batches trades).
public struct DecodedMessage: Sendable, Equatable {
    /// The envelope's `event_type` (`position_updated` for the position manager's events).
    public var eventType: String
    public var eventId: String?
    public var traceId: String?
    /// A recording's optional top-level `recv_ts` (ns).
    public var recordedRecvTs: Nanos?
    public var events: [UnstampedEvent]
}

/// Decodes gateway envelopes (interfaces.md §1) and the position manager's flat events.
public enum EnvelopeDecoder {
    /// Decodes one message body.
    public static func decode(_ bytes: some Collection<UInt8>) throws(DecodeError) -> DecodedMessage {
        if let common = bytes.withContiguousStorageIfAvailable(EnvelopeFastPath.decode), let message = common { return message }
        return try decodeGeneral(bytes)
    }

    /// ``decode(_:)`` without the fast path for the common messages: a JSON tree, then its members.
    static func decodeGeneral(_ bytes: some Collection<UInt8>) throws(DecodeError) -> DecodedMessage {
        let root: JSONValue
        do { root = try JSONParser.parse(bytes: bytes) } catch { throw DecodeError(field: "", problem: error.description) }
        return try decode(root)
    }

    /// ``decode(_:)`` as a value: the message, or the error naming what is wrong.
    public static func decodeResult(_ bytes: some Collection<UInt8>) -> Result<DecodedMessage, DecodeError> {
        do throws(DecodeError) { return .success(try decode(bytes)) } catch { return .failure(error) }
    }

    /// Decodes one message body given as text.
    public static func decode(text: some StringProtocol) throws(DecodeError) -> DecodedMessage {
        try decode(Array(text.utf8))
    }

    /// Decodes an already parsed message.
    public static func decode(_ root: JSONValue) throws(DecodeError) -> DecodedMessage {
        guard case .object(let envelope) = root else {
            throw DecodeError(field: "", problem: "expected a JSON object, got \(root.typeName)")
        }
        let traceId = envelope["trace_id"].flatMap { if case .string(let s) = $0 { s } else { nil } }
        do throws(DecodeError) {
            let fields = Fields(envelope, path: "")
            let eventType = try fields.string("event_type")
            let recorded = try fields.optionalEpochNanos("recv_ts")
            if eventType == "position_updated" {
                return DecodedMessage(
                    eventType: eventType, eventId: try fields.optionalString("position_id"), traceId: traceId,
                    recordedRecvTs: recorded, events: [try positionManagerEvent(fields, traceId: traceId)])
            }
            let eventId = try fields.optionalString("event_id")
            let topic = try fields.optionalString("topic")
            let exchangeTs = try fields.optionalTimestamp("timestamp")
            let gatewayTs = try fields.optionalTimestamp("received_at")
            guard let payload = envelope["payload"] else { throw DecodeError(field: "payload", problem: "missing") }
            let items: [(JSONValue, String)]
            switch payload {
            case .object: items = [(payload, "payload")]
            case .array(let list):
                guard !list.isEmpty else { throw DecodeError(field: "payload", problem: "empty array") }
                items = list.enumerated().map { ($0.element, "payload[\($0.offset)]") }
            default: throw DecodeError(field: "payload", problem: "expected an object or array, got \(payload.typeName)")
            }
            var events: [UnstampedEvent] = []
            events.reserveCapacity(items.count)
            for (item, path) in items {
                guard case .object(let members) = item else {
                    throw DecodeError(field: path, problem: "expected an object, got \(item.typeName)")
                }
                let itemFields = Fields(members, path: path)
                let itemTopic = try itemFields.optionalString("topic") ?? topic
                var event = try decodeItem(eventType: eventType, topic: itemTopic, fields: itemFields)
                if event.exchTsMs == nil, let exchangeTs { event.exchTsMs = Time.floorDiv(exchangeTs, Time.nanosPerMilli) }
                event.gatewayTs = gatewayTs
                event.traceId = traceId
                events.append(event)
            }
            return DecodedMessage(eventType: eventType, eventId: eventId, traceId: traceId, recordedRecvTs: recorded, events: events)
        } catch {
            var error = error
            error.traceId = traceId
            throw error
        }
    }

    private static func decodeItem(eventType: String, topic: String?, fields: Fields) throws(DecodeError) -> UnstampedEvent {
        switch eventType {
        case "orderbook":
            let symbol = try symbolOf(fields, key: "s", topic: topic)
            let kind = try fields.string("type")
            guard kind == "snapshot" || kind == "delta" else { throw fields.error("type", "expected snapshot or delta, got '\(kind)'") }
            let depth = topic.flatMap(topicDepth)
            let update = BookUpdate(
                isSnapshot: kind == "snapshot", updateId: try fields.integer("u"),
                crossSeq: try fields.optionalInteger("seq"), depth: depth,
                bids: try fields.levels("b"), asks: try fields.levels("a"))
            return UnstampedEvent(symbol: symbol, body: .book(update))
        case "trade":
            let symbol = try symbolOf(fields, key: "s", topic: topic)
            let price = try fields.decimal("p")
            let size = try fields.decimal("v")
            guard price > 0 else { throw fields.error("p", "price must be positive") }
            guard size > 0 else { throw fields.error("v", "size must be positive") }
            let sideText = try fields.string("S")
            guard let side = parseSide(sideText) else { throw fields.error("S", "expected Buy or Sell, got '\(sideText)'") }
            let time = try fields.optionalEpochMillis("T")
            let trade = Trade(
                price: price, size: size, side: side, tradeId: try fields.idString("i"), tradeTimeMs: time,
                isBlockTrade: try fields.optionalBool("BT") ?? false, tickDirection: try fields.optionalString("L"))
            return UnstampedEvent(symbol: symbol, exchTsMs: time, body: .trade(trade))
        case "kline":
            let symbol = try symbolOf(fields, key: "symbol", topic: topic)
            let kline = Kline(
                interval: try fields.idString("interval"), startMs: try fields.epochMillis("start"), endMs: try fields.epochMillis("end"),
                open: try fields.decimal("open"), high: try fields.decimal("high"), low: try fields.decimal("low"),
                close: try fields.decimal("close"), volume: try fields.decimal("volume"),
                turnover: try fields.decimal("turnover"), confirm: try fields.optionalBool("confirm") ?? false)
            return UnstampedEvent(symbol: symbol, exchTsMs: try fields.optionalEpochMillis("timestamp"), body: .kline(kline))
        case "ticker":
            let symbol = try symbolOf(fields, key: "symbol", topic: topic)
            let ticker = TickerUpdate(
                lastPrice: try fields.optionalDecimal("lastPrice"), markPrice: try fields.optionalDecimal("markPrice"),
                indexPrice: try fields.optionalDecimal("indexPrice"), openInterest: try fields.optionalDecimal("openInterest"),
                fundingRate: try fields.optionalDecimal("fundingRate"),
                nextFundingTimeMs: try fields.optionalEpochMillis("nextFundingTime"),
                bid1Price: try fields.optionalDecimal("bid1Price"), bid1Size: try fields.optionalDecimal("bid1Size"),
                ask1Price: try fields.optionalDecimal("ask1Price"), ask1Size: try fields.optionalDecimal("ask1Size"),
                volume24h: try fields.optionalDecimal("volume24h"), turnover24h: try fields.optionalDecimal("turnover24h"))
            return UnstampedEvent(symbol: symbol, body: .ticker(ticker))
        case "funding":
            let symbol = try symbolOf(fields, key: "symbol", topic: topic)
            let funding = FundingUpdate(
                fundingRate: try fields.optionalDecimal("fundingRate"),
                fundingRateTimestampMs: try fields.optionalEpochMillis("fundingRateTimestamp"),
                nextFundingTimeMs: try fields.optionalEpochMillis("nextFundingTime"))
            guard funding.fundingRate != nil || funding.nextFundingTimeMs != nil else {
                throw fields.error("fundingRate", "missing (neither fundingRate nor nextFundingTime present)")
            }
            return UnstampedEvent(symbol: symbol, body: .funding(funding))
        case "position":
            let symbol = try symbolOf(fields, key: "symbol", topic: nil)
            let sideText = try fields.optionalString("side") ?? ""
            let size = try fields.decimal("size")
            guard size >= 0 else { throw fields.error("size", "must not be negative (the side gives the sign)") }
            let signed: Double
            switch sideText {
            case "Buy": signed = size
            case "Sell": signed = -size
            case "", "None": signed = 0
            default: throw fields.error("side", "expected Buy, Sell or empty, got '\(sideText)'")
            }
            let entry = try fields.optionalDecimal("avgPrice")
            let updated = try fields.optionalEpochMillis("updatedTime")
            let position = PositionUpdate(
                size: signed, entryPrice: signed == 0 ? nil : entry,
                markPrice: try fields.optionalDecimal("markPrice"),
                unrealizedPnl: try fields.optionalDecimal("unrealisedPnl"),
                realizedPnl: try fields.optionalDecimal("cumRealisedPnl"), source: .exchange, updatedTimeMs: updated)
            return UnstampedEvent(symbol: symbol, exchTsMs: updated, body: .position(position))
        case "order", "execution":
            let symbol = try symbolOf(fields, key: "symbol", topic: nil)
            let sideText = try fields.optionalString("side")
            let execTime = try fields.optionalEpochMillis("execTime")
            let updatedTime = try fields.optionalEpochMillis("updatedTime")
            let time = execTime ?? updatedTime
            let execPrice = try fields.optionalDecimal("execPrice")
            let orderPrice = try fields.optionalDecimal("price")
            let execQty = try fields.optionalDecimal("execQty")
            let orderQty = try fields.optionalDecimal("qty")
            let execution = Execution(
                orderId: try fields.idString("orderId"), executionId: try fields.optionalString("execId"),
                side: sideText.flatMap(parseSide), price: execPrice ?? orderPrice,
                quantity: execQty ?? orderQty,
                status: try fields.optionalString("orderStatus"), timeMs: time)
            return UnstampedEvent(symbol: symbol, exchTsMs: time, body: .execution(execution))
        default:
            throw DecodeError(field: "event_type", problem: "unknown event type '\(eventType)'")
        }
    }

    private static func positionManagerEvent(_ fields: Fields, traceId: String?) throws(DecodeError) -> UnstampedEvent {
        let symbol = try fields.string("asset")
        guard Symbols.isValid(symbol) else { throw fields.error("asset", "unknown symbol format '\(symbol)'") }
        let time = try fields.optionalTimestamp("timestamp")
        let position = PositionUpdate(
            size: try fields.decimal("size"), entryPrice: nil, markPrice: nil,
            unrealizedPnl: try fields.optionalDecimal("unrealized_pnl"),
            realizedPnl: try fields.optionalDecimal("realized_pnl"), source: .positionManager,
            updatedTimeMs: time.map { Time.floorDiv($0, Time.nanosPerMilli) })
        return UnstampedEvent(symbol: symbol, exchTsMs: position.updatedTimeMs, traceId: traceId, body: .position(position))
    }

    private static func parseSide(_ text: String) -> Side? {
        switch text {
        case "Buy", "buy", "BUY": .buy
        case "Sell", "sell", "SELL": .sell
        default: nil
        }
    }

    private static func topicPart(_ topic: String, _ index: Int) -> String? {
        let parts = topic.split(separator: ".", omittingEmptySubsequences: false)
        return index < parts.count ? String(parts[index]) : nil
    }

    /// A book topic's depth (`orderbook.{depth}.{symbol}`), when its second part is an integer.
    static func topicDepth(_ topic: String) -> Int? {
        let utf8 = topic.utf8
        // ASCII: every byte is a Character and "." never joins a neighbour, so the part between the
        // first and second "." is found on the bytes (splitting Characters costs ~2 % of the live path).
        guard utf8.allSatisfy({ $0 < 0x80 }) else { return topicPart(topic, 1).flatMap { Int($0) } }
        guard let dot = utf8.firstIndex(of: UInt8(ascii: ".")) else { return nil }
        let start = utf8.index(after: dot)
        return Int(topic[start..<(utf8[start...].firstIndex(of: UInt8(ascii: ".")) ?? utf8.endIndex)])
    }

    /// The symbol a topic names: its last non-empty `.`-separated part, when it has a `.` at all.
    static func topicSymbol(_ topic: String?) -> String? {
        guard let topic, topic.contains(".") else { return nil }
        return topic.split(separator: ".").last.map(String.init)
    }

    private static func symbolOf(_ fields: Fields, key: String, topic: String?) throws(DecodeError) -> String {
        guard let symbol = try fields.optionalString(key) ?? topicSymbol(topic) else {
            throw fields.error(key, "missing (and no symbol in the topic)")
        }
        guard Symbols.isValid(symbol) else { throw fields.error(key, "unknown symbol format '\(symbol)'") }
        return symbol
    }
}

/// Symbol rules: symbols become partition directory names, so only a safe alphabet is accepted.
public enum Symbols {
    /// Upper-case letters, digits, `-` and `_`, 1 to 40 characters, starting with a letter or digit.
    public static func isValid(_ symbol: String) -> Bool {
        let utf8 = symbol.utf8
        guard (1...40).contains(utf8.count) else { return false }
        for (offset, c) in utf8.enumerated() {
            let alnum = (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39)
            if !(alnum || (offset > 0 && (c == UInt8(ascii: "-") || c == UInt8(ascii: "_")))) { return false }
        }
        return true
    }
}

/// Typed access to an object's members with precise error paths.
struct Fields {
    let members: [String: JSONValue]
    let path: String
    init(_ members: [String: JSONValue], path: String) {
        self.members = members
        self.path = path
    }

    func error(_ key: String, _ problem: String) -> DecodeError {
        DecodeError(field: path.isEmpty ? key : "\(path).\(key)", problem: problem)
    }

    func string(_ key: String) throws(DecodeError) -> String {
        guard let value = try optionalString(key) else { throw error(key, "missing") }
        return value
    }

    func optionalString(_ key: String) throws(DecodeError) -> String? {
        switch members[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case let other?: throw error(key, "expected a string, got \(other.typeName)")
        }
    }

    /// An identifier given as a string or an integer.
    func idString(_ key: String) throws(DecodeError) -> String {
        switch members[key] {
        case nil, .null?: throw error(key, "missing")
        case .string(let s)?: return s
        case .number(let n)?: return n
        case let other?: throw error(key, "expected a string, got \(other.typeName)")
        }
    }

    func optionalBool(_ key: String) throws(DecodeError) -> Bool? {
        switch members[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case .string("true")?: return true
        case .string("false")?: return false
        case let other?: throw error(key, "expected a boolean, got \(other.typeName)")
        }
    }

    func integer(_ key: String) throws(DecodeError) -> Int64 {
        guard let value = try optionalInteger(key) else { throw error(key, "missing") }
        return value
    }

    /// An integer given as a JSON number or a decimal string of digits.
    func optionalInteger(_ key: String) throws(DecodeError) -> Int64? {
        let text: String
        switch members[key] {
        case nil, .null?: return nil
        case .number(let n)?: text = n
        case .string(let s)?: text = s
        case let other?: throw error(key, "expected an integer, got \(other.typeName)")
        }
        guard let value = Int64(text) else { throw error(key, "not an integer: '\(text.prefix(40))'") }
        return value
    }

    func decimal(_ key: String) throws(DecodeError) -> Double {
        guard let value = try optionalDecimal(key) else { throw error(key, "missing") }
        return value
    }

    /// A decimal given as a string (the exchange's form) or a JSON number, parsed once.
    /// An empty string (Bybit's "no value") reads as absent.
    func optionalDecimal(_ key: String) throws(DecodeError) -> Double? {
        switch members[key] {
        case nil, .null?: return nil
        case .string("")?: return nil
        case .string(let s)?:
            guard let value = Decimal64.parse(s) else { throw error(key, "not a decimal number: '\(s.prefix(40))'") }
            return value
        case .number(let n)?:
            guard let value = Decimal64.parse(n) else { throw error(key, "number out of range: '\(n.prefix(40))'") }
            return value
        case let other?: throw error(key, "expected a decimal string, got \(other.typeName)")
        }
    }

    func optionalTimestamp(_ key: String) throws(DecodeError) -> Nanos? {
        guard let text = try optionalString(key) else { return nil }
        guard let value = Time.parseISO8601(text) else { throw error(key, "not an ISO-8601 timestamp: '\(text.prefix(40))'") }
        guard Time.isAccepted(value) else { throw error(key, "out of range: '\(text.prefix(40))' is not \(Time.acceptedRangeText)") }
        return value
    }

    func epochMillis(_ key: String) throws(DecodeError) -> Int64 {
        guard let value = try optionalEpochMillis(key) else { throw error(key, "missing") }
        return value
    }

    /// An exchange time in ms since the epoch, within the accepted range (so that converting it
    /// to ns, or subtracting it from another instant, cannot overflow anywhere downstream).
    func optionalEpochMillis(_ key: String) throws(DecodeError) -> Int64? {
        guard let value = try optionalInteger(key) else { return nil }
        guard Time.acceptedMillis.contains(value) else {
            throw error(key, "out of range: \(value) ms since the epoch is not \(Time.acceptedRangeText)")
        }
        return value
    }

    /// An instant in ns since the epoch, within the accepted range.
    func optionalEpochNanos(_ key: String) throws(DecodeError) -> Nanos? {
        guard let value = try optionalInteger(key) else { return nil }
        guard Time.isAccepted(value) else { throw error(key, "out of range: \(value) ns since the epoch is not \(Time.acceptedRangeText)") }
        return value
    }

    /// A list of `[price, size]` pairs.
    func levels(_ key: String) throws(DecodeError) -> [PriceLevel] {
        guard let value = members[key] else { return [] }
        guard case .array(let list) = value else {
            if case .null = value { return [] }
            throw error(key, "expected an array of [price, size], got \(value.typeName)")
        }
        var levels: [PriceLevel] = []
        levels.reserveCapacity(list.count)
        for (offset, entry) in list.enumerated() {
            let here = "\(key)[\(offset)]"
            guard case .array(let pair) = entry, pair.count >= 2 else { throw error(here, "expected [price, size]") }
            guard let price = Self.decimalValue(pair[0]), price > 0 else { throw error("\(here)[0]", "price must be a positive decimal") }
            guard let size = Self.decimalValue(pair[1]), size >= 0 else { throw error("\(here)[1]", "size must be a non-negative decimal") }
            levels.append(PriceLevel(price: price, size: size))
        }
        return levels
    }

    private static func decimalValue(_ value: JSONValue) -> Double? {
        switch value {
        case .string(let s), .number(let s): Decimal64.parse(s)
        default: nil
        }
    }
}

/// Decimal text to `Double`: correctly rounded, so every reader of the same string gets the
/// same bits. Only plain decimal syntax is accepted (no `nan`, `inf` or hex forms).
public enum Decimal64 {
    public static func parse(_ text: String) -> Double? {
        var sawDigit = false
        var previous: UInt8 = 0
        for c in text.utf8 {
            switch c {
            case 0x30...0x39: sawDigit = true
            case UInt8(ascii: "-"), UInt8(ascii: "+"):
                if previous != 0 && previous != UInt8(ascii: "e") && previous != UInt8(ascii: "E") { return nil }
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): break
            default: return nil
            }
            previous = c
        }
        guard sawDigit, let value = Double(text), value.isFinite else { return nil }
        return value
    }
}
