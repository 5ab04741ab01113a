import AMQP
import API
import FeatureEngine
import FeatureServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Live
import Logging
import MarketData
import Offline
import RawStore
import ServiceRuntime
import ServiceTestSupport
import TestSupport
import Testing

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
        let lines =
            [Hostile.trade("XRPUSDT", time: "1764064800000", id: "a")] + Hostile.poison.map(\.body)
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
            for query in [
                "symbol=BTCUSDT&to=-9223372036854775808", "symbol=BTCUSDT&from=-1&to=9223372036854775807",
                "symbol=BTCUSDT&from=9223372036854775807", "symbol=&to=1", "symbol=\(String(repeating: "A", count: 10_000))",
            ] {
                try await client.execute(uri: "/data-quality/report?\(query)", method: .get, headers: key) { response in
                    #expect(response.status == .badRequest, "\(query.prefix(60))")
                    #expect(response.body.readableBytes < 1024)
                    let body = try json(response)
                    #expect(body["error"]?["trace_id"] != nil)
                }
            }
            try await client.execute(uri: "/features/latest?symbol=\(String(repeating: "Z", count: 10_000))", method: .get, headers: key) {
                response in
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
            for (method, uri) in [
                (HTTPRequest.Method("TRACE")!, "/features/latest"), (.delete, "/feature-registry"), (.get, "/ingest"),
                (.put, "/dataset/abc/cancel"),
            ] {
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
            try await client.execute(uri: "/feature-registry/reload", method: .post, headers: key, body: ByteBuffer(string: document)) {
                response in
                #expect(response.status == .unprocessableContent)
                let body = try json(response)
                #expect(body["error"]?["trace_id"] != nil)
                #expect(response.body.readableBytes < 2048)
                // Refused lexically, before any YAML work (no timing here: the bound is structural).
                #expect(String(buffer: response.body).contains("aliases"))
            }
            let nested = String(repeating: "[", count: 10_000)
            try await client.execute(uri: "/feature-registry/reload", method: .post, headers: key, body: ByteBuffer(string: nested)) {
                response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains("nesting"))
            }
        }
        #expect(await pipeline.configuration.registry.contentHash == before)
    }

    @Test func hostileDatasetRequestsAre422WithEveryProblem() async throws {
        let (app, _, _) = try await DatasetAPITests().makeService()
        let requests: [(String, String)] = [
            (
                #"{"symbol":"BTCUSDT","allow_random_split":true,"splits":{"strategy":"random","#
                    + #""start":"2026-01-01T00:00:00Z","end":"2026-01-02T00:00:00Z","seed":-1}}"#,
                "splits.seed"
            ),
            (
                #"{"symbol":"BTCUSDT","splits":{"strategy":"walk_forward","start":"2026-01-01T00:00:00Z","end":"2026-02-01T00:00:00Z","#
                    + #""train_window":"1d","validation_window":"1d","step":"1d","min_train_samples":1e300}}"#, "splits.min_train_samples"
            ),
            (
                #"{"symbol":"BTCUSDT","splits":{"strategy":"walk_forward","start":"2026-01-01T00:00:00Z","end":"2026-02-01T00:00:00Z","#
                    + #""train_window":"106000d","validation_window":"106000d","step":"106000d"}}"#, "splits.train_window"
            ),
            (#"{"symbol":"","splits":{"periods":{"train":["1700-01-01T00:00:00Z","9999-01-01T00:00:00Z"]}}}"#, "splits.periods.train[0]"),
        ]
        try await app.test(.router) { client in
            for (request, field) in requests {
                try await client.execute(uri: "/dataset/build", method: .post, headers: key, body: ByteBuffer(string: request)) {
                    response in
                    #expect(response.status == .unprocessableContent, "\(field)")
                    let body = try json(response)
                    #expect(body["error"]?["trace_id"] != nil)
                    #expect(String(buffer: response.body).contains(field), "\(String(buffer: response.body))")
                }
            }
        }
    }
}
