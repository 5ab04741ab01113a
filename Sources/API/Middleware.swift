import Foundation
import HTTPTypes
public import Hummingbird
import Logging
import NIOCore

/// The request context: Hummingbird's basic context plus the request's trace id.
public struct ServiceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// From the `X-Trace-Id` header, or generated.
    public var traceId: String = ""
    /// Whether the request carried a valid API key (public routes answer more to those that do).
    public var authenticated = false

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}

/// Gives every request a trace id (echoed in `X-Trace-Id` and on every log line) and turns
/// errors into the API's error body: a bad request is a 4xx with a message, never a 5xx.
struct TraceAndErrorMiddleware: RouterMiddleware {
    typealias Context = ServiceRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let given = request.headers[HTTPField.Name("X-Trace-Id")!]
        let traceId = given.flatMap { Self.isUsableTraceId($0) ? $0 : nil } ?? UUID().uuidString.lowercased()
        context.traceId = traceId
        context.logger[metadataKey: "trace_id"] = .string(traceId)
        var response: Response
        do {
            if let allowed = RouteMethods.allowed(path: request.uri.path), !allowed.contains(request.method) {
                throw APIError.methodNotAllowed(request.method, path: request.uri.path, allowed: allowed)
            }
            response = try await next(request, context)
        } catch let error as APIError {
            response = error.response(traceId: traceId)
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "not_found" : error.status.code < 500 ? "bad_request" : "internal"
            let message =
                error.body
                ?? (error.status == .notFound
                    ? "no route for \(request.method) \(Echo.prefix(request.uri.path))" : error.status.reasonPhrase)
            response = APIError(error.status, code: code, message).response(traceId: traceId)
        } catch let error as NIOTooManyBytesError {
            // A body over the route's limit: the client's mistake, said with the limit.
            let limit = error.maxBytes.map { "the limit of \($0) bytes" } ?? "this route's limit"
            response = APIError(
                .contentTooLarge, code: "body_too_large",
                "the request body is larger than \(limit) for \(request.method) \(Echo.prefix(request.uri.path))"
            )
            .response(traceId: traceId)
        } catch {
            context.logger.error("request failed", metadata: ["error": .string(String(describing: error))])
            response = APIError(.internalServerError, code: "internal", "internal error (trace id \(traceId))").response(traceId: traceId)
        }
        response.headers[HTTPField.Name("X-Trace-Id")!] = traceId
        context.logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue), "path": .string(request.uri.path),
                "status": .stringConvertible(response.status.code),
            ])
        return response
    }

    /// A caller's trace id is echoed on every log line and response: printable ASCII, at most 128 characters.
    static func isUsableTraceId(_ text: String) -> Bool {
        let utf8 = text.utf8
        return (1...128).contains(utf8.count) && utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") }
    }
}

/// The methods each documented path answers (from the OpenAPI document's operations), so that
/// a known path asked with another method gets 405 with `Allow`, not 404.
enum RouteMethods {
    static let table: [(segments: [Substring], methods: [HTTPRequest.Method])] = {
        var byPath: [String: [HTTPRequest.Method]] = [:]
        for (method, path) in OpenAPIDocument.operations {
            byPath[path, default: []].append(HTTPRequest.Method(method.uppercased())!)
            if method == "get" { byPath[path, default: []].append(.head) }
        }
        return byPath.sorted { $0.key < $1.key }.map { (segments: $0.key.split(separator: "/"), methods: $0.value) }
    }()

    /// The methods allowed on `path`, or nil for a path no route serves.
    static func allowed(path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/")
        for entry in table where entry.segments.count == segments.count {
            let matches = zip(entry.segments, segments).allSatisfy { pattern, segment in pattern.hasPrefix("{") || pattern == segment }
            if matches { return entry.methods }
        }
        return nil
    }
}

/// API key authentication on everything but the public paths: header `X-API-Key` or query
/// `api_key`, compared in constant time.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = ServiceRequestContext
    let keys: [[UInt8]]
    /// Whether a path is answered without a key.
    let isPublic: @Sendable (String) -> Bool

    init(keys: [String], isPublic: @escaping @Sendable (String) -> Bool) {
        self.keys = keys.map { Array($0.utf8) }
        self.isPublic = isPublic
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let given: String? = request.headers[HTTPField.Name("X-API-Key")!] ?? request.uri.queryParameters["api_key"].map { String($0) }
        var context = context
        context.authenticated = given.map { Self.matches(Array($0.utf8), keys) } ?? false
        if isPublic(request.uri.path) { return try await next(request, context) }
        guard given != nil else { throw APIError.unauthorized("missing API key: send header X-API-Key or query parameter api_key") }
        guard context.authenticated else { throw APIError.unauthorized("invalid API key") }
        return try await next(request, context)
    }

    /// Compares against every key without an early exit, so timing reveals nothing about a key.
    static func matches(_ given: [UInt8], _ keys: [[UInt8]]) -> Bool {
        var found: UInt8 = 0
        for key in keys {
            var difference = UInt8(truncatingIfNeeded: key.count ^ given.count)
            for index in 0..<key.count { difference |= key[index] ^ (index < given.count ? given[index] : 0) }
            found |= difference == 0 ? 1 : 0
        }
        return found == 1
    }
}
