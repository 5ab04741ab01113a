import FeatureEngine
import FeatureServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Live
import MarketData
import Metadata
import Offline
import Quality
import ServiceRuntime
import ServiceTestSupport
import Testing

@testable import API

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
            try await client.execute(uri: "/feature-registry/reload", method: .post, headers: key, body: ByteBuffer(string: bad)) {
                response in
                #expect(response.status == .unprocessableContent)
                guard case .array(let problems)? = try json(response)["error"]?["problems"] else { Issue.record("no problems"); return }
                #expect(problems.count == 3)  // missing window, duplicate name, unknown kind
            }
            #expect(await pipeline.configuration.registry == .bundledDefault)
            let good = "version: \"2.0\"\nfeatures:\n  - {name: mid, kind: mid_price}\n  - {name: n3, kind: trade_count, window: 3s}\n"
            try await client.execute(uri: "/feature-registry/reload", method: .post, headers: key, body: ByteBuffer(string: good)) {
                response in
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
            let lines = [#"{"event_type":"trade","payload":{"s":"XRPUSDT","S":"Buy","v":"5","p":"2.5","i":"q1"}}"#, "not json"].joined(
                separator: "\n")
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
                #expect(text.contains("feature_service_receipt_to_publish_seconds_bucket{le=\"0.001\"}"))
            }
        }
    }

    @Test func theOpenAPIDocumentDescribesExactlyTheRoutes() async throws {
        let document = try JSONParser.parse(OpenAPIDocument.json)
        guard case .object(let paths)? = document["paths"] else { Issue.record("no paths"); return }
        var documented: Set<String> = []
        for (path, item) in paths {
            if case .object(let methods) = item { for method in methods.keys { documented.insert("\(method.uppercased()) \(path)") } }
        }
        #expect(documented == Set(OpenAPIDocument.operations.map { "\($0.method.uppercased()) \($0.path)" }))
        // Every documented operation is routed: the router answers something other than "no route".
        let (app, _) = try await makeAPI()
        try await app.test(.router) { client in
            for (method, path) in OpenAPIDocument.operations {
                try await client.execute(uri: path, method: method == "get" ? .get : .post, headers: key) { response in
                    let routed =
                        response.status != .notFound
                        || String(buffer: response.body).contains("unknown symbol") == false
                            && !String(buffer: response.body).contains("no route")
                    #expect(routed, "\(method) \(path)")
                }
            }
        }
    }

    /// Each documented response schema with properties against the answer type it describes:
    /// samples of the type (together writing every optional key) are encoded as the route
    /// encodes them, and every object in them has only listed keys, all required ones, values of
    /// the listed type; every listed key is written by some sample.
    @Test func theOpenAPISchemasListExactlyTheKeysOfTheAnswers() throws {
        let document = try JSONParser.parse(OpenAPIDocument.json)
        guard case .object(let schemas)? = document["components"]?["schemas"], case .object(let paths)? = document["paths"] else {
            Issue.record("no schemas or paths"); return
        }
        let registry = RegistryAnswer(.bundledDefault)
        let queued = DatasetRecord(
            id: "ds-1", owner: "a", symbol: "BTCUSDT", status: .queued, createdAt: 1, configJSON: #"{"symbol": "BTCUSDT"}"#,
            registryVersion: "1")
        var ready = queued
        (ready.status, ready.startedAt, ready.finishedAt, ready.progress, ready.etaSeconds) = (.ready, 2, 3, 1, 0)
        ready.splits = [
            .init(name: "train", rows: 5, start: 10, end: 20, file: "train.parquet"),
            .init(name: "test", rows: 0, start: nil, end: nil, file: "t"),
        ]
        var failed = queued
        (failed.status, failed.error) = (.failed, "no data")
        let vector = FeatureVector(symbol: "BTCUSDT", ts: 1_000, values: [1.5, nil])
        let samples: [String: [String]] = [
            "Error": [
                try JSONResponse.text(of: ErrorBody(error: .init(code: "bad_request", message: "m", traceId: "t"))),
                try JSONResponse.text(
                    of: ErrorBody(error: .init(code: "c", message: "m", traceId: "t", problems: [.init(path: "p", message: "m")]))),
                try JSONResponse.text(
                    of: ErrorBody(
                        error: .init(code: "other_shard", message: "m", traceId: "t", owner: ShardOwner(shard: "b", url: "http://b:4500")))),
            ],
            "ShardOwner": [
                try JSONResponse.text(of: ShardOwner(shard: "b", url: "http://b:4500")),
                try JSONResponse.text(of: ShardOwner(shard: "b", url: nil)),
            ],
            "Problem": [try JSONResponse.text(of: APIProblem(path: "features[0]", message: "m"))],
            "Vector": [
                FeatureMessage.encode(
                    vector, names: ["a", "b"], registryVersion: "1", traceId: nil,
                    extra: [("stale", "true"), ("last_event_ts_ns", "null")]),
                FeatureMessage.encode(
                    vector, names: ["a", "b"], registryVersion: "1", traceId: "t",
                    extra: [("stale", "false"), ("last_event_ts_ns", "900")]),
            ],
            "Health": [
                try JSONResponse.text(of: HealthAnswer(status: "ok")),
                try JSONResponse.text(
                    of: HealthAnswer(
                        status: "degraded", uptimeSeconds: 1.5,
                        checks: ["broker": .init(status: "down", detail: "refused")])),
            ],
            "Registry": [try JSONResponse.text(of: registry)],
            "Book": [
                try JSONResponse.text(
                    of: BookAnswer(
                        symbol: "BTCUSDT", at: 5,
                        top: BookTop(
                            bids: [.init(price: 1, size: 2)], asks: [.init(price: 3, size: 4)], inSync: true, state: "synced",
                            lastUpdateId: 7))),
                try JSONResponse.text(
                    of: BookAnswer(
                        symbol: "BTCUSDT", at: 5,
                        top: BookTop(bids: [], asks: [], inSync: false, state: "awaiting_snapshot", lastUpdateId: nil))),
            ],
            "Level": [#"{"price":1.5,"size":2}"#],
            "Symbols": [try JSONResponse.text(of: SymbolsAnswer(symbols: ["BTCUSDT"]))],
            "Reload": [try JSONResponse.text(of: ReloadAnswer(recorded: true, registry: registry))],
            "Validation": [try JSONResponse.text(of: ValidationAnswer(source: "bundled default"))],
            "Versions": [
                try JSONResponse.text(
                    of: RegistryVersionsAnswer(versions: [
                        .init(
                            RegistryVersionRecord(
                                version: "1", contentHash: "h", featureCount: 2, firstSeenAt: 1, lastActivatedAt: 2, activations: 3),
                            inForce: "h")
                    ]))
            ],
            "Ingest": [
                try JSONResponse.text(
                    of: IngestAnswer(
                        lines: 2, acceptedEvents: 1, malformedLines: 1, deadLettered: 1,
                        malformed: [.init(line: 2, error: "bad")], malformedNotListed: 0))
            ],
            "Split": [try JSONResponse.text(of: SplitSummary(ready.splits[1]))],
            "Dataset": try [queued, ready, failed].map { try JSONResponse.text(of: DatasetJobAnswer($0)) },
            "DatasetList": [try JSONResponse.text(of: DatasetListAnswer(datasets: [DatasetJobAnswer(ready)]))],
            "DatasetCancel": [try JSONResponse.text(of: DatasetCancelAnswer(datasetId: "ds-1"))],
            "Latency": [try JSONResponse.text(of: QualityReportDocument.Latency(LatencyHistogram()))],
            "QualityReport": [
                try JSONResponse.text(
                    of: QualityReportDocument(
                        QualityReport(
                            symbol: "BTCUSDT", from: 0, to: 60 * Time.nanosPerSecond,
                            buckets: []))),
                try JSONResponse.text(
                    of: QualityReportAnswer(
                        report: QualityReportDocument(QualityReport(symbol: "BTCUSDT", from: 0, to: 60 * Time.nanosPerSecond, buckets: [])),
                        minutes: QualityMinute.series([QualityBucket(minute: 0)], from: 0, to: 60 * Time.nanosPerSecond))),
            ],
            "QualityMinute": [
                try JSONResponse.text(of: QualityMinute.series([QualityBucket(minute: 0)], from: 0, to: 60 * Time.nanosPerSecond)[0])
            ],
        ]
        // Every documented JSON response refers to a schema; a schema with properties has samples.
        for (path, item) in paths {
            guard case .object(let operations) = item else { continue }
            for (method, operation) in operations {
                guard case .object(let responses)? = operation["responses"] else { continue }
                for (status, response) in responses {
                    guard let schema = response["content"]?["application/json"]?["schema"] else { continue }
                    if case .string(let ref)? = schema["$ref"] {
                        let name = String(ref.split(separator: "/").last!)
                        #expect(schemas[name] != nil, "\(method) \(path) \(status): no schema \(name)")
                    } else {
                        #expect(schema["properties"] == nil, "\(method) \(path) \(status): an inline schema with properties")
                    }
                }
            }
        }
        let withProperties = Set(schemas.filter { $0.value["properties"] != nil }.keys)
        #expect(withProperties == Set(samples.keys))
        var checker = SchemaChecker(schemas: schemas)
        for (name, texts) in samples.sorted(by: { $0.key < $1.key }) {
            for text in texts {
                checker.check(try JSONParser.parse(text), against: .object(["$ref": .string("#/components/schemas/\(name)")]), at: name)
            }
        }
        for problem in checker.problems { Issue.record("\(problem)") }
        for (location, keys) in checker.listed where checker.written[location] != keys {
            Issue.record("\(location): listed \(keys.sorted()), written \((checker.written[location] ?? []).sorted())")
        }
    }

    /// The `features.dataset.ready` message keeps the shape of interfaces.md §2.
    @Test func theReadyMessageHasTheShapeOfTheInterface() throws {
        var job = DatasetRecord(
            id: "ds-1", owner: "a", symbol: "BTCUSDT", status: .ready, createdAt: 1, configJSON: "{}", registryVersion: "1")
        job.splits = [
            .init(name: "train", rows: 5, start: 10, end: 20, file: "train.parquet"),
            .init(name: "test", rows: 0, start: nil, end: nil, file: "t"),
        ]
        let ready = try JSONParser.parse(try JSONResponse.text(of: DatasetReadyMessage(job)))
        guard case .object(let members) = ready else { Issue.record("not an object"); return }
        #expect(Set(members.keys) == ["dataset_id", "status", "splits_info", "download_urls"])
        #expect(ready["status"] == .string("ready"))
        #expect(ready["splits_info"]?["test"]?["start"] == .null)
        #expect(ready["splits_info"]?["train"]?["rows"] == .number("5"))
        #expect(ready["download_urls"]?["train"] == .string("/dataset/ds-1/download?split=train"))
        (job.status, job.error) = (.failed, "boom")
        let failed = try JSONParser.parse(try JSONResponse.text(of: DatasetReadyMessage(job)))
        #expect(failed["status"] == .string("failed") && failed["error"] == .string("boom"))
    }
}

