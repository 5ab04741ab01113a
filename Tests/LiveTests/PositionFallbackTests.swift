import API
import FeatureEngine
import FeatureServer
import Foundation
import HTTPTypes
import Hummingbird
import Live
import MarketData
import NIOConcurrencyHelpers
import Offline
import ServiceRuntime
import ServiceTestSupport
import Testing

/// The position manager's REST fallback against a real HTTP server on loopback.
@Suite struct PositionFallbackTests {
    /// A stand-in position manager: answers from `positions`, 404 for others, 401 without the key.
    final class Manager: Sendable {
        let positions = NIOLockedValueBox<[String: String]>([:])
        let requests = NIOLockedValueBox<[String]>([])

        func run(_ body: @escaping @Sendable (Int) async throws -> Void) async throws {
            let router = Router()
            router.get("/api/v1/positions/:asset") { request, context -> Response in
                let asset = context.parameters.get("asset") ?? ""
                self.requests.withLockedValue { $0.append(asset) }
                guard request.headers[HTTPField.Name("X-API-Key")!] == "pm-key" else { return Response(status: .unauthorized) }
                guard let json = self.positions.withLockedValue({ $0[asset] }) else { return Response(status: .notFound) }
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
            }
            let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
            let app = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.runService() }
                var ports = stream.makeAsyncIterator()
                let port = await ports.next()!
                try await body(port)
                group.cancelAll()
            }
        }
    }

    @Test func answersBecomePositionsAndA404IsFlat() async throws {
        let manager = Manager()
        manager.positions.withLockedValue {
            $0["BTCUSDT"] = #"{"asset":"BTCUSDT","size":"0.5","average_entry_price":"95000","current_price":96000,"unrealized_pnl":500}"#
        }
        try await manager.run { port in
            let client = PositionManagerClient(baseURL: "http://127.0.0.1:\(port)/", apiKey: "pm-key")
            let btc = try await client.position(symbol: "BTCUSDT")
            #expect(
                btc == PositionUpdate(size: 0.5, entryPrice: 95_000, markPrice: 96_000, unrealizedPnl: 500, source: .positionManagerREST))
            #expect(try await client.position(symbol: "ETHUSDT") == PositionUpdate(size: 0, source: .positionManagerREST))
            // A wrong key is an error, not a flat position.
            await #expect(throws: PositionManagerClient.LookupError.self) {
                try await PositionManagerClient(baseURL: "http://127.0.0.1:\(port)", apiKey: "wrong").position(symbol: "BTCUSDT")
            }
        }
        // Nobody listening: an error too.
        await #expect(throws: (any Error).self) {
            try await PositionManagerClient(baseURL: "http://127.0.0.1:1", apiKey: nil, timeout: 1).position(symbol: "BTCUSDT")
        }
    }

    @Test func theFallbackFeedsChangedAnswersIntoTheEngineAndAsksAtMostEvery30s() async throws {
        let manager = Manager()
        manager.positions.withLockedValue { $0["BTCUSDT"] = #"{"asset":"BTCUSDT","size":-2,"average_entry_price":96500}"# }
        let registry = try FeatureRegistry.parse(
            """
            version: "t"
            features:
              - {name: size, kind: position_size}
              - {name: entry, kind: entry_price}
            """)
        let pipeline = try LivePipeline(configuration: .init(registry: registry), store: nil)
        let start = Nanos(Date().timeIntervalSince1970 * 1e9)
        let trade = #"{"event_type":"trade","payload":{"s":"BTCUSDT","S":"Buy","v":"1","p":"96000","i":"t1"}}"#
        await pipeline.ingest(Array(trade.utf8), receivedAt: start)
        let clock = ManualClock(start: start)
        try await manager.run { port in
            let client = PositionManagerClient(baseURL: "http://127.0.0.1:\(port)", apiKey: "pm-key")
            let task = Task {
                await PositionFallback().run(
                    pipeline: pipeline, lookup: client, logger: .init(label: "test"), interval: .milliseconds(20),
                    clock: clock)
            }
            for _ in 0..<200 where await pipeline.lastPosition(symbol: "BTCUSDT") == nil { try await Task.sleep(for: .milliseconds(10)) }
            let vector = try #require(await pipeline.latest(symbol: "BTCUSDT", now: start + 1))
            #expect(vector.values == [-2, 96_500])
            #expect(await pipeline.lastPosition(symbol: "BTCUSDT")?.position.source == .positionManagerREST)
            // Within 30 s nothing is asked again, however often the loop runs.
            try await Task.sleep(for: .milliseconds(200))
            #expect(manager.requests.withLockedValue { $0 } == ["BTCUSDT"])
            // 30 s later (by the clock given), asked again: the position closed (404) and is stored as flat.
            manager.positions.withLockedValue { $0 = [:] }
            clock.set(start + 31 * Time.nanosPerSecond)
            for _ in 0..<200 where await pipeline.lastPosition(symbol: "BTCUSDT")?.position.size != 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(manager.requests.withLockedValue { $0 } == ["BTCUSDT", "BTCUSDT"])
            #expect(await pipeline.latest(symbol: "BTCUSDT", now: start + 32 * Time.nanosPerSecond)?.values.first == 0)
            task.cancel()
            await task.value
        }
    }

    @Test func dueAndChangeRules() {
        let fallback = PositionFallback()
        let s = Time.nanosPerSecond
        #expect(fallback.due(symbols: ["A", "B", "C"], lastEvent: ["B": 100 * s], lastLookup: ["C": 95 * s], now: 120 * s) == ["A"])
        #expect(
            fallback.due(symbols: ["A", "B", "C"], lastEvent: ["B": 100 * s], lastLookup: ["C": 95 * s], now: 130 * s) == ["A", "B", "C"])
        let flat = PositionUpdate(size: 0, source: .positionManagerREST)
        #expect(!fallback.changes(flat, last: nil))
        #expect(fallback.changes(PositionUpdate(size: 1, source: .positionManagerREST), last: nil))
        #expect(
            !fallback.changes(
                PositionUpdate(size: 1, entryPrice: 5, source: .positionManagerREST),
                last: PositionUpdate(size: 1, entryPrice: 5, source: .exchange)))
        #expect(
            fallback.changes(
                PositionUpdate(size: 1, entryPrice: 6, source: .positionManagerREST),
                last: PositionUpdate(size: 1, entryPrice: 5, source: .exchange)))
    }
}
