import FeatureEngine
import FeatureServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Live
import MarketData
import ServiceRuntime
import ServiceTestSupport
import TestSupport
import Testing

@testable import API

/// What the web console reads besides the existing routes: the top of the book, the live stream's
/// frames, validation of a pasted registry, dataset problems with their field, and the console's
/// own files.
@Suite struct ConsoleAPITests {
    @Test func theBookAgreesWithTheBookFeaturesOfTheSameState() async throws {
        let (app, _) = try await makeAPI()
        try await app.test(.router) { client in
            let book = try await client.execute(uri: "/features/book?symbol=BTCUSDT&levels=5", method: .get, headers: key) {
                #expect($0.status == .ok)
                return try json($0)
            }
            let latest = try await client.execute(uri: "/features/latest?symbol=BTCUSDT", method: .get, headers: key) { try json($0) }
            #expect(book["in_sync"] == .bool(true))
            #expect(book["state"] == .string("synced"))
            guard case .array(let bids)? = book["bids"], case .array(let asks)? = book["asks"] else {
                Issue.record("no levels"); return
            }
            #expect(bids.count == 5 && asks.count == 5)
            let bidPrices = bids.compactMap { number($0["price"]) }
            let askPrices = asks.compactMap { number($0["price"]) }
            #expect(bidPrices == bidPrices.sorted(by: >), "bids best first")
            #expect(askPrices == askPrices.sorted(), "asks best first")
            #expect(bidPrices[0] < askPrices[0])
            // No event arrived between the two reads: the book is the one the features were computed from.
            #expect(number(book["mid"]) == number(latest["features"]?["mid_price"]))
            #expect(number(book["spread"]) == number(latest["features"]?["spread_abs"]))
            #expect(number(book["best_bid"]) == bidPrices[0] && number(book["best_ask"]) == askPrices[0])
            let depth = bids.compactMap { number($0["size"]) }.reduce(0, +)
            let feature = try #require(number(latest["features"]?["depth_bid_top5"]))
            #expect(abs(depth - feature) <= 1e-9 * feature)
        }
    }

    @Test func anOutOfSyncBookSaysWhyAndHasNoMid() async throws {
        let (app, pipeline) = try await makeAPI()
        let now = Nanos(Date().timeIntervalSince1970 * 1e9)
        let levels = [PriceLevel(price: 100, size: 1)]
        let snapshot = BookUpdate(isSnapshot: true, updateId: 10, bids: levels, asks: [PriceLevel(price: 101, size: 2)])
        let gap = BookUpdate(isSnapshot: false, updateId: 12, bids: [PriceLevel(price: 99, size: 1)], asks: [])
        _ = await pipeline.ingest(
            events: [UnstampedEvent(symbol: "GAPUSDT", body: .book(snapshot)), UnstampedEvent(symbol: "GAPUSDT", body: .book(gap))],
            receivedAt: now)
        try await app.test(.router) { client in
            try await client.execute(uri: "/features/book?symbol=GAPUSDT", method: .get, headers: key) { response in
                #expect(response.status == .ok)
                let book = try json(response)
                #expect(book["in_sync"] == .bool(false))
                #expect(book["state"] == .string("sequence_gap"))
                #expect(book["mid"] == .null && book["spread"] == .null && book["best_bid"] == .null)
                // The levels the book last held are still shown.
                guard case .array(let bids)? = book["bids"] else { Issue.record("no bids"); return }
                #expect(number(bids.first?["price"]) == 100)
                #expect(number(book["last_update_id"]) == 10)
            }
        }
    }

    @Test func bookAndStreamRefuseBadQueriesAndUnknownSymbols() async throws {
        let (app, _) = try await makeAPI()
        try await app.test(.router) { client in
            for uri in [
                "/features/book", "/features/book?symbol=btc", "/features/book?symbol=BTCUSDT&levels=0",
                "/features/book?symbol=BTCUSDT&levels=51", "/features/stream", "/features/stream?symbol=BTCUSDT&levels=x",
            ] {
                try await client.execute(uri: uri, method: .get, headers: key) { #expect($0.status == .badRequest, "\(uri)") }
            }
            for uri in ["/features/book?symbol=NOPEUSDT", "/features/stream?symbol=NOPEUSDT"] {
                try await client.execute(uri: uri, method: .get, headers: key) { response in
                    #expect(response.status == .notFound, "\(uri)")
                    #expect(String(buffer: response.body).contains("BTCUSDT"), "names the known symbols")
                }
            }
            // EventSource sends no headers: the key in the query is what it uses.
            try await client.execute(uri: "/features/stream?symbol=NOPEUSDT", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/features/stream?symbol=NOPEUSDT&api_key=secret-key", method: .get) {
                #expect($0.status == .notFound)
            }
        }
    }

    @Test func streamsOverTheLimitAreRefusedWith503() async throws {
        let (app, _) = try await makeAPI(streams: StreamLimiter(limit: 0))
        try await app.test(.router) { client in
            try await client.execute(uri: "/features/stream?symbol=BTCUSDT", method: .get, headers: key) { response in
                #expect(response.status == .serviceUnavailable)
                let body = try json(response)
                #expect(body["error"]?["code"] == .string("too_many_streams"))
            }
        }
    }

    @Test func aStreamFrameIsTheLatestVectorThenTheBookOfTheSameInstant() async throws {
        let (_, pipeline) = try await makeAPI()
        let clock = ManualClock(start: Nanos(Date().timeIntervalSince1970 * 1e9))
        let context = APIContext(live: pipeline, clock: clock, store: nil, registryPath: nil, startedAt: clock.now())
        let frame = try #require(try await LiveStream.frame(context, symbol: "BTCUSDT", levels: 3))
        let events = frame.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.count == 2)
        #expect(events[0].hasPrefix("event: vector\ndata: {") && events[1].hasPrefix("event: book\ndata: {"))
        let vector = try JSONParser.parse(String(events[0].dropFirst("event: vector\ndata: ".count)))
        let book = try JSONParser.parse(String(events[1].dropFirst("event: book\ndata: ".count)))
        #expect(vector["ts_ns"] == .number(String(clock.now())))
        #expect(book["ts_ns"] == .number(String(clock.now())))
        #expect(number(book["mid"]) == number(vector["features"]?["mid_price"]))
        guard case .array(let bids)? = book["bids"] else { Issue.record("no bids"); return }
        #expect(bids.count == 3)
        #expect(try await LiveStream.frame(context, symbol: "NOPEUSDT", levels: 3) == nil)
    }

