// Fixtures shared by the service's test targets: simulated markets, recordings, hostile inputs,
// paths of the real recorded data beside the clone, and the HTTP helpers of the API tests.
public import API
import FeatureServer
public import Foundation
public import HTTPTypes
public import Hummingbird
public import HummingbirdTesting
public import Live
public import MarketData
public import Metadata
import Offline
import RawStore
import ServiceRuntime
import TestSupport

/// A simulated market as gateway envelopes with their arrival times.
public func simulatedEnvelopes(count: Int, seed: UInt64 = 1, start: Nanos = 1_767_225_600_000_000_000) -> [(Nanos, String)] {
    var simulator = MarketSimulator(seed: seed, start: start, eventsPerSecond: 50, depth: 20)
    return (0..<count).map { index in
        let (time, event) = simulator.nextEvent()
        var stamped = event
        stamped.gatewayTs = time
        stamped.traceId = "sim-\(index)"
        return (time, GatewayEnvelope.encode(stamped, eventId: "e\(index)"))
    }
}

/// Real recorded data lives beside the clone in `../shared/data` (third-party: never copied here).
public let sharedData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/data")
    .standardized
public let bybitEnvelopes = sharedData.appendingPathComponent("bybit/2024-12-01_XRPUSDT_ob500.envelopes.jsonl").path

public func temporaryFile(_ name: String, contents: String? = nil) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fs-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent(name).path
    if let contents { try contents.write(toFile: path, atomically: true, encoding: .utf8) }
    return path
}

public let executable = packageRoot.appendingPathComponent(".build/debug/feature-service").path

/// A recording with explicit recv_ts, as `import` reads it.
public func writeRecording(events count: Int, seed: UInt64) throws -> (path: String, events: [MarketEvent]) {
    var simulator = MarketSimulator(seed: seed, start: 1_767_225_600_000_000_000, eventsPerSecond: 100, depth: 10)
    var stamper = Stamper()
    var events: [MarketEvent] = []
    var text = ""
    for index in 0..<count {
        let (time, event) = simulator.nextEvent()
        var sent = event
        sent.exchTsMs = time / 1_000_000
        let stamped = stamper.stamp(sent, at: time)
        events.append(stamped)
        text += GatewayEnvelope.encode(stamped, eventId: "e\(index)", includeRecvTs: true) + "\n"
    }
    let path = scratchDirectory() + "/recording.jsonl"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return (path, events)
}

public func storedEvents(_ root: String) throws -> [MarketEvent] {
    let store = try RawStore(root: root, format: ParquetFormat())
    var all: [MarketEvent] = []
    for symbol in try store.layout.symbols() {
        var replay = try store.replay(symbol: symbol, from: .min, to: .max)
        while let event = try replay.next() { all.append(event) }
    }
    return all
}

/// Inputs that once trapped the process or cost without bound (issue 16): each is answered
/// with a 4xx or dead-lettered, and good input around it is stored and featured.
public enum Hostile {
    public static let now = Nanos(Date().timeIntervalSince1970 * 1e9)
    public static let isoNow = String(Time.formatISO8601(now).prefix(26))

    public static func trade(_ symbol: String, time: String, id: String) -> String {
        #"{"event_type":"trade","topic":"publicTrade.\#(symbol)","timestamp":"\#(isoNow)","#
            + #""received_at":"\#(isoNow)","trace_id":"t-\#(id)","#
            + #""payload":[{"T":\#(time),"s":"\#(symbol)","S":"Buy","v":"0.5","p":"100.5","i":"\#(id)"}]}"#
    }

    /// Every gateway message that trapped `serve` before, with the field that must be named.
    public static let poison: [(body: String, field: String)] = [
        (trade("BTCUSDT", time: "99999999999999", id: "p1"), "payload[0].T"),
        (trade("BTCUSDT", time: "9223372036854775807", id: "p2"), "payload[0].T"),
        (trade("BTCUSDT", time: "-9223372036854775808", id: "p3"), "payload[0].T"),
        (
            #"{"event_type":"kline","topic":"kline.1.BTCUSDT","payload":{"start":1764064800000,"end":1764064859999,"interval":"1","#
                + #""open":"1","high":"1","low":"1","close":"1","volume":"1","turnover":"1","timestamp":9223372036854775807}}"#,
            "payload.timestamp"
        ),
        (
            #"{"event_type":"position","payload":{"symbol":"BTCUSDT","side":"Buy","size":"1","avgPrice":"100","#
                + #""updatedTime":"9223372036854775807"}}"#, "payload.updatedTime"
        ),
        (
            #"{"event_type":"trade","timestamp":"1700-01-01T00:00:00","payload":{"T":1764064800000,"#
                + #""s":"BTCUSDT","S":"Buy","v":"1","p":"1","i":"x"}}"#,
            "timestamp"
        ),
    ]
}

