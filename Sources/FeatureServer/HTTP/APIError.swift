public import Hummingbird
import MarketData

/// An API error answered as `{"error": {"code", "message", "trace_id"}}` with a 4xx/5xx status.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String

    public init(_ status: HTTPResponse.Status, code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, code: "bad_request", message) }
    public static func notFound(_ message: String) -> APIError { APIError(.notFound, code: "not_found", message) }
    public static func unauthorized(_ message: String) -> APIError { APIError(.unauthorized, code: "unauthorized", message) }

    func response(traceId: String) -> Response {
        var body = "{\"error\":{\"code\":"
        JSONText.appendString(code, to: &body)
        body += ",\"message\":"
        JSONText.appendString(message, to: &body)
        body += ",\"trace_id\":"
        JSONText.appendString(traceId, to: &body)
        body += "}}"
        return JSONResponse.make(body, status: status)
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
