/// The two messages that make up nearly all of the live traffic — a book update and a batch of
/// trades, in the gateway's envelope — decoded straight from the bytes: no JSON tree, no
/// dictionary of members, numbers converted from the bytes where the result is exact.
///
/// It declines (returns nil) whatever lies outside that narrow shape — another event type, a
/// string with an escape, a member given twice, nesting deeper than a level list, any value the
/// general decoder would reject — and ``EnvelopeDecoder`` then decodes the message the general
/// way. So on every input both give the same result, down to the bits of every number and the
/// wording of every error (`EnvelopeFastPathTests` checks this on generated and mutated messages).
/// A field the general decoder starts reading for books or trades must be read here too.
struct EnvelopeFastPath {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The decoded message, or nil when the general decoder must decide.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> DecodedMessage? {
        var scanner = EnvelopeFastPath(bytes)
        return scanner.envelope()
    }

    // MARK: Raw values

    /// A member's value as found in the bytes: for a string its content (no quotes, no escapes),
    /// for a number its text, for a container its whole extent.
    private struct Raw {
        enum Kind { case string, number, null, bool, array, object }
        var kind: Kind
        var start: Int
        var end: Int
        var flag = false
    }

    /// The members the fast path reads, each at most once.
    private enum EnvelopeKey: Int {
        case eventType, eventId, traceId, topic, timestamp, receivedAt, recvTs, payload
    }

    private enum ItemKey: Int {
        case s, type, u, seq, b, a, topic, p, v, side, time, id, blockTrade, tick
    }

    private mutating func envelope() -> DecodedMessage? {
        var members = [Raw?](repeating: nil, count: 8)
        guard scanObject(into: &members, key: Self.envelopeKey) else { return nil }
        skipWhitespace()
        guard index == bytes.count else { return nil }

        guard let typeRaw = members[EnvelopeKey.eventType.rawValue], typeRaw.kind == .string else { return nil }
        let isBook: Bool
        if equals(typeRaw, "orderbook") {
            isBook = true
        } else if equals(typeRaw, "trade") {
            isBook = false
        } else {
            return nil
        }
        let traceId = members[EnvelopeKey.traceId.rawValue].flatMap { $0.kind == .string ? string($0) : nil }
        guard let recorded = optionalInteger(members[EnvelopeKey.recvTs.rawValue]) else { return nil }
        if let value = recorded, !Time.isAccepted(value) { return nil }
        guard let eventId = optionalString(members[EnvelopeKey.eventId.rawValue]),
            let topic = optionalString(members[EnvelopeKey.topic.rawValue]),
            let exchangeTs = optionalTimestamp(members[EnvelopeKey.timestamp.rawValue]),
            let gatewayTs = optionalTimestamp(members[EnvelopeKey.receivedAt.rawValue]),
            let payload = members[EnvelopeKey.payload.rawValue]
        else { return nil }

        var items: [Raw] = []
        switch payload.kind {
        case .object: items = [payload]
        case .array:
            var list = EnvelopeFastPath(bytes)
            list.index = payload.start
            guard list.objects(into: &items), !items.isEmpty else { return nil }
        default: return nil
        }
        var events: [UnstampedEvent] = []
        events.reserveCapacity(items.count)
        for item in items {
            var fields = [Raw?](repeating: nil, count: 14)
            var scanner = EnvelopeFastPath(bytes)
            scanner.index = item.start
            guard scanner.scanObject(into: &fields, key: Self.itemKey) else { return nil }
            guard let itemTopic = optionalString(fields[ItemKey.topic.rawValue]) else { return nil }
            guard var event = isBook ? book(fields, topic: itemTopic ?? topic) : trade(fields, topic: itemTopic ?? topic) else {
                return nil
            }
            if event.exchTsMs == nil, let exchangeTs { event.exchTsMs = Time.floorDiv(exchangeTs, Time.nanosPerMilli) }
            event.gatewayTs = gatewayTs
            event.traceId = traceId
            events.append(event)
        }
        return DecodedMessage(
            eventType: isBook ? "orderbook" : "trade", eventId: eventId, traceId: traceId, recordedRecvTs: recorded, events: events)
    }

    private func book(_ fields: [Raw?], topic: String?) -> UnstampedEvent? {
        guard let symbol = symbol(fields[ItemKey.s.rawValue], topic: topic),
            let kind = fields[ItemKey.type.rawValue], kind.kind == .string
        else { return nil }
        let isSnapshot: Bool
        if equals(kind, "snapshot") {
            isSnapshot = true
        } else if equals(kind, "delta") {
            isSnapshot = false
        } else {
            return nil
        }
        guard let updateId = optionalInteger(fields[ItemKey.u.rawValue]) ?? nil,
            let crossSeq = optionalInteger(fields[ItemKey.seq.rawValue]),
            let bids = levels(fields[ItemKey.b.rawValue]),
            let asks = levels(fields[ItemKey.a.rawValue])
        else { return nil }
        let update = BookUpdate(
            isSnapshot: isSnapshot, updateId: updateId, crossSeq: crossSeq, depth: topic.flatMap(EnvelopeDecoder.topicDepth),
            bids: bids, asks: asks)
        return UnstampedEvent(symbol: symbol, body: .book(update))
    }

