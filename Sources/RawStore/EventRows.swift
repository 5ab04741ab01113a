public import MarketData

/// Which fields a replay decodes.
public enum ReplayFields: Sendable {
    /// Every stored field: the events are the ones that were appended.
    case all
    /// What the feature engine reads (features.md): identifiers and the exchange's and the
    /// gateway's times are not read from the files at all — `traceId`, `exchTsMs`, `gatewayTs`,
    /// a book's `crossSeq`, a trade's `tradeTimeMs` and `tickDirection` are nil, its `tradeId` is
    /// empty. For replays whose events go into an engine only
    /// (datasets, offline rebuilds, warm starts); not for anything that stores or reports events.
    case engineInputs

    /// The columns of `type`'s table these fields need, in schema order.
    func schema(_ type: EventType) -> [ColumnSpec] {
        let full = EventTables.schema(type)
        guard self == .engineInputs else { return full }
        let skipped: Set<String> = ["exch_ts", "gateway_ts", "trace_id", "cross_seq", "trade_id", "trade_time", "tick_direction"]
        return full.filter { !skipped.contains($0.name) }
    }
}

extension EventTables {
    /// A typed column with validity, read without per-row lookups. An absent column (not in
    /// the file, or not read) reads as all null without holding a value per row.
    struct Column<T> {
        let values: [T]
        let valid: [Bool]?
        let absent: Bool

        init(values: [T], valid: [Bool]?, absent: Bool = false) {
            self.values = values
            self.valid = valid
            self.absent = absent
        }

        static var missing: Column { Column(values: [], valid: nil, absent: true) }

        @inline(__always) subscript(row: Int) -> T? {
            if absent { return nil }
            if let valid, !valid[row] { return nil }
            return values[row]
        }
    }

    /// Columns by name, resolved once per row group.
    struct Reader {
        let columns: [String: ColumnData]
        let rows: Int
        init(_ specs: [ColumnSpec], _ data: [ColumnData]) throws(StoreError) {
            guard specs.count == data.count else { throw StoreError.corrupt("expected \(specs.count) columns, got \(data.count)") }
            var map: [String: ColumnData] = [:]
            for (spec, column) in zip(specs, data) { map[spec.name] = column }
            columns = map
            rows = data.first?.count ?? 0
            guard data.allSatisfy({ $0.count == rows }) else { throw StoreError.corrupt("columns of different lengths") }
        }
        func i(_ name: String) -> Column<Int64> {
            if case .int64(let v, let ok)? = columns[name] { return Column(values: v, valid: ok) }
            return .missing
        }
        func d(_ name: String) -> Column<Double> {
            if case .double(let v, let ok)? = columns[name] { return Column(values: v, valid: ok) }
            return .missing
        }
        func b(_ name: String) -> Column<Bool> {
            if case .bool(let v, let ok)? = columns[name] { return Column(values: v, valid: ok) }
            return .missing
        }
        func s(_ name: String) -> Column<String> {
            if case .string(let v, let ok)? = columns[name] { return Column(values: v, valid: ok) }
            return .missing
        }
    }

    /// Events from the columns of a `type` table (schema order) for `symbol`, in row order.
    public static func events(_ type: EventType, symbol: String, columns: [ColumnData]) throws(StoreError) -> [MarketEvent] {
        let rows = try RowCursor(type, symbol: symbol, specs: schema(type), columns: columns)
        var events: [MarketEvent] = []
        events.reserveCapacity(type == .orderbook ? rows.rows / 4 : rows.rows)
        while !rows.atEnd {
            var event = StoreReplay.emptyEvent(symbol: symbol)
            try rows.decode(into: &event)
            events.append(event)
        }
        return events
    }
}

/// One row group of a raw table, read one message at a time straight from its columns into a
/// caller's event: no array of events, nothing built for rows that are skipped, and the
/// event's storage (a book's level arrays) reused when the caller passes the same event again.
///
/// A book message is stored as consecutive rows sharing `(recv_ts, seq)`; its rows may go on
/// in the next row group, which ``appendLevels(into:)`` adds.
///
/// A class with flat `let` columns: reading a row then touches no reference count (a struct or
/// enum payload holding the columns would be copied, and every column retained, per message).
final class RowCursor {
    let type: EventType
    let symbol: String
    let rows: Int
    /// The next row to read.
    private(set) var row = 0

    private let recv: [Int64]
    private let seqs: [Int64]
    private let exch: EventTables.Column<Int64>
    private let gateway: EventTables.Column<Int64>
    private let trace: EventTables.Column<String>
    // Books and trades (nearly every event) are read column by column.
    private let snapshot: EventTables.Column<Bool>
    private let updateId: EventTables.Column<Int64>
    private let cross: EventTables.Column<Int64>
    private let depth: EventTables.Column<Int64>
    private let side: EventTables.Column<String>
    private let price: EventTables.Column<Double>
    private let size: EventTables.Column<Double>
    private let tradeId: EventTables.Column<String>
    private let tradeTime: EventTables.Column<Int64>
    private let block: EventTables.Column<Bool>
    private let tick: EventTables.Column<String>
    /// The rarer types, decoded per row group: one body per row.
    private let decoded: [EventBody]

