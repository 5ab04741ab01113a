public import Hummingbird
import Logging
import HTTPTypes
import Foundation

/// The request context: Hummingbird's basic context plus the request's trace id.
public struct ServiceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// From the `X-Trace-Id` header, or generated.
    public var traceId: String = ""

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
        let traceId: String = request.headers[HTTPField.Name("X-Trace-Id")!] ?? UUID().uuidString.lowercased()
        context.traceId = traceId
        context.logger[metadataKey: "trace_id"] = .string(traceId)
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = error.response(traceId: traceId)
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "not_found" : error.status.code < 500 ? "bad_request" : "internal"
            let message = error.body ?? (error.status == .notFound ? "no route for \(request.method) \(request.uri.path)" : error.status.reasonPhrase)
            response = APIError(error.status, code: code, message).response(traceId: traceId)
        } catch {
            context.logger.error("request failed", metadata: ["error": .string(String(describing: error))])
            response = APIError(.internalServerError, code: "internal", "internal error (trace id \(traceId))").response(traceId: traceId)
        }
        response.headers[HTTPField.Name("X-Trace-Id")!] = traceId
        context.logger.info("request", metadata: ["method": .string(request.method.rawValue), "path": .string(request.uri.path),
                                                  "status": .stringConvertible(response.status.code)])
        return response
    }
}

/// API key authentication on everything but the public paths: header `X-API-Key` or query
/// `api_key`, compared in constant time.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = ServiceRequestContext
    let keys: [[UInt8]]
    let publicPaths: Set<String>

    init(keys: [String], publicPaths: Set<String>) {
        self.keys = keys.map { Array($0.utf8) }
        self.publicPaths = publicPaths
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if publicPaths.contains(request.uri.path) { return try await next(request, context) }
        let given: String? = request.headers[HTTPField.Name("X-API-Key")!] ?? request.uri.queryParameters["api_key"].map { String($0) }
        guard let given else { throw APIError.unauthorized("missing API key: send header X-API-Key or query parameter api_key") }
        guard Self.matches(Array(given.utf8), keys) else { throw APIError.unauthorized("invalid API key") }
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