/// Checks JSON values against the OpenAPI document's schemas: object keys, required keys, value
/// types and nulls; collects, per schema location, the keys listed and the keys written.
struct SchemaChecker {
    let schemas: [String: JSONValue]
    var problems: [String] = []
    var listed: [String: Set<String>] = [:]
    var written: [String: Set<String>] = [:]

    init(schemas: [String: JSONValue]) { self.schemas = schemas }

    mutating func check(_ value: JSONValue, against schema: JSONValue, at location: String) {
        var schema = schema
        var location = location
        if case .string(let ref)? = schema["$ref"] {
            let name = String(ref.split(separator: "/").last!)
            guard let resolved = schemas[name] else { problems.append("\(location): no schema \(name)"); return }
            (schema, location) = (resolved, name)
        }
        if value == .null {
            if schema["nullable"] != .bool(true) { problems.append("\(location): null, but not nullable") }
            return
        }
        if case .string(let type)? = schema["type"], !Self.matches(value, type) {
            problems.append("\(location): \(value.typeName) where the schema says \(type)")
        }
        switch value {
        case .object(let members):
            if case .object(let properties)? = schema["properties"] {
                listed[location] = Set(properties.keys)
                written[location, default: []].formUnion(members.keys)
                if case .array(let required)? = schema["required"] {
                    for case .string(let key) in required where members[key] == nil {
                        problems.append("\(location): required '\(key)' missing")
                    }
                }
                for (key, member) in members {
                    guard let property = properties[key] else { problems.append("\(location): '\(key)' is not listed"); continue }
                    check(member, against: property, at: "\(location).\(key)")
                }
            } else if let additional = schema["additionalProperties"] {
                for member in members.values { check(member, against: additional, at: "\(location){}") }
            }
        case .array(let elements):
            if let items = schema["items"] { for element in elements { check(element, against: items, at: "\(location)[]") } }
        default:
            break
        }
    }

    static func matches(_ value: JSONValue, _ type: String) -> Bool {
        switch (value, type) {
        case (.object, "object"), (.array, "array"), (.string, "string"), (.bool, "boolean"), (.number, "number"): true
        case (.number(let text), "integer"): Int64(text) != nil
        default: false
        }
    }
}
