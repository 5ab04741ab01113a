import Foundation
import Live
import Logging
import MarketData
import Offline
import ServiceRuntime
import Synchronization

/// Market data sources that need no broker.
enum Feeds {
    /// The built-in simulated market, in real time: a seeded generator of gateway envelopes
    /// (book snapshot then deltas with continuous ids, trades, tickers with funding, klines).
    static func simulate(into pipeline: LivePipeline, symbols: Set<String>?, clock: any WallClock, logger: Logger) async throws {
        let start = clock.now()
        let chosen = MarketSimulator.defaultSymbols.filter { symbols?.contains($0.0) ?? true }
        guard !chosen.isEmpty else {
            logger.warning("simulated feed: none of its symbols (BTCUSDT, ETHUSDT, SOLUSDT) is owned by this instance")
            return
        }
        var simulator = MarketSimulator(
            seed: UInt64(truncatingIfNeeded: start), symbols: chosen, start: start, eventsPerSecond: 20, depth: 50)
        logger.info("simulated feed started", metadata: ["symbols": .string(chosen.map(\.0).joined(separator: ","))])
        var count = 0
        while !Task.isCancelled {
            let (time, event) = simulator.nextEvent()
            let wait = time - clock.now()
            if wait > 0 { try await Task.sleep(for: .nanoseconds(wait)) }
            var sent = event
            let now = clock.now()
            sent.gatewayTs = now
            sent.exchTsMs = now / Time.nanosPerMilli
            count += 1
            sent.traceId = "sim-\(count)"
            let body = GatewayEnvelope.encode(sent, eventId: "sim-\(count)")
            await pipeline.ingest(Array(body.utf8), receivedAt: clock.now())
        }
    }

    /// A recording played at `speed` times its recorded pace (0: as fast as possible).
    static func replay(path: String, speed: Double, into pipeline: LivePipeline, clock: any WallClock, logger: Logger) async throws {
        let reader = try BlockingLineReader(path: path)
        var first: (recorded: Nanos, wall: Nanos)?
        var lines = 0
        var malformed = 0
        while let batch = try await reader.next() {
            for line in batch {
                lines += 1
                if line.isEmpty { continue }
                let recorded = (try? EnvelopeDecoder.decode(line)).flatMap { $0.recordedRecvTs ?? $0.events.first?.gatewayTs }
                if speed > 0, let recorded {
                    if let first {
                        let due = first.wall + Nanos(Double(recorded - first.recorded) / speed)
                        let wait = due - clock.now()
                        if wait > 0 { try await Task.sleep(for: .nanoseconds(wait)) }
                    } else {
                        first = (recorded, clock.now())
                    }
                }
                if case .malformed = await pipeline.ingest(line, receivedAt: clock.now()) { malformed += 1 }
            }
        }
        logger.notice(
            "replay finished",
            metadata: ["file": .string(path), "lines": .stringConvertible(lines), "malformed": .stringConvertible(malformed)])
    }
}

/// A file's lines read on NIO's blocking pool, a batch at a time: the replay feed never blocks a
/// cooperative thread on the disk (or on a pipe, with `-`).
private final class BlockingLineReader: Sendable {
    private let reader: Mutex<LineReader>

    init(path: String) throws { reader = Mutex(try LineReader(path: path)) }

    /// Up to `maximum` lines (or up to about 1 MiB of them); nil at the end of the file.
    func next(maximum: Int = 4096) async throws -> [ArraySlice<UInt8>]? {
        try await Blocking.run {
            self.reader.withLock { reader in
                var lines: [ArraySlice<UInt8>] = []
                var bytes = 0
                while lines.count < maximum, bytes < 1 << 20, let line = reader.next() {
                    lines.append(line)
                    bytes += line.count
                }
                return lines.isEmpty ? nil : lines
            }
        }
    }
}