    /// The body an event holds while its storage is being refilled (and a new event's body).
    static let placeholder = EventBody.funding(FundingUpdate(fundingRate: nil))

    /// Moves the event's book out (leaving the placeholder), or a new empty book: a move, so
    /// that the level arrays stay uniquely referenced and nothing is retained.
    static func takeBook(from event: inout MarketEvent) -> BookUpdate {
        var body = placeholder
        swap(&body, &event.body)
        switch consume body {
        case .book(let book): return book
        default: return BookUpdate(isSnapshot: false, updateId: 0, bids: [], asks: [])
        }
    }

    /// - Parameter specs: the columns `columns` holds (the table's schema, or a projection of it).
    init(_ type: EventType, symbol: String, specs: [ColumnSpec], columns: [ColumnData]) throws(StoreError) {
        let r = try EventTables.Reader(specs, columns)
        self.type = type
        self.symbol = symbol
        rows = r.rows
        let recvColumn = r.i("recv_ts"), seqColumn = r.i("seq")
        guard !recvColumn.absent, !seqColumn.absent, recvColumn.valid == nil, seqColumn.valid == nil else {
            throw StoreError.corrupt("\(type.rawValue): recv_ts and seq must be present and not null")
        }
        recv = recvColumn.values
        seqs = seqColumn.values
        exch = r.i("exch_ts")
        gateway = r.i("gateway_ts")
        trace = r.s("trace_id")
        snapshot = r.b("is_snapshot")
        updateId = r.i("update_id")
        cross = r.i("cross_seq")
        depth = r.i("depth")
        side = r.s("side")
        price = r.d("price")
        size = r.d("size")
        tradeId = r.s("trade_id")
        tradeTime = r.i("trade_time")
        block = r.b("is_block_trade")
        tick = r.s("tick_direction")
        decoded = type == .orderbook || type == .trade ? [] : try Self.bodies(type, r)
    }

    /// A row group without rows (a cursor before its first group and after its last).
    init(emptyOf type: EventType, symbol: String) {
        self.type = type
        self.symbol = symbol
        rows = 0
        (recv, seqs) = ([], [])
        (exch, gateway, updateId, cross, depth, tradeTime) = (.missing, .missing, .missing, .missing, .missing, .missing)
        (trace, side, tradeId, tick) = (.missing, .missing, .missing, .missing)
        (snapshot, block) = (.missing, .missing)
        (price, size) = (.missing, .missing)
        decoded = []
    }

    var atEnd: Bool { row >= rows }

    /// `(recv_ts, seq)` of the message at the current row (not at the end).
    var key: (Int64, Int64) { (recv[row], seqs[row]) }

    /// The row after the message that starts at `row`.
    private func messageEnd(from start: Int) -> Int {
        guard type == .orderbook else { return start + 1 }
        let (t, s) = (recv[start], seqs[start])
        var end = start + 1
        while end < rows, recv[end] == t, seqs[end] == s { end += 1 }
        return end
    }

    /// Passes over the message at the current row.
    func skipMessage() { row = messageEnd(from: row) }

    /// `value`, or the error naming the null field of a table's row.
    private static func need<T>(_ value: T?, _ what: String, _ type: EventType, _ row: Int) throws(StoreError) -> T {
        guard let value else { throw StoreError.corrupt("\(type.rawValue) row \(row): null \(what)") }
        return value
    }

    private func need<T>(_ value: T?, _ what: String, _ row: Int) throws(StoreError) -> T { try Self.need(value, what, type, row) }

    /// Reads the message at the current row into `event` and moves past it.
    func decode(into event: inout MarketEvent) throws(StoreError) {
        let start = row
        event.symbol = symbol
        event.recvTs = recv[start]
        event.seq = seqs[start]
        event.exchTsMs = exch[start]
        event.gatewayTs = gateway[start]
        event.traceId = trace[start]
        switch type {
        case .orderbook:
            // Take the level arrays out of the event so that they are uniquely referenced (no copy
            // on write) when the caller let go of the previous message.
            var book = Self.takeBook(from: &event)
            book.bids.removeAll(keepingCapacity: true)
            book.asks.removeAll(keepingCapacity: true)
            book.isSnapshot = try need(snapshot[start], "is_snapshot", start)
            book.updateId = try need(updateId[start], "update_id", start)
            book.crossSeq = cross[start]
            book.depth = depth[start].map { Int($0) }
            let end = messageEnd(from: start)
            if book.bids.capacity == 0 && book.asks.capacity == 0 && end - start > 1 {
                book.bids.reserveCapacity(end - start)
                book.asks.reserveCapacity(end - start)
            }
            try levels(rows: start..<end, into: &book)
            row = end
            event.body = .book(book)
        case .trade:
            event.body = .trade(
                Trade(
                    price: try need(price[start], "price", start), size: try need(size[start], "size", start),
                    side: side[start] == "Buy" ? .buy : .sell, tradeId: tradeId.absent ? "" : try need(tradeId[start], "trade_id", start),
                    tradeTimeMs: tradeTime[start], isBlockTrade: block[start] ?? false, tickDirection: tick[start]))
            row = start + 1
        default:
            event.body = decoded[start]
            row = start + 1
        }
    }

