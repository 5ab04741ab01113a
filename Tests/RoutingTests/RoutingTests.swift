import FeatureServer
import MarketData
import Routing
import Testing

/// How a gateway message finds its shard: the routing key the router gives it, and what a
/// shard's configuration must hold.
struct SymbolRouteTests {
    static let trade = #"{"event_type":"trade","topic":"publicTrade.BTCUSDT","payload":{"s":"BTCUSDT","S":"Buy","v":"1","p":"10","i":"7"}}"#

    @Test func theKeyIsTheSymbolThenTheSourceQueue() {
        let (key, symbol) = SymbolRoute.routingKey(for: Array(Self.trade.utf8), source: "ws-gateway.trade")
        #expect(key == "BTCUSDT.ws-gateway.trade")
        #expect(symbol == "BTCUSDT")
        // What a shard owning BTCUSDT binds: every queue's messages of that symbol.
        #expect(SymbolRoute.binding("BTCUSDT") == "BTCUSDT.#")
    }

    @Test func thePositionManagersFlatMessagesAreRoutedByAsset() {
        let body =
            #"{"event_type":"position_updated","position_id":"p1","asset":"ETHUSDT","size":"-1.5","unrealized_pnl":"0","#
            + #""realized_pnl":"0","mode":"one-way","update_source":"ws","timestamp":"2026-01-01T00:00:00+00:00"}"#
        #expect(SymbolRoute.routingKey(for: Array(body.utf8), source: "position-manager.position_updated").symbol == "ETHUSDT")
    }

    @Test func aBodyWithoutOneReadableSymbolGoesWhereNoShardBinds() {
        for body in ["{oops", #"{"event_type":"trade","payload":{"S":"Buy"}}"#, ""] {
            let (key, symbol) = SymbolRoute.routingKey(for: Array(body.utf8), source: "ws-gateway.trade")
            #expect(symbol == nil)
            #expect(key == "\(SymbolRoute.noSymbol).ws-gateway.trade")
        }
        // Two symbols in one message: no single owner, so not routed to either.
        let mixed =
            #"{"event_type":"trade","payload":[{"s":"BTCUSDT","S":"Buy","v":"1","p":"10","i":"1"},"#
            + #"{"s":"ETHUSDT","S":"Buy","v":"1","p":"10","i":"2"}]}"#
        #expect(SymbolRoute.symbol(of: Array(mixed.utf8)) == nil)
    }

    @Test func aLongSourceNameStillMakesAValidRoutingKey() {
        let source = String(repeating: "q", count: 400)
        #expect(SymbolRoute.routingKey(for: Array(Self.trade.utf8), source: source).key.utf8.count <= 255)
    }

    @Test func shardNamesBecomeQueueNamesAndPaths() {
        #expect(SymbolRoute.shardQueue("eu-1") == "feature-service.shard.eu-1")
        #expect(ShardAssignment.isValidName("eu-1"))
        for bad in ["", "a/b", "..", "a b", String(repeating: "x", count: 65)] { #expect(!ShardAssignment.isValidName(bad), "\(bad)") }
    }
}

/// `serve`'s broker, shard and symbols settings: the combinations that would lose messages are refused.
struct ShardConfigurationTests {
    func configuration(_ env: [String: String]) throws -> ServiceConfiguration {
        try ServiceConfiguration.fromEnvironment(env)
    }

    @Test func aLoneInstanceOwnsEverySymbol() throws {
        #expect(try configuration(["AMQP_URL": "amqp://h"]).shardAssignment() == nil)
        // Without a broker, a subset only limits the simulated feed and /ingest: nothing is lost.
        #expect(try configuration(["FEATURE_SERVICE_SYMBOLS": "BTCUSDT"]).shardAssignment() == nil)
    }

    @Test func someSymbolsFromTheGatewayQueuesDirectlyAreRefused() throws {
        let c = try configuration(["AMQP_URL": "amqp://h", "FEATURE_SERVICE_SYMBOLS": "BTCUSDT,ETHUSDT"])
        #expect {
            try c.shardAssignment()
        } throws: { error in
            "\(error)".contains("must not consume the gateway queues directly") && "\(error)".contains("feature-service route")
        }
    }

    @Test func aShardNeedsABrokerSymbolsAndAUsableName() throws {
        let shard = try configuration(["AMQP_URL": "amqp://h", "FEATURE_SERVICE_SYMBOLS": "btcusdt, ETHUSDT", "FEATURE_SERVICE_SHARD": "a"])
        #expect(try shard.shardAssignment() == ShardAssignment(name: "a", symbols: ["BTCUSDT", "ETHUSDT"]))
        let cases: [([String: String], String)] = [
            (["FEATURE_SERVICE_SHARD": "a", "FEATURE_SERVICE_SYMBOLS": "BTCUSDT"], "set AMQP_URL"),
            (["FEATURE_SERVICE_SHARD": "a", "AMQP_URL": "amqp://h"], "needs the symbols it owns"),
            (["FEATURE_SERVICE_SHARD": "a/b", "AMQP_URL": "amqp://h", "FEATURE_SERVICE_SYMBOLS": "BTCUSDT"], "must be 1 to 64"),
            (["FEATURE_SERVICE_SHARD": "a", "AMQP_URL": "amqp://h", "FEATURE_SERVICE_SYMBOLS": "BTC.USDT"], "is not a symbol"),
        ]
        for (env, reason) in cases {
            #expect {
                try configuration(env).shardAssignment()
            } throws: { error in
                "\(error)".contains(reason)
            }
        }
    }
}
