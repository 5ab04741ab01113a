import MarketData
import ServiceTestSupport
import Testing

@testable import RawStore

@Suite struct EventTablesTests {
    @Test func everyTypeRoundTripsThroughItsColumns() throws {
        for type in EventType.allCases {
            let events = sampleEvents.filter { $0.type == type }
            #expect(!events.isEmpty, "sample has a \(type)")
            let columns = EventTables.columns(type, events)
            #expect(columns.count == EventTables.schema(type).count)
            #expect(try EventTables.events(type, symbol: "BTCUSDT", columns: columns) == events)
        }
    }

    @Test func theBookIsStoredInLongFormAndEmptyMessagesKeepARow() throws {
        let snapshot = MarketEvent(
            symbol: "X", recvTs: 5, seq: 1,
            body: .book(
                BookUpdate(
                    isSnapshot: true, updateId: 9, bids: [PriceLevel(price: 1, size: 2), PriceLevel(price: 0.9, size: 1)],
                    asks: [PriceLevel(price: 1.1, size: 3)])))
        let empty = MarketEvent(
            symbol: "X", recvTs: 5, seq: 2, body: .book(BookUpdate(isSnapshot: false, updateId: 10, bids: [], asks: [])))
        let columns = EventTables.columns(.orderbook, [snapshot, empty])
        #expect(columns[0].count == 4)  // 3 level rows + 1 marker row
        let names = EventTables.schema(.orderbook).map(\.name)
        #expect(names.prefix(4) == ["recv_ts", "seq", "exch_ts", "gateway_ts"])
        #expect(columns[names.firstIndex(of: "side")!] == .string(["bid", "bid", "ask", ""], valid: [true, true, true, false]))
        #expect(try EventTables.events(.orderbook, symbol: "X", columns: columns) == [snapshot, empty])
    }
}
