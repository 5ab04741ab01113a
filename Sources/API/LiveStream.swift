import Foundation
import HTTPTypes
import Hummingbird
import MarketData
import ServiceLifecycle
import Synchronization

/// Bounds the live streams open at once (each holds a connection and reads the live side every
/// second): one over the limit is refused with 503, not queued.
public final class StreamLimiter: Sendable {
    /// Streams allowed at once.
    public let limit: Int
    private let open = Mutex(0)

    public init(limit: Int) { self.limit = limit }

    /// Takes a place, or returns false when every place is taken.
    func acquire() -> Bool {
        open.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func release() { open.withLock { $0 -= 1 } }

    /// Streams open now.
    public var count: Int { open.withLock { $0 } }
}

/// `GET /features/book` and `GET /features/stream`: the top of a symbol's book, and a stream of
/// Server-Sent Events that pushes the vector and the top of the book every second (the web
/// console's live view).
enum LiveStream {
    /// Levels per side when the request names none, and the most it may ask for.
    static let defaultLevels = 10
    static let maxLevels = 50
    /// Frames one stream sends before it ends (an hour); `EventSource` reconnects by itself.
    static let maxFrames = 3600
    /// Between two frames.
    static let interval: Duration = .seconds(1)

    static func symbolParameter(_ request: Request, route: String) throws -> String {
        guard let symbol = request.uri.queryParameters["symbol"].map(String.init), !symbol.isEmpty else {
            throw APIError.badRequest("query parameter 'symbol' is required, e.g. \(route)?symbol=BTCUSDT")
        }
        guard Symbols.isValid(symbol) else { throw APIRoutes.invalidSymbol(symbol) }
        return symbol
    }

    static func levelsParameter(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters["levels"].map(String.init) else { return defaultLevels }
        guard let value = Int(text), (1...maxLevels).contains(value) else {
            throw APIError.badRequest("'levels' must be a whole number from 1 to \(maxLevels), got '\(Echo.prefix(text, 20))'")
        }
        return value
    }

    static func unknown(_ service: APIContext, _ symbol: String) async -> APIError {
        // On a shard, a symbol another shard owns: say which, and where.
        if let owner = await service.owner(symbol) {
            var error = APIError(.notFound, code: "other_shard", "symbol '\(symbol)' is owned by shard '\(owner.shard)'")
            if let url = owner.url { error.message += "; ask \(url)/features/latest?symbol=\(symbol)" }
            error.owner = owner
            return error
        }
        let known = await service.live.symbols()
        let list = known.isEmpty ? "none yet" : known.prefix(20).joined(separator: ", ") + (known.count > 20 ? ", …" : "")
        return APIError.notFound("unknown symbol '\(symbol)'; known symbols: \(list)")
    }

    static func book(_ service: APIContext, _ request: Request) async throws -> Response {
        let symbol = try symbolParameter(request, route: "/features/book")
        let levels = try levelsParameter(request)
        let now = service.clock.now()
        guard let top = await service.live.bookTop(symbol: symbol, levels: levels) else { throw await unknown(service, symbol) }
        return try JSONResponse.encoded(BookAnswer(symbol: symbol, at: now, top: top))
    }

    static func stream(_ service: APIContext, _ request: Request) async throws -> Response {
        let symbol = try symbolParameter(request, route: "/features/stream")
        let levels = try levelsParameter(request)
        guard await service.live.bookTop(symbol: symbol, levels: 1) != nil else { throw await unknown(service, symbol) }
        let limiter = service.streams
        guard limiter.acquire() else {
            throw APIError(
                .serviceUnavailable, code: "too_many_streams",
                "\(limiter.limit) live streams are open, the most this service serves at once: close one or try again later")
        }
        let body = ResponseBody { writer in
            defer { limiter.release() }
            // A client that reconnects waits 2 s first.
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            var sent = 0
            // Ends at shutdown (the server waits for open responses) and after an hour.
            while sent < maxFrames && !Task.isCancelled && !Task.isShuttingDownGracefully {
                if let frame = try await frame(service, symbol: symbol, levels: levels) {
                    try await writer.write(ByteBuffer(string: frame))
                }
                sent += 1
                do { try await Task.sleep(for: interval) } catch { break }
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no",
            ],
            body: body)
    }

    /// One frame: `event: vector` (the `/features/latest` answer) then `event: book` (the
    /// `/features/book` answer), read at the same instant. Nil when the symbol is gone.
    static func frame(_ service: APIContext, symbol: String, levels: Int) async throws -> String? {
        let now = service.clock.now()
        guard let vectorJSON = await APIRoutes.vectorText(service, symbol: symbol, now: now),
            let top = await service.live.bookTop(symbol: symbol, levels: levels)
        else { return nil }
        let bookJSON = try JSONResponse.text(of: BookAnswer(symbol: symbol, at: now, top: top))
        // One JSON text per `data:` line: neither writer puts a newline inside.
        return "event: vector\ndata: \(vectorJSON)\n\nevent: book\ndata: \(bookJSON)\n\n"
    }
}