    @Test func aPastedRegistryIsValidatedWithEveryProblemAndNothingApplied() async throws {
        let (app, pipeline) = try await makeAPI()
        let before = await pipeline.registry().contentHash
        let bad = """
            version: "9"
            features:
              - {name: a, kind: no_such_kind}
              - {name: b, kind: vwap, window: 3x, lookahead_forbidden: true, sources: [trade]}
              - {name: b, kind: mid_price, sources: [orderbook]}
            """
        try await app.test(.router) { client in
            try await client.execute(uri: "/feature-registry/validate", method: .post, headers: key, body: ByteBuffer(string: bad)) {
                #expect($0.status == .unprocessableContent)
                let body = try json($0)
                #expect(body["error"]?["code"] == .string("invalid_registry"))
                guard case .array(let problems)? = body["error"]?["problems"] else { Issue.record("no problems"); return }
                #expect(problems.count >= 3, "unknown kind, bad window, duplicate name")
                let paths = problems.compactMap { problem -> String? in
                    if case .string(let path)? = problem["path"] { return path } else { return nil }
                }
                #expect(paths.count == problems.count && paths.allSatisfy { !$0.isEmpty }, "\(paths)")
            }
            let good = FeatureRegistry.bundledDefaultText.replacingOccurrences(of: "version: \"1.0.0\"", with: "version: \"1.0.1\"")
            try await client.execute(uri: "/feature-registry/validate", method: .post, headers: key, body: ByteBuffer(string: good)) {
                #expect($0.status == .ok)
                let body = try json($0)
                #expect(body["valid"] == .bool(true))
            }
            try await client.execute(uri: "/feature-registry/validate", method: .post, headers: key) { #expect($0.status == .badRequest) }
        }
        #expect(await pipeline.registry().contentHash == before, "validating applies nothing")
    }

    @Test func datasetProblemsNameTheirField() {
        for (text, path, message) in [
            ("splits.periods.train[0]: missing timestamp", "splits.periods.train[0]", "missing timestamp"),
            ("symbol: invalid 'x'", "symbol", "invalid 'x'"),
            ("not valid JSON: unexpected end", "", "not valid JSON: unexpected end"),
            ("expected a JSON object", "", "expected a JSON object"),
        ] {
            let split = problem(text)
            #expect(split.path == path && split.message == message, "\(text)")
        }
    }

    @Test func consoleFileNamesCannotLeaveTheFolder() {
        #expect(ConsoleFiles.contentType(of: "app.js") == "text/javascript; charset=utf-8")
        #expect(ConsoleFiles.contentType(of: "index.html") == "text/html; charset=utf-8")
        #expect(ConsoleFiles.contentType(of: "style.css") == "text/css; charset=utf-8")
        for name in ["..", "../etc/passwd", ".env", "a/b.js", "a\\b.js", "passwd", "x.exe", "%2e%2e", "", "app.js\u{0}.png"] {
            #expect(ConsoleFiles.contentType(of: name) == nil, "\(name)")
        }
    }

    @Test func theConsolePortServesItsFilesPubliclyAndTheAPIWithTheKey() async throws {
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "<!doctype html><title>console</title>".write(toFile: "\(directory)/index.html", atomically: true, encoding: .utf8)
        try "export const x = 1;".write(toFile: "\(directory)/app.js", atomically: true, encoding: .utf8)
        let secret = directory + "-secret.txt"
        try "secret".write(toFile: secret, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: secret) }
        let (app, _) = try await makeAPI(console: ConsoleFiles(directory: directory))
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
                #expect(String(buffer: response.body).contains("<title>console</title>"))
            }
            try await client.execute(uri: "/console/app.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
            }
            let escapes = [
                "/console/..%2F\((secret as NSString).lastPathComponent)", "/console/%2E%2E%2Fetc%2Fpasswd", "/console/../etc/passwd",
                "/console/missing.js", "/console/index", "/console/a/b.js",
            ]
            for uri in escapes {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .notFound || response.status == .unauthorized, "\(uri)")
                    #expect(!String(buffer: response.body).contains("secret"), "\(uri)")
                }
            }
            // The API on the console's port keeps its key.
            try await client.execute(uri: "/features/latest?symbol=BTCUSDT", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/features/latest?symbol=BTCUSDT", method: .get, headers: key) { #expect($0.status == .ok) }
        }
    }

    @Test func theConsoleFolderIsFoundFromTheEnvironmentOrTheSourceTree() {
        #expect(ConsoleFiles.locate(environment: ["FEATURE_SERVICE_CONSOLE_DIR": "/opt/console"]) == "/opt/console")
        let found = ConsoleFiles.locate(environment: [:], executable: "/nonexistent/bin/feature-service", workingDirectory: "/nonexistent")
        #expect(found == packageRoot.appendingPathComponent("Console").standardized.path)
        #expect(FileManager.default.fileExists(atPath: "\(found ?? "")/index.html"))
    }
}