    private func trade(_ fields: [Raw?], topic: String?) -> UnstampedEvent? {
        guard let symbol = symbol(fields[ItemKey.s.rawValue], topic: topic),
            let price = optionalDecimal(fields[ItemKey.p.rawValue]) ?? nil, price > 0,
            let size = optionalDecimal(fields[ItemKey.v.rawValue]) ?? nil, size > 0,
            let sideRaw = fields[ItemKey.side.rawValue], sideRaw.kind == .string
        else { return nil }
        let side: Side
        if equals(sideRaw, "Buy") || equals(sideRaw, "buy") || equals(sideRaw, "BUY") {
            side = .buy
        } else if equals(sideRaw, "Sell") || equals(sideRaw, "sell") || equals(sideRaw, "SELL") {
            side = .sell
        } else {
            return nil
        }
        guard let time = optionalInteger(fields[ItemKey.time.rawValue]) else { return nil }
        if let time, !Time.acceptedMillis.contains(time) { return nil }
        guard let idRaw = fields[ItemKey.id.rawValue], idRaw.kind == .string || idRaw.kind == .number,
            let blockTrade = optionalBool(fields[ItemKey.blockTrade.rawValue]),
            let tick = optionalString(fields[ItemKey.tick.rawValue])
        else { return nil }
        let trade = Trade(
            price: price, size: size, side: side, tradeId: string(idRaw), tradeTimeMs: time, isBlockTrade: blockTrade ?? false,
            tickDirection: tick)
        return UnstampedEvent(symbol: symbol, exchTsMs: time, body: .trade(trade))
    }

    /// The item's symbol as ``EnvelopeDecoder`` finds it: its own member, else the topic's last part.
    private func symbol(_ raw: Raw?, topic: String?) -> String? {
        guard let given = optionalString(raw) else { return nil }
        guard let symbol = given ?? EnvelopeDecoder.topicSymbol(topic), Symbols.isValid(symbol) else { return nil }
        return symbol
    }

    // MARK: Typed reads (outer nil: decline; inner nil: absent)

