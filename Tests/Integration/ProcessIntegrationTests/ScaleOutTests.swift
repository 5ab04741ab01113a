import AMQP
import FeatureEngine
import Foundation
import Live
import Logging
import MarketData
import Offline
import RawStore
import Routing
import ServiceTestSupport
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Scale-out as a user deploys it (README "Deployment"), with a real RabbitMQ and PostgreSQL:
/// `route` plus a standby router in front of two shards that share one data directory.
@Suite(.serialized) struct ScaleOutTests {
    static let shardA: Set<String> = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    static let shardB: Set<String> = ["XRPUSDT", "DOGEUSDT", "ADAUSDT"]
    static let environment = ["FEATURE_SERVICE_API_KEYS": "scale-key", "LOG_LEVEL": "info"]

    struct Servers {
        var amqp: AMQPConfiguration
        var amqpURL: String
        var databaseURL: String
    }

    /// The test servers, or nil with an issue recorded.
    static func servers() throws -> Servers? {
        let env = ProcessInfo.processInfo.environment
        guard let amqpURL = env["AMQP_TEST_URL"], let databaseURL = env["POSTGRES_TEST_URL"] else {
            Issue.record("AMQP_TEST_URL and POSTGRES_TEST_URL must be set: scripts/test.sh starts both servers")
            return nil
        }
        return Servers(amqp: try AMQPConfiguration(url: amqpURL), amqpURL: amqpURL, databaseURL: databaseURL)
    }

    /// Clean broker state: empty gateway queues, no shard queues from an earlier run.
    static func resetBroker(_ channel: AMQPChannel) async throws {
        try await BrokerLink.declareQueues(on: channel, purge: true)
        try await SymbolRoute.declareTopology(on: channel)
        try await channel.queuePurge(SymbolRoute.unroutedQueue)
        for name in ["a", "b"] { try await channel.queueDelete(SymbolRoute.shardQueue(name)) }
        try await channel.queueDeclare("position-manager.position_updated", durable: true)
        try await channel.queuePurge("position-manager.position_updated")
    }

    func shard(_ name: String, symbols: Set<String>, data: String, servers: Servers) throws -> ServiceProcess {
        try ServiceProcess(
            [
                "serve", "--shard", name, "--symbols", symbols.sorted().joined(separator: ","), "--host", "127.0.0.1", "--port", "0",
                "--data-dir", data, "--database-url", servers.databaseURL, "--amqp-url", servers.amqpURL, "--no-console",
            ], environment: Self.environment)
    }

    func router(_ servers: Servers) throws -> ServiceProcess {
        try ServiceProcess(["route", "--amqp-url", servers.amqpURL, "--standby-retry-ms", "200"], environment: Self.environment)
    }

