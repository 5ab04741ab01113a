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
import MarketData
import Metadata
import ServiceTestSupport
import Testing

@Suite struct APITests {
    @Test func healthIsPublicAndReportsEachDependencyToKeyHolders() async throws {
        let (app, _) = try await makeAPI()
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get, headers: key) { response in
                #expect(response.status == .ok)
                let body = try json(response)
                #expect(body["status"] == .string("ok"))
                #expect(body["checks"]?["broker"]?["status"] == .string("disabled"))
                #expect(response.headers[HTTPField.Name("X-Trace-Id")!] != nil)
            }
        }
    }

    @Test func everythingElseNeedsAValidKeyInHeaderOrQuery() async throws {
        let (app, _) = try await makeAPI()
        try await app.test(.router) { client in
            for path in ["/features/latest?symbol=BTCUSDT", "/feature-registry", "/metrics", "/feature-registry/validate"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .unauthorized, "\(path)")
                    let body = try json(response)
                    #expect(body["error"]?["code"] == .string("unauthorized"))
                    #expect(body["error"]?["trace_id"] != nil)
                }
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [HTTPField.Name("X-API-Key")!: "wrong"]) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/metrics?api_key=secret-key", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func latestFeaturesForAKnownSymbolAnd404ForAnUnknownOne() async throws {
        let (app, _) = try await makeAPI()
        try await app.test(.router) { client in
            try await client.execute(uri: "/features/latest?symbol=BTCUSDT", method: .get, headers: key) { response in
                #expect(response.status == .ok)
                let body = try json(response)
                #expect(body["symbol"] == .string("BTCUSDT"))
                guard case .object(let features)? = body["features"] else { Issue.record("no features"); return }
                #expect(Set(features.keys) == Set(FeatureRegistry.bundledDefault.names))
                guard case .number(let mid)? = features["mid_price"] else { Issue.record("mid is null"); return }
                #expect(Double(mid)! > 90_000)
                #expect(body["stale"] != nil)
            }
            try await client.execute(uri: "/features/latest?symbol=NOPEUSDT", method: .get, headers: key) { response in
                #expect(response.status == .notFound)
                let message = try json(response)["error"]?["message"]
                guard case .string(let text)? = message else { Issue.record("no message"); return }
                #expect(text.contains("NOPEUSDT") && text.contains("BTCUSDT"))
            }
            try await client.execute(uri: "/features/latest", method: .get, headers: key) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/no/such/route", method: .get, headers: key) { response in
                #expect(response.status == .notFound)
                let code = try json(response)["error"]?["code"]
                #expect(code == .string("not_found"))
            }
        }
    }

    @Test func registryReloadAcceptsAGoodRegistryAndRejectsABadOneKeepingTheOld() async throws {
        let (app, pipeline) = try await makeAPI()
        try await app.test(.router) { client in
            let bad = "version: x\nfeatures:\n  - {name: a, kind: vwap}\n  - {name: a, kind: nope}\n"
            try await client.execute(uri: "/feature-registry/reload", method: .post, headers: key, body: ByteBuffer(string: bad)) { response in
                #expect(response.status == .unprocessableContent)
                guard case .array(let problems)? = try json(response)["error"]?["problems"] else { Issue.record("no problems"); return }
                #expect(problems.count == 3)  // missing window, duplicate name, unknown kind
            }
            #expect(await pipeline.configuration.registry == .bundledDefault)
            let good = "version: \"2.0\"\nfeatures:\n  - {name: mid, kind: mid_price}\n  - {name: n3, kind: trade_count, window: 3s}\n"
            try await client.execute(uri: "/feature-registry/reload", method: .post, headers: key, body: ByteBuffer(string: good)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/feature-registry", method: .get, headers: key) { response in
                let body = try json(response)
                #expect(body["version"] == .string("2.0"))
            }
            // This pipeline has no store to rebuild from: the new engine starts with the next event.
            let trade = #"{"event_type":"trade","payload":{"s":"ETHUSDT","S":"Buy","v":"1","p":"3000","i":"after-reload"}}"#
            try await client.execute(uri: "/ingest", method: .post, headers: key, body: ByteBuffer(string: trade)) { _ in }
            try await client.execute(uri: "/features/latest?symbol=ETHUSDT", method: .get, headers: key) { response in
                guard case .object(let features)? = try json(response)["features"] else { Issue.record("no features"); return }
                #expect(Set(features.keys) == ["mid", "n3"])
            }
        }
    }

    @Test func validateReportsTheConfiguredFilesProblems() async throws {
        let path = try temporaryFile("registry.yaml", contents: "version: 1\nfeatures:\n  - {name: v, kind: vwap, window: 3 s}\n")
        let (app, _) = try await makeAPI(registryPath: path)
        try await app.test(.router) { client in
            try await client.execute(uri: "/feature-registry/validate", method: .get, headers: key) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains("malformed"))
            }
        }
    }

    @Test func ingestTakesJSONLinesAndListsMalformedLines() async throws {
        let (app, pipeline) = try await makeAPI()
        try await app.test(.router) { client in
            let lines = [#"{"event_type":"trade","payload":{"s":"XRPUSDT","S":"Buy","v":"5","p":"2.5","i":"q1"}}"#, "not json"].joined(separator: "\n")
            try await client.execute(uri: "/ingest", method: .post, headers: key, body: ByteBuffer(string: lines)) { response in
                #expect(response.status == .ok)
                let body = try json(response)
                #expect(body["accepted_events"] == .number("1"))
                guard case .array(let malformed)? = body["malformed"] else { Issue.record("no list"); return }
                #expect(malformed.count == 1)
                #expect(malformed[0]["line"] == .number("2"))
            }
            try await client.execute(uri: "/ingest", method: .post, headers: key, body: ByteBuffer(string: "")) { response in
                #expect(response.status == .badRequest)
            }
        }
        #expect(await pipeline.symbols.contains("XRPUSDT"))
    }

    @Test func metricsArePrometheusText() async throws {
        let (app, _) = try await makeAPI()
        try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get, headers: key) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("# TYPE feature_service_events_total counter"))
                #expect(text.contains("feature_service_events_total{type=\"orderbook\"}"))
                #expect(text.contains("feature_service_ingest_to_vector_seconds_bucket{le=\"+Inf\"}"))
            }
        }
    }

    @Test func theOpenAPIDocumentDescribesExactlyTheRoutes() async throws {
        let document = try JSONParser.parse(OpenAPIDocument.json)
        guard case .object(let paths)? = document["paths"] else { Issue.record("no paths"); return }
        var documented: Set<String> = []
        for (path, item) in paths { if case .object(let methods) = item { for method in methods.keys { documented.insert("\(method.uppercased()) \(path)") } } }
        #expect(documented == Set(OpenAPIDocument.operations.map { "\($0.method.uppercased()) \($0.path)" }))
        // Every documented operation is routed: the router answers something other than "no route".
        let (app, _) = try await makeAPI()
        try await app.test(.router) { client in
            for (method, path) in OpenAPIDocument.operations {
                try await client.execute(uri: path, method: method == "get" ? .get : .post, headers: key) { response in
                    let routed = response.status != .notFound || String(buffer: response.body).contains("unknown symbol") == false
                        && !String(buffer: response.body).contains("no route")
                    #expect(routed, "\(method) \(path)")
                }
            }
        }
    }
}
