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
import Metadata
import Offline
import Quality
import ServiceRuntime
import ServiceTestSupport
import TestSupport
import Testing

/// `GET /data-quality/report`: live counters, their history in the metadata store, bad requests.
@Suite struct QualityAPITests {
    func sqliteStore() async throws -> MetadataStore {
        try await MetadataStore.open(url: nil, dataDirectory: scratchDirectory(), logger: Logger(label: "test"), now: 0)
    }

    func report(_ app: some ApplicationProtocol, _ query: String) async throws -> (HTTPResponse.Status, String) {
        try await app.test(.router) { client in
            try await client.execute(uri: "/data-quality/report?\(query)", method: .get, headers: key) { response in
                (response.status, String(buffer: response.body))
            }
        }
    }

    @Test func aReportOfTheSimulatedFeedIsTheSameBeforeAndAfterItIsStored() async throws {
        let metadata = try await sqliteStore()
        let (app, pipeline) = try await makeAPI(metadata: metadata)
        let now = Nanos(Date().timeIntervalSince1970 * 1e9)
        let range = "symbol=BTCUSDT&from=\(now - Time.nanosPerDay)&to=\(now + Time.nanosPerSecond)"
        let (status, live) = try await report(app, range)
        #expect(status == .ok)
        let body = try JSONParser.parse(live)
        let events = try #require(number(body["total_events"]), "\(live)")
        #expect(events > 0)
        #expect(number(body["sequence_gaps"]) == 0)
        // 10 s of data in a 24 h window.
        let coverage = try #require(number(body["coverage"]?["orderbook"]))
        #expect(coverage > 0 && coverage < 0.001)
        #expect(try #require(number(body["latency_skew_ms"]?["gateway_to_service"]?["p50"])) >= 0)

        // Hand every bucket to the store, as the service does each minute: same report.
        let taken = await pipeline.takeQualityBuckets(endedBy: .max)
        #expect(await pipeline.openQualityBuckets(symbol: "BTCUSDT").isEmpty)
        try await QualityHistory(metadata: metadata).add(taken, computedAt: 1)
        let (_, stored) = try await report(app, range)
        #expect(stored == live)
        let summaries = try await metadata.qualitySummaries(symbol: "BTCUSDT", from: 0, to: .max)
        #expect(summaries.count >= 1 && summaries.map(\.events).reduce(0, +) == Int(events))
    }

    /// `minutes=true` (the console's coverage strip): each minute with data, whose counts add up to
    /// the report's, and only over ranges of at most a day.
    @Test func minutesAddUpToTheReport() async throws {
        let (app, _) = try await makeAPI(metadata: try await sqliteStore())
        let now = Nanos(Date().timeIntervalSince1970 * 1e9)
        let range = "symbol=BTCUSDT&from=\(now - 3600 * Time.nanosPerSecond)&to=\(now + Time.nanosPerSecond)"
        let (status, text) = try await report(app, range + "&minutes=true")
        #expect(status == .ok, "\(text)")
        let body = try JSONParser.parse(text)
        guard case .array(let minutes)? = body["minutes"] else { Issue.record("no minutes: \(text)"); return }
        // 10 s of simulated data: one or two minutes.
        #expect((1...2).contains(minutes.count))
        #expect(minutes.compactMap { number($0["events"]) }.reduce(0, +) == number(body["total_events"]))
        let seconds = minutes.compactMap { number($0["orderbook"]) }.reduce(0, +) * 60
        let covered = try #require(number(body["coverage"]?["orderbook"])) * Double(3601)
        #expect(abs(seconds - covered) < 1e-6)
        #expect(minutes.allSatisfy { if case .string(let start)? = $0["start"] { start.hasSuffix(":00.000000000Z") } else { false } })
        let (plain, plainText) = try await report(app, range)
        #expect(plain == .ok && !plainText.contains("\"minutes\""))
        let (tooLong, _) = try await report(app, "symbol=BTCUSDT&from=\(now - 2 * Time.nanosPerDay)&to=\(now)&minutes=true")
        #expect(tooLong == .badRequest)
        let (bad, _) = try await report(app, range + "&minutes=yes")
        #expect(bad == .badRequest)
    }

    @Test func storingTheSameMinuteTwiceAddsUp() async throws {
        let metadata = try await sqliteStore()
        let history = QualityHistory(metadata: metadata)
        var bucket = QualityBucket(minute: 29_400_000)
        bucket.events[0] = 10
        bucket.bookSeconds = 0b1011
        try await history.add(["BTCUSDT": [bucket]], computedAt: 1)
        try await history.add(["BTCUSDT": [bucket]], computedAt: 2)
        let stored = try await history.stored(symbol: "BTCUSDT", from: 0, to: .max)
        #expect(stored.count == 1 && stored[0].events[0] == 20 && stored[0].bookSeconds == 0b1011)
        // An offline rebuild replaces the hour instead.
        try await history.replace(symbol: "BTCUSDT", buckets: [bucket], computedAt: 3)
        #expect(try await history.stored(symbol: "BTCUSDT", from: 0, to: .max)[0].events[0] == 10)
    }

    @Test func badRequestsAre4xxWithAReason() async throws {
        let (app, _) = try await makeAPI(metadata: try await sqliteStore())
        for (query, expected) in [
            ("", HTTPResponse.Status.badRequest), ("symbol=BTCUSDT&from=yesterday", .badRequest),
            ("symbol=BTCUSDT&from=2026-11-25T00:00:00Z&to=2026-11-24T00:00:00Z", .badRequest),
            ("symbol=BTCUSDT&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", .badRequest),
            ("symbol=NOPEUSDT", .notFound),
        ] {
            let (status, body) = try await report(app, query)
            #expect(status == expected, "\(query): \(body)")
            #expect(body.contains("\"message\""))
        }
        // Explicit ns bounds are accepted; a quiet range of a live symbol is all missing.
        let (status, body) = try await report(app, "symbol=BTCUSDT&from=1764028800000000000&to=1764028860000000000")
        #expect(status == .ok)
        #expect(number(try JSONParser.parse(body)["missing_rate"]) == 1)
    }

    @Test func aMetadataOutageIs503() async throws {
        let metadata = try await sqliteStore()
        let (app, _) = try await makeAPI(metadata: metadata)
        await metadata.close()
        let (status, body) = try await report(app, "symbol=BTCUSDT")
        #expect(status == .serviceUnavailable, "\(body)")
    }
}
