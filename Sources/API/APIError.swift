public import Hummingbird
import MarketData

/// An API error answered as `{"error": {"code", "message", "trace_id"}}` with a 4xx/5xx status.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Extra response headers (`Allow` on a 405).
    public var headers: HTTPFields = [:]
    /// Every problem of a rejected document (registry, dataset request), each with where it is.
    public var problems: [(path: String, message: String)] = []

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

    func response(traceId: String) -> Response {
        var body = "{\"error\":{\"code\":"
        JSONText.appendString(code, to: &body)
        body += ",\"message\":"
        JSONText.appendString(message, to: &body)
        body += ",\"trace_id\":"
        JSONText.appendString(traceId, to: &body)
        if !problems.isEmpty {
            body += ",\"problems\":[" + problems.map { problem in
                var entry = "{\"path\":"
                JSONText.appendString(problem.path, to: &entry)
                entry += ",\"message\":"
                JSONText.appendString(problem.message, to: &entry)
                return entry + "}"
            }.joined(separator: ",") + "]"
        }
        body += "}}"
        return JSONResponse.make(body, status: status, headers: headers)
    }
}

/// Caller input quoted back in a message: at most a short prefix, so that an answer never
/// grows with what was sent.
public enum Echo {
    public static func prefix(_ text: some StringProtocol, _ limit: Int = 64) -> String {
        text.count <= limit ? String(text) : "\(text.prefix(limit))… (\(text.utf8.count) bytes)"
    }
}

/// JSON responses built from text (our own writer keeps nulls and registry order exact).
public enum JSONResponse {
    public static func make(_ json: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    public static func text(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