    private func string(_ raw: Raw) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[raw.start..<raw.end]), as: UTF8.self)
    }

    private func equals(_ raw: Raw, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard raw.end - raw.start == count else { return false }
        let text = literal.utf8Start
        for offset in 0..<count where bytes[raw.start + offset] != text[offset] { return false }
        return true
    }

    private func optionalString(_ raw: Raw?) -> String?? {
        guard let raw else { return .some(nil) }
        switch raw.kind {
        case .null: return .some(nil)
        case .string: return .some(string(raw))
        default: return nil
        }
    }

    private func optionalBool(_ raw: Raw?) -> Bool?? {
        guard let raw else { return .some(nil) }
        switch raw.kind {
        case .null: return .some(nil)
        case .bool: return .some(raw.flag)
        case .string where equals(raw, "true"): return .some(true)
        case .string where equals(raw, "false"): return .some(false)
        default: return nil
        }
    }

    /// An integer given as a JSON number or a string of digits (`Int64(text)`, as the general decoder).
    private func optionalInteger(_ raw: Raw?) -> Int64?? {
        guard let raw else { return .some(nil) }
        switch raw.kind {
        case .null: return .some(nil)
        case .string, .number:
            var position = raw.start
            let negative = position < raw.end && bytes[position] == UInt8(ascii: "-")
            if negative { position += 1 }
            let digits = raw.end - position
            guard digits > 0, digits <= 18 else { return Int64(string(raw)).map { .some($0) } }
            var value: Int64 = 0
            while position < raw.end {
                let digit = bytes[position] &- 0x30
                guard digit < 10 else { return Int64(string(raw)).map { .some($0) } }
                value = value * 10 + Int64(digit)
                position += 1
            }
            return .some(negative ? -value : value)
        default: return nil
        }
    }

    /// A decimal given as a string or a JSON number; an empty string reads as absent.
    private func optionalDecimal(_ raw: Raw?) -> Double?? {
        guard let raw else { return .some(nil) }
        switch raw.kind {
        case .null: return .some(nil)
        case .string where raw.start == raw.end: return .some(nil)
        case .string, .number: return decimal(raw).map { .some($0) }
        default: return nil
        }
    }

    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// `Decimal64.parse` of the value's text. Plain `-?digits[.digits]` with a mantissa below 2^53
    /// converts exactly: both the mantissa and the power of ten are exact doubles, so the one
    /// division rounds correctly, as the general parse does. Anything else goes the general way.
    private func decimal(_ raw: Raw) -> Double? {
        var position = raw.start
        let negative = position < raw.end && bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var fraction = 0
        var sawPoint = false
        var plain = position < raw.end
        while position < raw.end, plain {
            let byte = bytes[position]
            if byte == UInt8(ascii: ".") {
                plain = !sawPoint && digits > 0 && position + 1 < raw.end
                sawPoint = true
            } else if byte &- 0x30 < 10 {
                digits += 1
                if sawPoint { fraction += 1 }
                plain = digits <= 15
                mantissa = mantissa &* 10 &+ UInt64(byte &- 0x30)
            } else {
                plain = false
            }
            position += 1
        }
        guard plain, digits > 0 else { return Decimal64.parse(string(raw)) }
        let magnitude = Double(mantissa) / Self.powersOfTen[fraction]
        return negative ? -magnitude : magnitude
    }

    /// Parsed from the bytes: no `String` per timestamp (non-ASCII bytes fail the parse either way).
    private func optionalTimestamp(_ raw: Raw?) -> Nanos?? {
        guard let raw else { return .some(nil) }
        switch raw.kind {
        case .null: return .some(nil)
        case .string:
            let utf8 = UnsafeBufferPointer(rebasing: bytes[raw.start..<raw.end])
            guard let value = Time.parseISO8601(utf8: utf8), Time.isAccepted(value) else { return nil }
            return .some(value)
        default: return nil
        }
    }

    /// A list of `[price, size]` pairs: absent or null reads as empty.
    private func levels(_ raw: Raw?) -> [PriceLevel]? {
        guard let raw else { return [] }
        switch raw.kind {
        case .null: return []
        case .array: break
        default: return nil
        }
        var scanner = EnvelopeFastPath(bytes)
        scanner.index = raw.start + 1
        var levels: [PriceLevel] = []
        scanner.skipWhitespace()
        if scanner.peek == UInt8(ascii: "]") { return levels }
        while true {
            scanner.skipWhitespace()
            guard scanner.peek == UInt8(ascii: "[") else { return nil }
            scanner.index += 1
            scanner.skipWhitespace()
            guard let priceRaw = scanner.value(depth: 2), scanner.separator(),
                let sizeRaw = scanner.value(depth: 2),
                let price = scanner.levelNumber(priceRaw), price > 0,
                let size = scanner.levelNumber(sizeRaw), size >= 0
            else { return nil }
            // Members past the second are allowed, and ignored.
            while true {
                scanner.skipWhitespace()
                if scanner.peek == UInt8(ascii: "]") { break }
                guard scanner.separator(), scanner.value(depth: 2) != nil else { return nil }
            }
            scanner.index += 1
            levels.append(PriceLevel(price: price, size: size))
            scanner.skipWhitespace()
            if scanner.peek == UInt8(ascii: "]") { return levels }
            guard scanner.peek == UInt8(ascii: ",") else { return nil }
            scanner.index += 1
        }
    }

    private func levelNumber(_ raw: Raw) -> Double? {
        guard raw.kind == .string || raw.kind == .number else { return nil }
        return decimal(raw)
    }

    // MARK: Scanning

    private static func envelopeKey(_ scanner: EnvelopeFastPath, _ start: Int, _ end: Int) -> Int? {
        let key: EnvelopeKey? =
            switch end - start {
            case 5: scanner.matches(start, "topic") ? .topic : nil
            case 7:
                scanner.matches(start, "payload") ? .payload : scanner.matches(start, "recv_ts") ? .recvTs : nil
            case 8:
                scanner.matches(start, "event_id") ? .eventId : scanner.matches(start, "trace_id") ? .traceId : nil
            case 9: scanner.matches(start, "timestamp") ? .timestamp : nil
            case 10: scanner.matches(start, "event_type") ? .eventType : nil
            case 11: scanner.matches(start, "received_at") ? .receivedAt : nil
            default: nil
            }
        return key?.rawValue
    }

    private static func itemKey(_ scanner: EnvelopeFastPath, _ start: Int, _ end: Int) -> Int? {
        let key: ItemKey? =
            switch end - start {
            case 1:
                switch scanner.bytes[start] {
                case UInt8(ascii: "s"): .s
                case UInt8(ascii: "u"): .u
                case UInt8(ascii: "b"): .b
                case UInt8(ascii: "a"): .a
                case UInt8(ascii: "p"): .p
                case UInt8(ascii: "v"): .v
                case UInt8(ascii: "S"): .side
                case UInt8(ascii: "T"): .time
                case UInt8(ascii: "i"): .id
                case UInt8(ascii: "L"): .tick
                default: nil
                }
            case 2: scanner.matches(start, "BT") ? .blockTrade : nil
            case 3: scanner.matches(start, "seq") ? .seq : nil
            case 4: scanner.matches(start, "type") ? .type : nil
            case 5: scanner.matches(start, "topic") ? .topic : nil
            default: nil
            }
        return key?.rawValue
    }

    private func matches(_ start: Int, _ literal: StaticString) -> Bool {
        let text = literal.utf8Start
        for offset in 0..<literal.utf8CodeUnitCount where bytes[start + offset] != text[offset] { return false }
        return true
    }

    private var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// `,` between whitespace.
    private mutating func separator() -> Bool {
        skipWhitespace()
        guard peek == UInt8(ascii: ",") else { return false }
        index += 1
        skipWhitespace()
        return true
    }

    /// Scans an object, keeping the raw value of each member `key` knows (a member given twice
    /// declines) and checking the others as the general parser would.
    private mutating func scanObject(into members: inout [Raw?], key: (EnvelopeFastPath, Int, Int) -> Int?) -> Bool {
        skipWhitespace()
        guard peek == UInt8(ascii: "{") else { return false }
        index += 1
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            index += 1
            return true
        }
        while true {
            skipWhitespace()
            guard let name = stringContent() else { return false }
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { return false }
            index += 1
            skipWhitespace()
            guard let value = value(depth: 1) else { return false }
            if let slot = key(self, name.start, name.end) {
                guard members[slot] == nil else { return false }
                members[slot] = value
            }
            skipWhitespace()
            guard let next = peek else { return false }
            index += 1
            if next == UInt8(ascii: "}") { return true }
            guard next == UInt8(ascii: ",") else { return false }
        }
    }

    /// The payload array's items, each an object.
    private mutating func objects(into items: inout [Raw]) -> Bool {
        index += 1
        skipWhitespace()
        if peek == UInt8(ascii: "]") { return true }
        while true {
            skipWhitespace()
            guard let item = value(depth: 2), item.kind == .object else { return false }
            items.append(item)
            skipWhitespace()
            guard let next = peek else { return false }
            index += 1
            if next == UInt8(ascii: "]") { return true }
            guard next == UInt8(ascii: ",") else { return false }
        }
    }

    /// A string's content between quotes; nil for an escape or a control character (declined).
    private mutating func stringContent() -> (start: Int, end: Int)? {
        guard peek == UInt8(ascii: "\"") else { return nil }
        index += 1
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return (start, index - 1)
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            index += 1
        }
        return nil
    }

    /// Scans one value, checking it as the general parser would; containers nest at most 6 deep
    /// here (deeper declines: the general parser takes 64).
    private mutating func value(depth: Int) -> Raw? {
        guard let first = peek else { return nil }
        let start = index
        switch first {
        case UInt8(ascii: "\""):
            guard let content = stringContent() else { return nil }
            return Raw(kind: .string, start: content.start, end: content.end)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard number() else { return nil }
            return Raw(kind: .number, start: start, end: index)
        case UInt8(ascii: "t"):
            guard literal("true") else { return nil }
            return Raw(kind: .bool, start: start, end: index, flag: true)
        case UInt8(ascii: "f"):
            guard literal("false") else { return nil }
            return Raw(kind: .bool, start: start, end: index, flag: false)
        case UInt8(ascii: "n"):
            guard literal("null") else { return nil }
            return Raw(kind: .null, start: start, end: index)
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            guard depth < 6 else { return nil }
            let close = first == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: "}")
            index += 1
            skipWhitespace()
            if peek == close {
                index += 1
            } else {
                while true {
                    skipWhitespace()
                    if first == UInt8(ascii: "{") {
                        guard stringContent() != nil else { return nil }
                        skipWhitespace()
                        guard peek == UInt8(ascii: ":") else { return nil }
                        index += 1
                        skipWhitespace()
                    }
                    guard value(depth: depth + 1) != nil else { return nil }
                    skipWhitespace()
                    guard let next = peek else { return nil }
                    index += 1
                    if next == close { break }
                    guard next == UInt8(ascii: ",") else { return nil }
                }
            }
            return Raw(kind: first == UInt8(ascii: "[") ? .array : .object, start: start, end: index)
        default:
            return nil
        }
    }

    private mutating func literal(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard index + count <= bytes.count, matches(index, text) else { return false }
        index += count
        return true
    }

    /// JSON number syntax, as the general parser checks it.
    private mutating func number() -> Bool {
        if peek == UInt8(ascii: "-") { index += 1 }
        guard digitRun() > 0 else { return false }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard digitRun() > 0 else { return false }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard digitRun() > 0 else { return false }
        }
        return true
    }

    private mutating func digitRun() -> Int {
        let start = index
        while index < bytes.count, bytes[index] &- 0x30 < 10 { index += 1 }
        return index - start
    }
}