/// An API over a pipeline fed with a few seconds of simulated market.
public func makeAPI(
    registryPath: String? = nil, metadata: MetadataStore? = nil, console: ConsoleFiles? = nil,
    streams: StreamLimiter = StreamLimiter(limit: 32)
) async throws -> (Application<RouterResponder<ServiceRequestContext>>, LivePipeline) {
    let metrics = ServiceMetrics()
    let pipeline = try LivePipeline(
        configuration: .init(registry: .bundledDefault), store: nil, metrics: LiveMetrics(registry: metrics.registry))
    let now = Nanos(Date().timeIntervalSince1970 * 1e9)
    for (offset, (_, body)) in simulatedEnvelopes(count: 600, start: now - 10 * Time.nanosPerSecond).enumerated() {
        await pipeline.ingest(Array(body.utf8), receivedAt: now - 10 * Time.nanosPerSecond + Nanos(offset) * 10_000_000)
    }
    let context = APIContext(
        live: pipeline, clock: SystemClock(), store: nil, registryPath: registryPath,
        metrics: FeatureService.exposition(of: pipeline, in: metrics),
        startedAt: now, metadata: metadata, instance: "test-node", streams: streams)
    let app = Application(router: APIRoutes.router(context, apiKeys: ["secret-key"], console: console))
    return (app, pipeline)
}

public let key: HTTPFields = [HTTPField.Name("X-API-Key")!: "secret-key"]

public func json(_ response: TestResponse) throws -> JSONValue { try JSONParser.parse(String(buffer: response.body)) }

public func number(_ value: JSONValue?) -> Double? {
    guard case .number(let text)? = value else { return nil }
    return Double(text)
}

public func storedStream(start: Nanos = 1_764_028_800_000_000_000, count: Int = 400) -> [MarketEvent] {
    var stamper = Stamper()
    var events: [MarketEvent] = []
    for i in 0..<count {
        let symbol = i % 3 == 0 ? "ETHUSDT" : "BTCUSDT"
        var template = sampleEvents[i % sampleEvents.count]
        template.symbol = symbol
        let unstamped = UnstampedEvent(
            symbol: symbol, exchTsMs: template.exchTsMs, gatewayTs: template.gatewayTs,
            traceId: template.traceId, body: template.body)
        // Several events share an instant now and then.
        events.append(stamper.stamp(unstamped, at: start + Nanos(i / 2) * 25_000_000))
    }
    return events
}

/// One event of every type, with optional fields set and unset.
public let sampleEvents: [MarketEvent] = {
    let bodies: [EventBody] = [
        .book(BookUpdate(isSnapshot: true, updateId: 1, crossSeq: 7, depth: 50, bids: [PriceLevel(price: 1.5, size: 2)], asks: [])),
        .book(BookUpdate(isSnapshot: false, updateId: 2, bids: [], asks: [PriceLevel(price: 1.6, size: 0)])),
        .trade(
            Trade(price: 100.25, size: 0.001, side: .sell, tradeId: "t-1", tradeTimeMs: 5, isBlockTrade: true, tickDirection: "MinusTick")),
        .kline(
            Kline(interval: "1", startMs: 0, endMs: 59_999, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3, turnover: 4, confirm: true)),
        .ticker(TickerUpdate(markPrice: 101, fundingRate: -0.0001, nextFundingTimeMs: 99)),
        .funding(FundingUpdate(fundingRate: 0.0002, fundingRateTimestampMs: 3)),
        .position(PositionUpdate(size: -1.5, entryPrice: 99.5, source: .positionManager, updatedTimeMs: 8)),
        .execution(Execution(orderId: "o-1", executionId: nil, side: .buy, price: 10, quantity: nil, status: "Filled", timeMs: 9)),
    ]
    return bodies.enumerated().map { index, body in
        MarketEvent(
            symbol: "BTCUSDT", recvTs: 1_000 + Int64(index), seq: Int64(index + 1), exchTsMs: index % 2 == 0 ? 12 : nil,
            gatewayTs: index % 3 == 0 ? 999 : nil, traceId: index % 2 == 1 ? "trace-\(index)" : nil, body: body)
    }
}()
