import Foundation
public import Logging
public import MarketData
public import ServiceRuntime

/// Where the position of a symbol can be asked for when no position event arrives (a seam:
/// the position manager's REST API in production).
public protocol PositionLookup: Sendable {
    /// The current position; a flat position (size 0) when there is none.
    func position(symbol: String) async throws -> PositionUpdate
}

/// The position manager's REST fallback (interfaces.md §6):
/// `GET {base}/api/v1/positions/{asset}` with header `X-API-Key`; 404 means no position.
public struct PositionManagerClient: PositionLookup {
    public var baseURL: String
    public var apiKey: String?
    /// Seconds.
    public var timeout: Double

    public init(baseURL: String, apiKey: String?, timeout: Double = 2) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.timeout = timeout
    }

    public struct LookupError: Error, CustomStringConvertible {
        public var description: String
    }

    public func position(symbol: String) async throws -> PositionUpdate {
        guard let url = URL(string: "\(baseURL)/api/v1/positions/\(symbol)") else {
            throw LookupError(description: "bad position manager URL '\(baseURL)'")
        }
        let (status, body) = try await HTTPGet.fetch(
            url.absoluteString, headers: apiKey.map { [("X-API-Key", $0)] } ?? [],
            timeout: .seconds(timeout))
        if status == 404 { return PositionUpdate(size: 0, source: .positionManagerREST) }
        guard status == 200 else { throw LookupError(description: "position manager answered \(status) for \(symbol)") }
        let root: JSONValue
        do { root = try JSONParser.parse(bytes: body) } catch {
            throw LookupError(description: "position manager answer for \(symbol) is not JSON: \(error)")
        }
        func number(_ key: String) -> Double? {
            switch root[key] {
            case .number(let text)?, .string(let text)?: Double(text)
            default: nil
            }
        }
        guard let size = number("size"), size.isFinite else {
            throw LookupError(description: "position manager answer for \(symbol) has no numeric 'size'")
        }
        return PositionUpdate(
            size: size, entryPrice: size == 0 ? nil : number("average_entry_price"), markPrice: number("current_price"),
            unrealizedPnl: number("unrealized_pnl"), source: .positionManagerREST)
    }
}

/// Asks the position manager for symbols whose position has not been heard of for `maxAge`
/// (30 s by default: answers are never used older than that), and feeds changed answers into
/// the pipeline as position events, so they are stored and the offline engine sees them too.
public struct PositionFallback: Sendable {
    public var maxAge: Nanos = 30 * Time.nanosPerSecond

    public init() {}

    /// Symbols due for a lookup at `now`: no position event (of any source) and no lookup
    /// within `maxAge`.
    public func due(symbols: [String], lastEvent: [String: Nanos], lastLookup: [String: Nanos], now: Nanos) -> [String] {
        symbols.filter { symbol in
            let heard = max(lastEvent[symbol] ?? .min, lastLookup[symbol] ?? .min)
            return heard == .min || now - heard >= maxAge
        }
    }

    /// True when an answer changes what the engine knows (so it is worth storing).
    public func changes(_ answer: PositionUpdate, last: PositionUpdate?) -> Bool {
        guard let last else { return answer.size != 0 }
        return answer.size != last.size || (answer.size != 0 && answer.entryPrice != nil && answer.entryPrice != last.entryPrice)
    }

    /// Runs until cancelled, checking every `interval`.
    public func run(
        pipeline: LivePipeline, lookup: any PositionLookup, logger: Logger, interval: Duration = .seconds(5),
        clock: any WallClock
    ) async {
        var lastLookup: [String: Nanos] = [:]
        var failing: Set<String> = []
        while !Task.isCancelled {
            let now = clock.now()
            let symbols = await pipeline.symbols
            var lastEvent: [String: Nanos] = [:]
            var lastPosition: [String: PositionUpdate] = [:]
            for symbol in symbols {
                if let last = await pipeline.lastPosition(symbol: symbol) {
                    lastEvent[symbol] = last.at
                    lastPosition[symbol] = last.position
                }
            }
            for symbol in due(symbols: symbols, lastEvent: lastEvent, lastLookup: lastLookup, now: now) {
                lastLookup[symbol] = now
                do {
                    let answer = try await lookup.position(symbol: symbol)
                    failing.remove(symbol)
                    guard changes(answer, last: lastPosition[symbol]) else { continue }
                    await pipeline.ingest(
                        events: [UnstampedEvent(symbol: symbol, traceId: "position-rest-\(symbol)", body: .position(answer))],
                        receivedAt: clock.now())
                    logger.info(
                        "position from the position manager's REST API",
                        metadata: ["symbol": .string(symbol), "size": .stringConvertible(answer.size)])
                } catch {
                    // Logged once per outage, not every 30 s; the last known position stays (size 0 if none).
                    if failing.insert(symbol).inserted {
                        logger.warning(
                            "position manager REST fallback failed", metadata: ["symbol": .string(symbol), "error": .string("\(error)")])
                    }
                }
            }
            try? await Task.sleep(for: interval)
        }
    }
}
