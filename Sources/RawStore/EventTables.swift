public import MarketData

/// One column of a raw-event table: values plus validity (nil = all present).
public enum ColumnData: Sendable, Equatable {
    case int64([Int64], valid: [Bool]?)
    case double([Double], valid: [Bool]?)
    case bool([Bool], valid: [Bool]?)
    case string([String], valid: [Bool]?)

    public var count: Int {
        switch self {
        case .int64(let v, _): v.count
        case .double(let v, _): v.count
        case .bool(let v, _): v.count
        case .string(let v, _): v.count
        }
    }
}

/// The physical kind of a column.
public enum ColumnKind: Sendable, Equatable {
    /// INT64 TIMESTAMP(NANOS, UTC).
    case timestampNanos
    case int64, double, bool, string
}

/// A column's declaration.
public struct ColumnSpec: Sendable, Equatable {
    public var name: String
    public var kind: ColumnKind
    public var nullable: Bool
}

/// Schemas and the event ⇄ column mapping of every raw table (interfaces.md §3).
///
/// Every table starts with `recv_ts` (TIMESTAMP(NANOS, UTC)), `seq`, `exch_ts` (ms, nullable),
/// `gateway_ts` (TIMESTAMP(NANOS, UTC), nullable), `trace_id` (nullable), then its own
/// columns. The book is stored in long form: one row per level with `update_id`, `cross_seq`,
/// `is_snapshot`, `side`, `price`, `size`; a message's rows share `recv_ts` and `seq`. A
/// message with no levels keeps one row with null side, price and size, so no event is lost.
public enum EventTables {
    static let common: [ColumnSpec] = [
        ColumnSpec(name: "recv_ts", kind: .timestampNanos, nullable: false),
        ColumnSpec(name: "seq", kind: .int64, nullable: false),
        ColumnSpec(name: "exch_ts", kind: .int64, nullable: true),
        ColumnSpec(name: "gateway_ts", kind: .timestampNanos, nullable: true),
        ColumnSpec(name: "trace_id", kind: .string, nullable: true),
    ]

    /// The columns of `type`'s table, in order.
    public static func schema(_ type: EventType) -> [ColumnSpec] {
        func c(_ name: String, _ kind: ColumnKind, _ nullable: Bool = false) -> ColumnSpec {
            ColumnSpec(name: name, kind: kind, nullable: nullable)
        }
        let own: [ColumnSpec]
        switch type {
        case .orderbook:
            own = [
                c("update_id", .int64), c("cross_seq", .int64, true), c("depth", .int64, true), c("is_snapshot", .bool),
                c("side", .string, true), c("price", .double, true), c("size", .double, true),
            ]
        case .trade:
            own = [
                c("trade_id", .string), c("price", .double), c("size", .double), c("side", .string), c("trade_time", .int64, true),
                c("is_block_trade", .bool), c("tick_direction", .string, true),
            ]
        case .kline:
            own = [
                c("interval", .string), c("start", .int64), c("end", .int64), c("open", .double), c("high", .double), c("low", .double),
                c("close", .double), c("volume", .double), c("turnover", .double), c("confirm", .bool),
            ]
        case .ticker:
            own =
                ["last_price", "mark_price", "index_price", "open_interest", "funding_rate"].map { c($0, .double, true) }
                + [c("next_funding_time", .int64, true)]
                + ["bid1_price", "bid1_size", "ask1_price", "ask1_size", "volume_24h", "turnover_24h"].map { c($0, .double, true) }
        case .funding:
            own = [c("funding_rate", .double, true), c("funding_rate_timestamp", .int64, true), c("next_funding_time", .int64, true)]
        case .position:
            own = [
                c("size", .double), c("entry_price", .double, true), c("mark_price", .double, true), c("unrealized_pnl", .double, true),
                c("realized_pnl", .double, true), c("source", .string), c("updated_time", .int64, true),
            ]
        case .execution:
            own = [
                c("order_id", .string), c("execution_id", .string, true), c("side", .string, true), c("price", .double, true),
                c("quantity", .double, true), c("status", .string, true), c("time", .int64, true),
            ]
        }
        return common + own
    }

    /// Column builder with validity tracking.
    struct Builder {
        var int64: [String: ([Int64], [Bool])] = [:]
        var double: [String: ([Double], [Bool])] = [:]
        var bool: [String: ([Bool], [Bool])] = [:]
        var string: [String: ([String], [Bool])] = [:]
        let specs: [ColumnSpec]

