import TestSupport
import AMQP
import FeatureEngine
import API
import FeatureServer
import Live
import Offline
import ServiceRuntime
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MarketData
import RawStore
import Testing

/// Inputs that once trapped the process or cost without bound (issue 16): each is answered
/// with a 4xx or dead-lettered, and good input around it is stored and featured.
enum Hostile {
    static let now = Nanos(Date().timeIntervalSince1970 * 1e9)
    static let isoNow = String(Time.formatISO8601(now).prefix(26))

    static func trade(_ symbol: String, time: String, id: String) -> String {
        #"{"event_type":"trade","topic":"publicTrade.\#(symbol)","timestamp":"\#(isoNow)","received_at":"\#(isoNow)","trace_id":"t-\#(id)","#
            + #""payload":[{"T":\#(time),"s":"\#(symbol)","S":"Buy","v":"0.5","p":"100.5","i":"\#(id)"}]}"#
    }

    /// Every gateway message that trapped `serve` before, with the field that must be named.
    static let poison: [(body: String, field: String)] = [
        (trade("BTCUSDT", time: "99999999999999", id: "p1"), "payload[0].T"),
        (trade("BTCUSDT", time: "9223372036854775807", id: "p2"), "payload[0].T"),
        (trade("BTCUSDT", time: "-9223372036854775808", id: "p3"), "payload[0].T"),
        (#"{"event_type":"kline","topic":"kline.1.BTCUSDT","payload":{"start":1764064800000,"end":1764064859999,"interval":"1","#
            + #""open":"1","high":"1","low":"1","close":"1","volume":"1","turnover":"1","timestamp":9223372036854775807}}"#, "payload.timestamp"),
        (#"{"event_type":"position","payload":{"symbol":"BTCUSDT","side":"Buy","size":"1","avgPrice":"100","#
            + #""updatedTime":"9223372036854775807"}}"#, "payload.updatedTime"),
        (#"{"event_type":"trade","timestamp":"1700-01-01T00:00:00","payload":{"T":1764064800000,"s":"BTCUSDT","S":"Buy","v":"1","p":"1","i":"x"}}"#,
         "timestamp"),
    ]
}

@Suite struct HostileDecodingTests {
    @Test func absurdTimesAreDecodeErrorsNamingTheField() {
        for (body, field) in Hostile.poison {
            #expect(throws: DecodeError.self, "\(field)") { try EnvelopeDecoder.decode(text: body) }
            do { _ = try EnvelopeDecoder.decode(text: body) } catch {
                #expect(error.field == field)
                #expect(error.problem.contains("out of range"), "\(error)")
            }
        }
        #expect((try? EnvelopeDecoder.decode(text: Hostile.trade("BTCUSDT", time: "1764064800000", id: "ok"))) != nil)
    }

    @Test func poisonThroughThePipelineIsDeadLetteredAndGoodInputAroundItIsApplied() async throws {
        let pipeline = try LivePipeline(configuration: .init(registry: .bundledDefault), store: nil)
        let good = Hostile.trade("BTCUSDT", time: "1764064800000", id: "g1")
        await pipeline.ingest(Array(good.utf8), receivedAt: Hostile.now)
        for (body, _) in Hostile.poison {
            #expect(await pipeline.ingest(Array(body.utf8), receivedAt: Hostile.now) != .accepted(events: 1))
        }
        await pipeline.ingest(Array(Hostile.trade("BTCUSDT", time: "1764064800001", id: "g2").utf8), receivedAt: Hostile.now + 1)
        let counters = await pipeline.counters
        #expect(counters.malformed == Hostile.poison.count)
        #expect(counters.eventsByType[.trade] == 2)
        let letters = await pipeline.takeDeadLetters()
        #expect(letters.count == Hostile.poison.count)
        #expect(letters.allSatisfy { $0.source == "broker" && $0.logIndividually })
        #expect(await pipeline.latest(symbol: "BTCUSDT", now: Hostile.now + 2)?.values.isEmpty == false)
    }

    @Test func deadLettersAreBoundedPerDayAndCounted() {
        var box = DeadLetterBox()
        let error = DecodeError(field: "", problem: "bad")
        for index in 0..<(DeadLetterBox.dailyCount + 5) {
            box.add(error, body: Array(repeating: UInt8(ascii: "x"), count: 10), at: Hostile.now + Nanos(index), source: "broker", logIndividually: true)
        }
        #expect(box.kept == DeadLetterBox.dailyCount)
        #expect(box.dropped == 5)
        // A new day has a new budget; bodies are cut to the bound.
        let kept = box.add(error, body: [UInt8](repeating: 0x41, count: 1 << 20), at: Hostile.now + Time.nanosPerDay, source: "ingest",
                           logIndividually: false)
        #expect(kept)
        #expect(box.take().last?.body.count == DeadLetterBox.maxBodyBytes)
    }

    @Test func lineSplitterRefusesOverlongLinesWithoutHoldingThem() {
        var splitter = LineSplitter(maxLineBytes: 8)
        var lines: [LineSplitter.Line] = []
        for chunk in ["ab\n\n  \ncdefghijklmnop", "qrstuv\nxy"] {
            lines += Array(chunk.utf8).withUnsafeBytes { splitter.feed($0) }
        }
        lines += splitter.finish()
        #expect(lines.map(\.number) == [1, 4, 5])
        #expect(lines[0].refused == nil && Array(lines[0].body) == Array("ab".utf8))
        #expect(lines[1].refused?.problem.contains("20 bytes") == true)
        #expect(lines[1].body.count == 8)
        #expect(Array(lines[2].body) == Array("xy".utf8))
    }
}

@Suite struct HostileHTTPTests {
    func ingestBody(_ app: some ApplicationProtocol, _ body: String) async throws -> (HTTPResponse.Status, JSONValue) {
        try await app.test(.router) { client in
            try await client.execute(uri: "/ingest", method: .post, headers: key, body: ByteBuffer(string: body)) { response in
                (response.status, try json(response))
            }
        }
    }

    @Test func poisonLinesInIngestAreListedAndGoodLinesAccepted() async throws {
        let (app, pipeline) = try await makeAPI()
        let lines = [Hostile.trade("XRPUSDT", time: "1764064800000", id: "a")] + Hostile.poison.map(\.body)
            + [Hostile.trade("XRPUSDT", time: "1764064800001", id: "b")]
        let (status, body) = try await ingestBody(app, lines.joined(separator: "\n"))
        #expect(status == .ok)
        #expect(body["accepted_events"] == .number("2"))
        #expect(body["malformed_lines"] == .number("\(Hostile.poison.count)"))
        guard case .array(let listed)? = body["malformed"] else { Issue.record("no malformed list"); return }
        #expect(listed.count == Hostile.poison.count)
        #expect(listed.first?["line"] == .number("2"))
        #expect(await pipeline.symbols.contains("XRPUSDT"))
    }

    @Test func manyMalformedLinesCostABoundedAnswer() async throws {
        let (app, pipeline) = try await makeAPI()
        let bad = String(repeating: "x\n", count: 200_000)
        let (size, status, body) = try await app.test(.router) { client in
            try await client.execute(uri: "/ingest", method: .post, headers: key, body: ByteBuffer(string: bad)) { response in
                (response.body.readableBytes, response.status, try json(response))
            }
        }
        #expect(status == .unprocessableContent)
        #expect(size < 4096, "the answer lists the first few lines only, got \(size) bytes")
        #expect(body["malformed_lines"] == .number("200000"))
        #expect(body["malformed_not_listed"] == .number("199990"))
        #expect(body["dead_lettered"] == .number("100"))
        #expect(await pipeline.takeDeadLetters().count == 100)
        #expect(await pipeline.deadLetterCounts.dropped == 200_000 - 100)
    }

    func expect413(_ app: some ApplicationProtocol, _ uri: String, _ body: ByteBuffer) async throws {
        try await app.test(.router) { client in
            try await client.execute(uri: uri, method: .post, headers: key, body: body) { response in
                #expect(response.status == .contentTooLarge, "\(uri)")
                let body = try json(response)
                #expect(body["error"]?["code"] == .string("body_too_large"))
                #expect(body["error"]?["trace_id"] != nil)
                guard case .string(let message)? = body["error"]?["message"] else { Issue.record("no message"); return }
                #expect(message.contains("limit of"), "\(message)")
            }
        }
    }

    @Test func oversizedBodiesAre413WithTheLimit() async throws {
        let big = ByteBuffer(repeating: UInt8(ascii: "a"), count: (1 << 20) + 10)
        let (app, _) = try await makeAPI()
        try await expect413(app, "/feature-registry/reload", big)
        try await expect413(app, "/ingest", ByteBuffer(repeating: UInt8(ascii: "a"), count: (64 << 20) + 1))
        let (datasets, _, _) = try await DatasetAPITests().makeService()
        try await expect413(datasets, "/dataset/build", big)
    }

    @Test func hostileQueryParametersAre400() async throws {
        let (app, _) = try await makeAPI()
        try await app.test(.router) { client in
            for query in ["symbol=BTCUSDT&to=-9223372036854775808", "symbol=BTCUSDT&from=-1&to=9223372036854775807",
                          "symbol=BTCUSDT&from=9223372036854775807", "symbol=&to=1", "symbol=\(String(repeating: "A", count: 10_000))"] {
                try await client.execute(uri: "/data-quality/report?\(query)", method: .get, headers: key) { response in
                    #expect(response.status == .badRequest, "\(query.prefix(60))")
                    #expect(response.body.readableBytes < 1024)
                    let body = try json(response)
                    #expect(body["error"]?["trace_id"] != nil)
                }
            }
            try await client.execute(uri: "/features/latest?symbol=\(String(repeating: "Z", count: 10_000))", method: .get, headers: key) { response in
                #expect(response.status == .badRequest)
                #expect(response.body.readableBytes < 1024)
            }
            try await client.execute(uri: "/features/latest?symbol=NOSUCH", method: .get, headers: key) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func unsupportedMethodsAre405WithAllow() async throws {
        let (app, _) = try await makeAPI()
        try await app.test(.router) { client in
            for (method, uri) in [(HTTPRequest.Method("TRACE")!, "/features/latest"), (.delete, "/feature-registry"), (.get, "/ingest"),
                                  (.put, "/dataset/abc/cancel")] {
                try await client.execute(uri: uri, method: method, headers: key) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                    #expect(response.headers[.allow] != nil)
                    let body = try json(response)
                    #expect(body["error"]?["trace_id"] != nil)
                }
            }
        }
    }

    @Test func healthWithoutAKeyIsStatusOnly() async throws {
        let (app, _) = try await makeAPI()
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
            }
            try await client.execute(uri: "/health", method: .get, headers: key) { response in
                let body = try json(response)
                #expect(body["checks"]?["broker"]?["status"] == .string("disabled"))
            }
        }
    }

    @Test func registryRejectionsCarryTraceIdsAndAliasBombsAreCheap() async throws {
        let (app, pipeline) = try await makeAPI()
        let before = await pipeline.configuration.registry.contentHash
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for index in 1...400 { bomb += "a\(index): &a\(index) [*a\(index - 1 == 0 ? "" : String(index - 1)), *a, *a]\n" }
        bomb += "version: \"1\"\nfeatures: []\n"
        let document = bomb
        try await app.test(.router) { client in
            try await client.execute(uri: "/feature-registry/reload", method: .post, headers: key, body: ByteBuffer(string: document)) { response in
                #expect(response.status == .unprocessableContent)
                let body = try json(response)
                #expect(body["error"]?["trace_id"] != nil)
                #expect(response.body.readableBytes < 2048)
                // Refused lexically, before any YAML work (no timing here: the bound is structural).
                #expect(String(buffer: response.body).contains("aliases"))
            }
            let nested = String(repeating: "[", count: 10_000)
            try await client.execute(uri: "/feature-registry/reload", method: .post, headers: key, body: ByteBuffer(string: nested)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains("nesting"))
            }
        }
        #expect(await pipeline.configuration.registry.contentHash == before)
    }

