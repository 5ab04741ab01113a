import API
import FeatureServer
import Foundation
import Hummingbird
import Live
import Logging
import MarketData
import NIOCore
import Offline
import ServiceRuntime
import Synchronization
import Testing

@Suite struct ResyncTests {
    /// A gap desyncs the book; the resync loop fetches the exchange's REST snapshot (a local
    /// HTTP server speaking Bybit's shape), the book is restored, and the time from detection
    /// to restore is measured.
    @Test func aDesyncedBookIsRestoredFromTheRESTSnapshot() async throws {
        let router = Router()
        router.get("/v5/market/orderbook") { request, _ -> Response in
            let symbol = request.uri.queryParameters["symbol"].map(String.init) ?? "?"
            let body =
                #"{"retCode":0,"retMsg":"OK","result":{"s":"\#(symbol)","b":[["99.5","#
                + #""3"],["99.4","1"]],"a":[["100.5","2"]],"ts":1764000000000,"u":5000,"#
                + #""seq":77},"time":1764000000001}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        let port = Mutex<Int?>(nil)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } })
        let server = Task { try await app.runService(gracefulShutdownSignals: []) }
        defer { server.cancel() }
        var bound: Int?
        for _ in 0..<100 {
            bound = port.withLock { $0 }
            if bound != nil { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let serverPort = try #require(bound)

        let pipeline = try LivePipeline(configuration: .init(registry: .bundledDefault), store: nil)
        let now = Nanos(Date().timeIntervalSince1970 * 1e9)
        let snapshot = #"{"event_type":"orderbook","payload":{"s":"BTCUSDT","type":"snapshot","u":10,"b":[["99","1"]],"a":[["101","1"]]}}"#
        let gap = #"{"event_type":"orderbook","payload":{"s":"BTCUSDT","type":"delta","u":12,"b":[["99","2"]],"a":[]}}"#
        await pipeline.ingest(Array(snapshot.utf8), receivedAt: now)
        await pipeline.ingest(Array(gap.utf8), receivedAt: now + 1_000)
        #expect(await pipeline.latest(symbol: "BTCUSDT", now: now + 2_000)?.values[0] == nil)  // mid null while out of sync
        let resync = Task {
            await Resync.run(
                pipeline: pipeline, source: BybitRESTSnapshotSource(baseURL: "http://127.0.0.1:\(serverPort)"),
                logger: Logger(label: "test"),
                clock: SystemClock())
        }
        defer { resync.cancel() }
        var mid: Double?
        for _ in 0..<100 {
            mid = await pipeline.latest(symbol: "BTCUSDT", now: Nanos(Date().timeIntervalSince1970 * 1e9))?.values[0] ?? nil
            if mid != nil { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(mid == (99.5 + 100.5) / 2)
        let durations = await pipeline.resyncDurations
        #expect(durations.count == 1)
        #expect(durations.allSatisfy { $0 > 0 && $0 < 5 * Time.nanosPerSecond })
    }
}