        init(_ specs: [ColumnSpec]) {
            self.specs = specs
            for spec in specs {
                switch spec.kind {
                case .timestampNanos, .int64: int64[spec.name] = ([], [])
                case .double: double[spec.name] = ([], [])
                case .bool: bool[spec.name] = ([], [])
                case .string: string[spec.name] = ([], [])
                }
            }
        }
        mutating func i(_ name: String, _ v: Int64?) { int64[name]!.0.append(v ?? 0); int64[name]!.1.append(v != nil) }
        mutating func d(_ name: String, _ v: Double?) { double[name]!.0.append(v ?? 0); double[name]!.1.append(v != nil) }
        mutating func b(_ name: String, _ v: Bool?) { bool[name]!.0.append(v ?? false); bool[name]!.1.append(v != nil) }
        mutating func s(_ name: String, _ v: String?) { string[name]!.0.append(v ?? ""); string[name]!.1.append(v != nil) }

        func columns() -> [ColumnData] {
            specs.map { spec in
                func validity(_ v: [Bool]) -> [Bool]? { spec.nullable ? v : nil }
                switch spec.kind {
                case .timestampNanos, .int64: let (v, ok) = int64[spec.name]!; return .int64(v, valid: validity(ok))
                case .double: let (v, ok) = double[spec.name]!; return .double(v, valid: validity(ok))
                case .bool: let (v, ok) = bool[spec.name]!; return .bool(v, valid: validity(ok))
                case .string: let (v, ok) = string[spec.name]!; return .string(v, valid: validity(ok))
                }
            }
        }
    }

    /// The rows `event` takes in its table: one per book level (at least one), else one.
    static func rowCount(_ event: MarketEvent) -> Int {
        guard case .book(let book) = event.body else { return 1 }
        return max(1, book.bids.count + book.asks.count)
    }

    /// The columns holding `events` (all of `type`), in schema order.
    public static func columns(_ type: EventType, _ events: [MarketEvent]) -> [ColumnData] {
        var b = Builder(schema(type))
        func common(_ e: MarketEvent) {
            b.i("recv_ts", e.recvTs); b.i("seq", e.seq); b.i("exch_ts", e.exchTsMs); b.i("gateway_ts", e.gatewayTs);
            b.s("trace_id", e.traceId)
        }
        for e in events {
            switch e.body {
            case .book(let book):
                let rows = book.bids.map { ("bid", $0) } + book.asks.map { ("ask", $0) }
                if rows.isEmpty {
                    common(e)
                    b.i("update_id", book.updateId); b.i("cross_seq", book.crossSeq); b.i("depth", book.depth.map(Int64.init))
                    b.b("is_snapshot", book.isSnapshot); b.s("side", nil); b.d("price", nil); b.d("size", nil)
                }
                for (side, level) in rows {
                    common(e)
                    b.i("update_id", book.updateId); b.i("cross_seq", book.crossSeq); b.i("depth", book.depth.map(Int64.init))
                    b.b("is_snapshot", book.isSnapshot); b.s("side", side); b.d("price", level.price); b.d("size", level.size)
                }
            case .trade(let t):
                common(e)
                b.s("trade_id", t.tradeId); b.d("price", t.price); b.d("size", t.size); b.s("side", t.side == .buy ? "Buy" : "Sell")
                b.i("trade_time", t.tradeTimeMs); b.b("is_block_trade", t.isBlockTrade); b.s("tick_direction", t.tickDirection)
            case .kline(let k):
                common(e)
                b.s("interval", k.interval); b.i("start", k.startMs); b.i("end", k.endMs); b.d("open", k.open); b.d("high", k.high)
                b.d("low", k.low); b.d("close", k.close); b.d("volume", k.volume); b.d("turnover", k.turnover); b.b("confirm", k.confirm)
            case .ticker(let t):
                common(e)
                b.d("last_price", t.lastPrice); b.d("mark_price", t.markPrice); b.d("index_price", t.indexPrice)
                b.d("open_interest", t.openInterest); b.d("funding_rate", t.fundingRate); b.i("next_funding_time", t.nextFundingTimeMs)
                b.d("bid1_price", t.bid1Price); b.d("bid1_size", t.bid1Size); b.d("ask1_price", t.ask1Price); b.d("ask1_size", t.ask1Size)
                b.d("volume_24h", t.volume24h); b.d("turnover_24h", t.turnover24h)
            case .funding(let f):
                common(e)
                b.d("funding_rate", f.fundingRate); b.i("funding_rate_timestamp", f.fundingRateTimestampMs);
                b.i("next_funding_time", f.nextFundingTimeMs)
            case .position(let p):
                common(e)
                b.d("size", p.size); b.d("entry_price", p.entryPrice); b.d("mark_price", p.markPrice);
                b.d("unrealized_pnl", p.unrealizedPnl)
                b.d("realized_pnl", p.realizedPnl); b.s("source", p.source.rawValue); b.i("updated_time", p.updatedTimeMs)
            case .execution(let x):
                common(e)
                b.s("order_id", x.orderId); b.s("execution_id", x.executionId); b.s("side", x.side.map { $0 == .buy ? "Buy" : "Sell" })
                b.d("price", x.price); b.d("quantity", x.quantity); b.s("status", x.status); b.i("time", x.timeMs)
            }
        }
        return b.columns()
    }
}