    @Test func hostileDatasetRequestsAre422WithEveryProblem() async throws {
        let (app, _, _) = try await DatasetAPITests().makeService()
        let requests: [(String, String)] = [
            (#"{"symbol":"BTCUSDT","allow_random_split":true,"splits":{"strategy":"random","start":"2026-01-01T00:00:00Z","end":"2026-01-02T00:00:00Z","seed":-1}}"#,
             "splits.seed"),
            (#"{"symbol":"BTCUSDT","splits":{"strategy":"walk_forward","start":"2026-01-01T00:00:00Z","end":"2026-02-01T00:00:00Z","#
                + #""train_window":"1d","validation_window":"1d","step":"1d","min_train_samples":1e300}}"#, "splits.min_train_samples"),
            (#"{"symbol":"BTCUSDT","splits":{"strategy":"walk_forward","start":"2026-01-01T00:00:00Z","end":"2026-02-01T00:00:00Z","#
                + #""train_window":"106000d","validation_window":"106000d","step":"106000d"}}"#, "splits.train_window"),
            (#"{"symbol":"","splits":{"periods":{"train":["1700-01-01T00:00:00Z","9999-01-01T00:00:00Z"]}}}"#, "splits.periods.train[0]"),
        ]
        try await app.test(.router) { client in
            for (request, field) in requests {
                try await client.execute(uri: "/dataset/build", method: .post, headers: key, body: ByteBuffer(string: request)) { response in
                    #expect(response.status == .unprocessableContent, "\(field)")
                    let body = try json(response)
                    #expect(body["error"]?["trace_id"] != nil)
                    #expect(String(buffer: response.body).contains(field), "\(String(buffer: response.body))")
                }
            }
        }
    }
}

/// Through a real RabbitMQ: the poison messages are dead-lettered and acked, consumption goes
/// on, and the good messages around them are stored and featured.
@Suite(.serialized) struct BrokerPoisonTests {
    @Test func poisonMessagesAreDeadLetteredAckedAndConsumptionGoesOn() async throws {
        guard let (configuration, admin, adminChannel) = try await openTestBroker() else { return }

        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat())
        let pipeline = try LivePipeline(configuration: .init(registry: .bundledDefault), store: store)
        let link = BrokerLink(configuration: configuration, pipeline: pipeline, logger: Logger(label: "test"), clock: SystemClock())
        let consumer = Task { await link.runConsumer() }
        // Up as soon as it consumes, before any delivery (an idle queue is not an outage).
        for _ in 0..<250 where link.status != "up" { try await Task.sleep(for: .milliseconds(20)) }
        #expect(link.status == "up")

        let publisher = try await AMQPConnection.connect(configuration)
        let channel = try await publisher.openChannel()
        try await channel.confirmSelect()
        var good = 0
        for (index, (body, _)) in Hostile.poison.enumerated() {
            let queue = body.contains("\"kline\"") ? "ws-gateway.kline" : body.contains("\"position\"") ? "ws-gateway.position" : "ws-gateway.trade"
            try await channel.publish(Array(Hostile.trade("ETHUSDT", time: "176406480\(index)000", id: "g\(index)").utf8),
                                      routingKey: "ws-gateway.trade", properties: .persistentJSON)
            try await channel.publish(Array(body.utf8), routingKey: queue, properties: .persistentJSON)
            good += 1
        }
        try await channel.publish(Array(Hostile.trade("ETHUSDT", time: "1764064809000", id: "last").utf8),
                                  routingKey: "ws-gateway.trade", properties: .persistentJSON)
        good += 1
        for _ in 0..<250 {
            let counters = await pipeline.counters
            if counters.malformed == Hostile.poison.count && counters.eventsByType[.trade] == good { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(300))  // a few commit rounds: acks go out after durability
        consumer.cancel()
        _ = await consumer.value
        try await Task.sleep(for: .milliseconds(300))
        let counters = await pipeline.counters
        #expect(counters.malformed == Hostile.poison.count)
        #expect(counters.eventsByType[.trade] == good)
        #expect(await pipeline.takeDeadLetters().count == Hostile.poison.count)
        // Acked: nothing comes back to the queues once the consumer is gone.
        for queue in ["ws-gateway.trade", "ws-gateway.kline", "ws-gateway.position"] {
            let (_, ready, _) = try await adminChannel.queueDeclare(queue, passive: true)
            #expect(ready == 0, "\(queue)")
        }
        try store.flush()
        #expect(try storedEvents(root).filter { $0.symbol == "ETHUSDT" }.count == good)
        #expect(await pipeline.latest(symbol: "ETHUSDT", now: Hostile.now)?.values.isEmpty == false)
        try await publisher.close()
        try await admin.close()
    }
}