    /// Whether the current row goes on with `event`'s book message (its first rows were at the
    /// end of the previous row group).
    func continues(_ event: MarketEvent) -> Bool {
        type == .orderbook && row < rows && recv[row] == event.recvTs && seqs[row] == event.seq
    }

    /// Adds the current rows that go on with `event`'s book message to its levels.
    func appendLevels(into event: inout MarketEvent) throws(StoreError) {
        guard type == .orderbook, case .book = event.body else { return }
        var book = Self.takeBook(from: &event)
        let end = messageEnd(from: row)
        try levels(rows: row..<end, into: &book)
        row = end
        event.body = .book(book)
    }

    private func levels(rows: Range<Int>, into book: inout BookUpdate) throws(StoreError) {
        for row in rows {
            // A message without levels keeps one row with a null side.
            guard let side = side[row] else { continue }
            guard let price = price[row], let size = size[row] else {
                throw StoreError.corrupt("orderbook row \(row): null price or size")
            }
            if side == "bid" {
                book.bids.append(PriceLevel(price: price, size: size))
            } else {
                book.asks.append(PriceLevel(price: price, size: size))
            }
        }
    }

    /// The bodies of a row group of the rarer types, one per row.
    private static func bodies(_ type: EventType, _ r: EventTables.Reader) throws(StoreError) -> [EventBody] {
        var out: [EventBody] = []
        out.reserveCapacity(r.rows)
        func need<T>(_ v: T?, _ what: String, _ row: Int) throws(StoreError) -> T { try Self.need(v, what, type, row) }
        switch type {
        case .orderbook, .trade:
            preconditionFailure("books and trades are read column by column")
        case .kline:
            let interval = r.s("interval"), start = r.i("start"), end = r.i("end"), open = r.d("open"), high = r.d("high")
            let low = r.d("low"), close = r.d("close"), volume = r.d("volume"), turnover = r.d("turnover"), confirm = r.b("confirm")
            for row in 0..<r.rows {
                out.append(
                    .kline(
                        Kline(
                            interval: interval[row] ?? "", startMs: start[row] ?? 0, endMs: end[row] ?? 0, open: open[row] ?? 0,
                            high: high[row] ?? 0, low: low[row] ?? 0, close: close[row] ?? 0, volume: volume[row] ?? 0,
                            turnover: turnover[row] ?? 0, confirm: confirm[row] ?? false)))
            }
        case .ticker:
            let last = r.d("last_price"), mark = r.d("mark_price"), index = r.d("index_price"), oi = r.d("open_interest")
            let funding = r.d("funding_rate"), next = r.i("next_funding_time"), bid = r.d("bid1_price"), bidSize = r.d("bid1_size")
            let ask = r.d("ask1_price"), askSize = r.d("ask1_size"), volume = r.d("volume_24h"), turnover = r.d("turnover_24h")
            for row in 0..<r.rows {
                out.append(
                    .ticker(
                        TickerUpdate(
                            lastPrice: last[row], markPrice: mark[row], indexPrice: index[row], openInterest: oi[row],
                            fundingRate: funding[row], nextFundingTimeMs: next[row], bid1Price: bid[row], bid1Size: bidSize[row],
                            ask1Price: ask[row], ask1Size: askSize[row], volume24h: volume[row], turnover24h: turnover[row])))
            }
        case .funding:
            let rate = r.d("funding_rate"), stamp = r.i("funding_rate_timestamp"), next = r.i("next_funding_time")
            for row in 0..<r.rows {
                out.append(
                    .funding(FundingUpdate(fundingRate: rate[row], fundingRateTimestampMs: stamp[row], nextFundingTimeMs: next[row])))
            }
        case .position:
            let size = r.d("size"), entry = r.d("entry_price"), mark = r.d("mark_price"), upnl = r.d("unrealized_pnl")
            let rpnl = r.d("realized_pnl"), source = r.s("source"), updated = r.i("updated_time")
            for row in 0..<r.rows {
                out.append(
                    .position(
                        PositionUpdate(
                            size: try need(size[row], "size", row), entryPrice: entry[row], markPrice: mark[row],
                            unrealizedPnl: upnl[row], realizedPnl: rpnl[row],
                            source: PositionSource(rawValue: source[row] ?? "") ?? .exchange, updatedTimeMs: updated[row])))
            }
        case .execution:
            let order = r.s("order_id"), execution = r.s("execution_id"), side = r.s("side"), price = r.d("price")
            let quantity = r.d("quantity"), status = r.s("status"), time = r.i("time")
            for row in 0..<r.rows {
                let s = side[row]
                out.append(
                    .execution(
                        Execution(
                            orderId: try need(order[row], "order_id", row), executionId: execution[row],
                            side: s == nil ? nil : s == "Buy" ? .buy : .sell, price: price[row], quantity: quantity[row],
                            status: status[row], timeMs: time[row])))
            }
        }
        return out
    }
}
