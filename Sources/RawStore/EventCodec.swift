public import MarketData

/// A compact little-endian binary form of ``MarketEvent`` for the write-ahead log.
/// Versioned by a leading byte so that old logs stay readable.
public enum EventCodec {
    static let version: UInt8 = 1

    /// Appends the encoding of `event` to `out`.
    public static func encode(_ event: MarketEvent, into out: inout [UInt8]) {
        var w = ByteWriter(out: out)
        out = []
        w.u8(version)
        w.u8(tag(event.body))
        w.string(event.symbol)
        w.i64(event.recvTs)
        w.i64(event.seq)
        w.optionalI64(event.exchTsMs)
        w.optionalI64(event.gatewayTs)
        w.optionalString(event.traceId)
        switch event.body {
        case .book(let b):
            w.bool(b.isSnapshot); w.i64(b.updateId); w.optionalI64(b.crossSeq); w.optionalI64(b.depth.map(Int64.init))
            w.levels(b.bids); w.levels(b.asks)
        case .trade(let t):
            w.f64(t.price); w.f64(t.size); w.u8(t.side == .buy ? 1 : 0); w.string(t.tradeId); w.optionalI64(t.tradeTimeMs)
            w.bool(t.isBlockTrade); w.optionalString(t.tickDirection)
        case .kline(let k):
            w.string(k.interval); w.i64(k.startMs); w.i64(k.endMs)
            for v in [k.open, k.high, k.low, k.close, k.volume, k.turnover] { w.f64(v) }
            w.bool(k.confirm)
        case .ticker(let t):
            for v in [t.lastPrice, t.markPrice, t.indexPrice, t.openInterest, t.fundingRate] { w.optionalF64(v) }
            w.optionalI64(t.nextFundingTimeMs)
            for v in [t.bid1Price, t.bid1Size, t.ask1Price, t.ask1Size, t.volume24h, t.turnover24h] { w.optionalF64(v) }
        case .funding(let f):
            w.optionalF64(f.fundingRate); w.optionalI64(f.fundingRateTimestampMs); w.optionalI64(f.nextFundingTimeMs)
        case .position(let p):
            w.f64(p.size); w.optionalF64(p.entryPrice); w.optionalF64(p.markPrice); w.optionalF64(p.unrealizedPnl)
            w.optionalF64(p.realizedPnl); w.string(p.source.rawValue); w.optionalI64(p.updatedTimeMs)
        case .execution(let e):
            w.string(e.orderId); w.optionalString(e.executionId)
            w.u8(e.side == nil ? 0 : e.side == .buy ? 1 : 2)
            w.optionalF64(e.price); w.optionalF64(e.quantity); w.optionalString(e.status); w.optionalI64(e.timeMs)
        }
        out = w.out
    }

    /// Decodes one event; throws on truncated or inconsistent input.
    public static func decode(_ bytes: ArraySlice<UInt8>) throws(CodecError) -> MarketEvent {
        var r = ByteReader(bytes)
        guard try r.u8() == version else { throw CodecError("unsupported event encoding version") }
        let tag = try r.u8()
        let symbol = try r.string()
        let recvTs = try r.i64()
        let seq = try r.i64()
        let exch = try r.optionalI64()
        let gateway = try r.optionalI64()
        let trace = try r.optionalString()
        let body: EventBody
        switch tag {
        case 0:
            body = .book(
                BookUpdate(
                    isSnapshot: try r.bool(), updateId: try r.i64(), crossSeq: try r.optionalI64(),
                    depth: try r.optionalI64().map { Int($0) }, bids: try r.levels(), asks: try r.levels()))
        case 1:
            body = .trade(
                Trade(
                    price: try r.f64(), size: try r.f64(), side: try r.u8() == 1 ? .buy : .sell, tradeId: try r.string(),
                    tradeTimeMs: try r.optionalI64(), isBlockTrade: try r.bool(), tickDirection: try r.optionalString()))
        case 2:
            body = .kline(
                Kline(
                    interval: try r.string(), startMs: try r.i64(), endMs: try r.i64(), open: try r.f64(), high: try r.f64(),
                    low: try r.f64(), close: try r.f64(), volume: try r.f64(), turnover: try r.f64(), confirm: try r.bool()))
        case 3:
            body = .ticker(
                TickerUpdate(
                    lastPrice: try r.optionalF64(), markPrice: try r.optionalF64(), indexPrice: try r.optionalF64(),
                    openInterest: try r.optionalF64(), fundingRate: try r.optionalF64(),
                    nextFundingTimeMs: try r.optionalI64(), bid1Price: try r.optionalF64(), bid1Size: try r.optionalF64(),
                    ask1Price: try r.optionalF64(), ask1Size: try r.optionalF64(), volume24h: try r.optionalF64(),
                    turnover24h: try r.optionalF64()))
        case 4:
            body = .funding(
                FundingUpdate(
                    fundingRate: try r.optionalF64(), fundingRateTimestampMs: try r.optionalI64(),
                    nextFundingTimeMs: try r.optionalI64()))
        case 5:
            let size = try r.f64()
            let entry = try r.optionalF64()
            let mark = try r.optionalF64()
            let upnl = try r.optionalF64()
            let rpnl = try r.optionalF64()
            guard let source = PositionSource(rawValue: try r.string()) else { throw CodecError("unknown position source") }
            body = .position(
                PositionUpdate(
                    size: size, entryPrice: entry, markPrice: mark, unrealizedPnl: upnl, realizedPnl: rpnl,
                    source: source, updatedTimeMs: try r.optionalI64()))
        case 6:
            let orderId = try r.string()
            let execId = try r.optionalString()
            let sideTag = try r.u8()
            body = .execution(
                Execution(
                    orderId: orderId, executionId: execId, side: sideTag == 0 ? nil : sideTag == 1 ? .buy : .sell,
                    price: try r.optionalF64(), quantity: try r.optionalF64(), status: try r.optionalString(),
                    timeMs: try r.optionalI64()))
        default:
            throw CodecError("unknown event tag \(tag)")
        }
        guard r.isAtEnd else { throw CodecError("trailing bytes after event") }
        return MarketEvent(symbol: symbol, recvTs: recvTs, seq: seq, exchTsMs: exch, gatewayTs: gateway, traceId: trace, body: body)
    }

