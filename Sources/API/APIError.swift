import Foundation
public import Hummingbird

/// An API error answered as `{"error": {"code", "message", "trace_id"}}` (``ErrorBody``) with a 4xx/5xx status.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Extra response headers (`Allow` on a 405).
    public var headers: HTTPFields = [:]
    /// Every problem of a rejected document (registry, dataset request), each with where it is.
    public var problems: [(path: String, message: String)] = []
    /// For a symbol another shard owns: that shard (its name and API URL).
    public var owner: ShardOwner?

    public init(_ status: HTTPResponse.Status, code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, code: "bad_request", message) }
    public static func notFound(_ message: String) -> APIError { APIError(.notFound, code: "not_found", message) }
    public static func unauthorized(_ message: String) -> APIError { APIError(.unauthorized, code: "unauthorized", message) }

    /// A rejected document: 422 with every problem listed.
    static func invalid(code: String, _ message: String, problems: [(path: String, message: String)]) -> APIError {
        var error = APIError(.unprocessableContent, code: code, message)
        error.problems = problems
        return error
    }

    static func methodNotAllowed(_ method: HTTPRequest.Method, path: String, allowed: [HTTPRequest.Method]) -> APIError {
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        let message = "\(method) is not allowed on \(Echo.prefix(path)); allowed: \(list)"
        var error = APIError(.methodNotAllowed, code: "method_not_allowed", message)
        error.headers[.allow] = list
        return error
    }

    /// Renders itself: the error body with `traceId`, this error's status and headers.
    func response(traceId: String) -> Response {
        let listed = problems.isEmpty ? nil : problems.map { APIProblem(path: $0.path, message: $0.message) }
        let body = ErrorBody(error: .init(code: code, message: message, traceId: traceId, problems: listed, owner: owner))
        // Strings only: encoding cannot fail (should it, the status still goes out).
        return (try? JSONResponse.encoded(body, status: status, headers: headers)) ?? Response(status: status, headers: headers)
    }
}

/// Hummingbird's own error rendering: should an ``APIError`` ever reach Hummingbird past the
/// middleware, it still answers with the API's error body (and the request's trace id).
extension APIError: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response(traceId: (context as? ServiceRequestContext)?.traceId ?? "")
    }
}

/// The shard that owns a symbol this instance does not (`GET /features/latest` on a shard).
public struct ShardOwner: Codable, Equatable, Sendable {
    /// The shard's name.
    public var shard: String
    /// Its API's base URL, when it advertises one.
    public var url: String?

    public init(shard: String, url: String?) {
        self.shard = shard
        self.url = url
    }
}

/// One problem of a rejected document, with where it is (`features[2].window`).
struct APIProblem: Codable, Equatable {
    var path: String
    var message: String
}

/// The error body: `{"error": {"code", "message", "trace_id", "problems"?}}` (interfaces.md §5).
struct ErrorBody: Codable, Equatable {
    struct Detail: Codable, Equatable {
        var code: String
        var message: String
        var traceId: String
        /// Absent unless a document was rejected.
        var problems: [APIProblem]?
        /// Absent unless another shard owns the requested symbol.
        var owner: ShardOwner?

        enum CodingKeys: String, CodingKey {
            case code, message, problems, owner
            case traceId = "trace_id"
        }
    }

    var error: Detail
}

/// Caller input quoted back in a message: at most a short prefix, so that an answer never
/// grows with what was sent.
public enum Echo {
    public static func prefix(_ text: some StringProtocol, _ limit: Int = 64) -> String {
        text.count <= limit ? String(text) : "\(text.prefix(limit))… (\(text.utf8.count) bytes)"
    }
}

/// JSON responses: typed answers encoded with ``encoder()``, or text from a hand-written
/// writer (a feature vector keeps its nulls and registry order) or a fixed document.
public enum JSONResponse {
    /// The encoder of every typed answer: keys sorted, so that the same answer is the same
    /// bytes; slashes unescaped, so that URLs stay readable.
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// `value` as JSON text.
    static func text(of value: some Encodable) throws -> String {
        String(decoding: try encoder().encode(value), as: UTF8.self)
    }

    /// A response with `value` encoded as JSON.
    public static func encoded(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: try encoder().encode(value))))
    }

    /// A response with JSON text as it is: a feature vector from its writer, or the OpenAPI document.
    public static func make(_ json: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    public static func text(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