    static func port(of process: ServiceProcess) async throws -> Int {
        let listening = try await process.waitForLog("HTTP API listening")
        return try #require(
            listening?["port"].flatMap { value -> Int? in
                if case .string(let text) = value { return Int(text) } else { return nil }
            }, "\(process.standardError)")
    }

    /// Ready messages in a queue (passive declare).
    static func ready(_ queue: String, _ channel: AMQPChannel) async throws -> UInt32 {
        try await channel.queueDeclare(queue, passive: true).messages
    }

    static func latest(port: Int, symbol: String) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/features/latest?symbol=\(symbol)")!)
        request.setValue("scale-key", forHTTPHeaderField: "X-API-Key")
        request.timeoutInterval = 10
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? -1, String(decoding: data, as: UTF8.self))
    }

    /// A position update as the gateway sends it (ws-gateway.position).
    static func position(_ symbol: String, size: Int, at time: Nanos) -> String {
        let iso = String(Time.formatISO8601(time).prefix(26))
        let ms = time / Time.nanosPerMilli
        return #"{"event_id":"p-\#(symbol)-\#(size)","event_type":"position","topic":"position","timestamp":"\#(iso)","#
            + #""received_at":"\#(iso)","payload":{"symbol":"\#(symbol)","side":"Buy","size":"\#(size)","avgPrice":"1.5","#
            + #""markPrice":"1.6","unrealisedPnl":"0.1","updatedTime":"\#(ms)"}}"#
    }

    /// Six symbols through the router to two shards, with the active router and then a shard
    /// killed with SIGKILL mid-stream: every message is stored exactly once across the shards,
    /// each shard's published vectors equal an offline rebuild of its symbols, and a shard asked
    /// for the other's symbol names its owner.
    @Test func routerAndTwoShardsLoseAndDuplicateNothingThroughKills() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the executable first (scripts/test.sh does)")
        guard let servers = try Self.servers() else { return }
        let admin = try await AMQPConnection.connect(servers.amqp)
        let channel = try await admin.openChannel()
        try await Self.resetBroker(channel)
        // Two downstream consumers each with their own queue on the features.live topic exchange:
        // one takes every vector, one only BTCUSDT's.
        let everything = try await channel.queueDeclare("", durable: false, exclusive: true, autoDelete: true).name
        try await channel.queueBind(queue: everything, exchange: BrokerLink.liveExchange, routingKey: "#")
        let onlyBTC = try await channel.queueDeclare("", durable: false, exclusive: true, autoDelete: true).name
        try await channel.queueBind(queue: onlyBTC, exchange: BrokerLink.liveExchange, routingKey: "BTCUSDT")
        let registry = FeatureRegistry.bundledDefault
        let collector = Task { () async -> [String: FeatureVector] in
            var vectors: [String: FeatureVector] = [:]
            guard let (_, live) = try? await channel.consume(queue: everything, noAck: true) else { return vectors }
            do {
                for try await delivery in live {
                    if let (vector, _) = try? FeatureMessage.decode(String(decoding: delivery.body, as: UTF8.self), names: registry.names) {
                        vectors["\(vector.symbol)@\(vector.ts)"] = vector
                    }
                }
            } catch {}
            return vectors
        }
        let btcCollector = Task { () async -> Set<String> in
            var symbols: Set<String> = []
            guard let (_, live) = try? await channel.consume(queue: onlyBTC, noAck: true) else { return symbols }
            do {
                for try await delivery in live {
                    if let (vector, _) = try? FeatureMessage.decode(String(decoding: delivery.body, as: UTF8.self), names: registry.names) {
                        symbols.insert(vector.symbol)
                    }
                }
            } catch {}
            return symbols
        }

        let data = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        // The active router first; the second one finds the queues taken and stands by.
        var active: ServiceProcess? = try router(servers)
        try #require(try await active!.waitForLog("router starting") != nil, "\(active!.standardError)")
        try await Task.sleep(for: .seconds(1))
        let standby = try router(servers)
        let waiting = try await standby.waitForLog("another router holds the gateway queues: standing by")
        try #require(waiting != nil, "standby: \(standby.standardError)")
        let a = try shard("a", symbols: Self.shardA, data: data, servers: servers)
        var b: ServiceProcess? = try shard("b", symbols: Self.shardB, data: data, servers: servers)
        let portA = try await Self.port(of: a)
        _ = try await Self.port(of: b!)
        // Exactly one consumer per shard queue: a stray instance left by an earlier run would take
        // messages into its own data directory. A shard answers HTTP before its queue may exist, and
        // a passive declare of a missing queue closes its channel: each probe has a channel of its own.
        for name in ["a", "b"] {
            var consumers: UInt32 = 0
            for _ in 0..<100 {
                let probe = try await admin.openChannel()
                if let declared = try? await probe.queueDeclare(SymbolRoute.shardQueue(name), passive: true) {
                    consumers = declared.consumers
                    try? await probe.close()
                    if consumers > 0 { break }
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            try #require(consumers == 1, "shard \(name)'s queue has \(consumers) consumers; a stray `serve --shard \(name)`?")
        }

        // ~15 s of a six-symbol market in real time into the gateway's queues, and one position each.
        let publisher = try await AMQPConnection.connect(servers.amqp)
        let publish = try await publisher.openChannel()
        try await publish.confirmSelect()
        let symbols = (Self.shardA.union(Self.shardB)).sorted().enumerated().map {
            ($0.element, price: 10.0 * Double($0.offset + 1), tick: 0.01)
        }
        let start = Nanos(Date().timeIntervalSince1970 * 1e9)
        var simulator = MarketSimulator(seed: 71, symbols: symbols, start: start, eventsPerSecond: 60, depth: 10)
        var sent: [String] = []
        var killedRouterAt: Date?
        var killedShardAt: Date?
        var restartedShardAt: Date?
        let end = Date().addingTimeInterval(15)
        while Date() < end {
            let (time, event) = simulator.nextEvent()
            let wait = Double(time) / 1e9 - Date().timeIntervalSince1970
            if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
            let queue = "ws-gateway.\(event.body.type == .orderbook ? "orderbook" : event.body.type.rawValue)"
            try await publish.publish(
                Array(GatewayEnvelope.encode(event, eventId: "e\(sent.count)").utf8), routingKey: queue, properties: .persistentJSON)
            sent.append("\(event.symbol) \(event.body)")
            let elapsed = 15 - end.timeIntervalSinceNow
            if killedRouterAt == nil, elapsed > 3, let router = active {
                kill(router.process.processIdentifier, SIGKILL)
                router.process.waitUntilExit()
                killedRouterAt = Date()
                active = nil
            }
            if killedShardAt == nil, elapsed > 5, let shard = b {
                kill(shard.process.processIdentifier, SIGKILL)
                shard.process.waitUntilExit()
                killedShardAt = Date()
            }
            if restartedShardAt == nil, elapsed > 6 {
                b = try shard("b", symbols: Self.shardB, data: data, servers: servers)
                restartedShardAt = Date()
            }
        }
        for (offset, symbol) in (Self.shardA.union(Self.shardB)).sorted().enumerated() {
            let body = Self.position(symbol, size: offset + 1, at: Nanos(Date().timeIntervalSince1970 * 1e9))
            try await publish.publish(Array(body.utf8), routingKey: "ws-gateway.position", properties: .persistentJSON)
            sent.append("position \(symbol)")
        }
        try await publisher.close()
        #expect(try await standby.waitForLog("router active: consuming the gateway queues", timeout: .seconds(5)) != nil)
        _ = try await Self.port(of: b!)

        // Drained: nothing waits in the gateway, shard or unrouted queues.
        var drained = false
        for _ in 0..<300 {
            var total: UInt32 = 0
            for queue in GatewayQueues.required + [SymbolRoute.shardQueue("a"), SymbolRoute.shardQueue("b")] {
                total += try await Self.ready(queue, channel)
            }
            if total == 0 { drained = true; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(drained)
        #expect(try await Self.ready(SymbolRoute.unroutedQueue, channel) == 0, "every symbol has an owner")

        // A shard asked for the other's symbol names its owner.
        let foreign = try await Self.latest(port: portA, symbol: "XRPUSDT")
        #expect(foreign.status == 404)
        #expect(foreign.body.contains(#""shard":"b""#), "\(foreign.body)")
        #expect(try await Self.latest(port: portA, symbol: "BTCUSDT").status == 200)

        // Let the commit loops ack the last batch and one more grid second pass, then stop both.
        try await Task.sleep(for: .milliseconds(1500))
        for process in [a, b!] { kill(process.process.processIdentifier, SIGTERM) }
        for process in [a, b!] { #expect(try await process.waitForExit() == 0, "\(process.standardError)") }
        kill(standby.process.processIdentifier, SIGTERM)
        _ = try await standby.waitForExit()
        for queue in [SymbolRoute.shardQueue("a"), SymbolRoute.shardQueue("b")] {
            #expect(try await Self.ready(queue, channel) == 0, "\(queue): everything stored was acknowledged")
        }
        try await channel.queueDelete(everything)
        try await channel.queueDelete(onlyBTC)
        try await admin.close()
        let received = await collector.value
        #expect(await btcCollector.value == ["BTCUSDT"], "a queue bound to one symbol receives only its vectors")

        // Each shard logged to its own write-ahead log in the shared directory.
        for name in ["a", "b"] { #expect(FileManager.default.fileExists(atPath: "\(data)/wal-\(name)")) }
        // Every message stored exactly once, across both shards.
        let stored = try storedEvents(data)
        let storedKeys = stored.map { event -> String in
            if case .position = event.body { return "position \(event.symbol)" }
            return "\(event.symbol) \(event.body)"
        }
        #expect(storedKeys.count == sent.count, "stored \(storedKeys.count), sent \(sent.count)")
        var balance: [String: Int] = [:]
        for key in sent { balance[key, default: 0] += 1 }
        for key in storedKeys { balance[key, default: 0] -= 1 }
        let missing = balance.filter { $0.value > 0 }.keys.sorted()
        let extra = balance.filter { $0.value < 0 }.keys.sorted()
        #expect(
            missing.isEmpty,
            "\(missing.count) messages not stored, e.g. \(missing.prefix(3)); shard b's log: \(b?.standardError.suffix(4000) ?? "")")
        #expect(extra.isEmpty, "\(extra.count) messages stored twice or never sent, e.g. \(extra.prefix(3))")

        // Published vectors equal an offline rebuild: all of shard a's; shard b's before its kill
        // (with a second's margin: the last events before a SIGKILL are redelivered and stamped
        // anew) and after its restart.
        let killed = Nanos((killedShardAt ?? Date()).timeIntervalSince1970 * 1e9) - Time.nanosPerSecond
        let restarted = Nanos((restartedShardAt ?? Date()).timeIntervalSince1970 * 1e9) + 2 * Time.nanosPerSecond
        let store = try RawStore(root: data, format: ParquetFormat())
        var compared: [String: Int] = [:]
        for symbol in Self.shardA.union(Self.shardB) {
            var last: Nanos = .min
            var replay = try store.replay(symbol: symbol, from: .min, to: .max)
            while let event = try replay.next() { last = event.recvTs }
            try OfflineEngine.rebuild(store: store, symbol: symbol, from: .min, to: .max, registry: registry) { vector in
                guard vector.ts < last, let online = received["\(symbol)@\(vector.ts)"] else { return }
                if Self.shardB.contains(symbol) && vector.ts >= killed && vector.ts <= restarted { return }
                #expect(online.isBitwiseEqual(to: vector), "\(symbol) at \(vector.ts)")
                compared[symbol, default: 0] += 1
            }
        }
        for symbol in Self.shardA.union(Self.shardB) {
            #expect(compared[symbol, default: 0] >= 5, "\(symbol): \(compared[symbol, default: 0]) vectors compared")
        }
    }

    /// Two active routers can split the gateway's queues: one given `--queues ws-gateway.trade`
    /// moves trades and leaves the order book queue to the other.
    @Test func aRouterGivenSomeQueuesMovesOnlyThose() async throws {
        guard let servers = try Self.servers() else { return }
        let admin = try await AMQPConnection.connect(servers.amqp)
        let channel = try await admin.openChannel()
        try await Self.resetBroker(channel)
        let sink = try await channel.queueDeclare("", durable: false, exclusive: true, autoDelete: true).name
        try await channel.queueBind(queue: sink, exchange: SymbolRoute.exchange, routingKey: "#")
        let trade = Hostile.trade("BTCUSDT", time: Hostile.isoNow, id: "q-1")
        let book = GatewayEnvelope.encode(try #require(sampleEvents.first { $0.body.type == .orderbook }), eventId: "q-2")
        try await channel.publish(Array(trade.utf8), routingKey: "ws-gateway.trade", properties: .persistentJSON)
        try await channel.publish(Array(book.utf8), routingKey: "ws-gateway.orderbook", properties: .persistentJSON)
        var options = SymbolRouter.Options()
        options.queues = ["ws-gateway.trade"]
        let router = SymbolRouter(configuration: servers.amqp, options: options, logger: Logger(label: "test"))
        let running = Task { await router.run() }
        for _ in 0..<200 where try await Self.ready(sink, channel) < 1 { try await Task.sleep(for: .milliseconds(25)) }
        running.cancel()
        _ = await running.value
        #expect(try await Self.ready(sink, channel) == 1, "the trade was routed")
        #expect(try await Self.ready("ws-gateway.trade", channel) == 0)
        #expect(try await Self.ready("ws-gateway.orderbook", channel) == 1, "the book queue is another router's")
        try await Self.resetBroker(channel)
        try await admin.close()
    }

    /// A shard restarted without a symbol unbinds it: that symbol's messages then wait in the
    /// unrouted queue instead of reaching a shard that would only dead-letter them.
    @Test func aSymbolAShardGaveUpIsNoLongerRoutedToIt() async throws {
        guard let servers = try Self.servers() else { return }
        let admin = try await AMQPConnection.connect(servers.amqp)
        let channel = try await admin.openChannel()
        try await Self.resetBroker(channel)
        let queue = SymbolRoute.shardQueue("a")
        try await SymbolRoute.declareShard(name: "a", symbols: ["BTCUSDT", "ETHUSDT"], on: channel)
        try await channel.publish(Array("1".utf8), exchange: SymbolRoute.exchange, routingKey: "ETHUSDT.ws-gateway.trade")
        // Restarted owning BTCUSDT only, having owned ETHUSDT before.
        try await SymbolRoute.declareShard(name: "a", symbols: ["BTCUSDT"], released: ["BTCUSDT", "ETHUSDT"], on: channel)
        try await channel.publish(Array("2".utf8), exchange: SymbolRoute.exchange, routingKey: "ETHUSDT.ws-gateway.trade")
        try await channel.publish(Array("3".utf8), exchange: SymbolRoute.exchange, routingKey: "BTCUSDT.ws-gateway.trade")
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await Self.ready(queue, channel) == 2, "the message from before, and BTCUSDT's")
        #expect(try await Self.ready(SymbolRoute.unroutedQueue, channel) == 1, "ETHUSDT's, kept")
        try await Self.resetBroker(channel)
        try await admin.close()
    }

    /// An instance told to own some symbols while consuming the gateway's queues directly would
    /// acknowledge (and lose) the other symbols' messages: it refuses to start and says why.
    @Test func owningSomeSymbolsWithoutAShardIsRefused() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the executable first (scripts/test.sh does)")
        let data = scratchDirectory()
        let process = try ServiceProcess(
            [
                "serve", "--no-console", "--symbols", "BTCUSDT", "--amqp-url", "amqp://guest:guest@127.0.0.1:1/", "--data-dir", data,
                "--port", "0",
            ],
            environment: Self.environment, scratch: data)
        #expect(try await process.waitForExit(timeout: .seconds(30)) == 78)
        #expect(process.standardError.contains("must not consume the gateway queues directly"), "\(process.standardError)")
    }
}