    private static func tag(_ body: EventBody) -> UInt8 {
        switch body {
        case .book: 0
        case .trade: 1
        case .kline: 2
        case .ticker: 3
        case .funding: 4
        case .position: 5
        case .execution: 6
        }
    }
}

/// A decoding failure of stored bytes.
public struct CodecError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

struct ByteWriter {
    var out: [UInt8]
    mutating func u8(_ v: UInt8) { out.append(v) }
    mutating func bool(_ v: Bool) { out.append(v ? 1 : 0) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
    mutating func i64(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
    mutating func f64(_ v: Double) { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
    mutating func string(_ s: String) {
        let utf8 = s.utf8
        u32(UInt32(utf8.count))
        out.append(contentsOf: utf8)
    }
    mutating func optionalI64(_ v: Int64?) { if let v { u8(1); i64(v) } else { u8(0) } }
    mutating func optionalF64(_ v: Double?) { if let v { u8(1); f64(v) } else { u8(0) } }
    mutating func optionalString(_ v: String?) { if let v { u8(1); string(v) } else { u8(0) } }
    mutating func levels(_ levels: [PriceLevel]) {
        u32(UInt32(levels.count))
        for level in levels { f64(level.price); f64(level.size) }
    }
}

struct ByteReader {
    let bytes: ArraySlice<UInt8>
    var index: Int
    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }
    var isAtEnd: Bool { index == bytes.endIndex }
    mutating func take(_ n: Int) throws(CodecError) -> ArraySlice<UInt8> {
        guard n >= 0, bytes.endIndex - index >= n else { throw CodecError("truncated event") }
        defer { index += n }
        return bytes[index..<(index + n)]
    }
    mutating func u8() throws(CodecError) -> UInt8 { try take(1).first! }
    mutating func bool() throws(CodecError) -> Bool { try u8() != 0 }
    mutating func u32() throws(CodecError) -> UInt32 {
        let b = try take(4)
        return b.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }
    mutating func u64() throws(CodecError) -> UInt64 {
        let b = try take(8)
        return b.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
    mutating func i64() throws(CodecError) -> Int64 { Int64(bitPattern: try u64()) }
    mutating func f64() throws(CodecError) -> Double { Double(bitPattern: try u64()) }
    mutating func string() throws(CodecError) -> String {
        let count = Int(try u32())
        return String(decoding: try take(count), as: UTF8.self)
    }
    mutating func optionalI64() throws(CodecError) -> Int64? { try u8() == 0 ? nil : try i64() }
    mutating func optionalF64() throws(CodecError) -> Double? { try u8() == 0 ? nil : try f64() }
    mutating func optionalString() throws(CodecError) -> String? { try u8() == 0 ? nil : try string() }
    mutating func levels() throws(CodecError) -> [PriceLevel] {
        let count = Int(try u32())
        guard count <= (bytes.endIndex - index) / 16 else { throw CodecError("level count past the end") }
        var levels: [PriceLevel] = []
        levels.reserveCapacity(count)
        for _ in 0..<count { levels.append(PriceLevel(price: try f64(), size: try f64())) }
        return levels
    }
}
