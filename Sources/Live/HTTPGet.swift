import AsyncHTTPClient
import NIOCore
import ServiceRuntime

/// A bounded GET on AsyncHTTPClient's shared client (event-loop I/O, pooled connections),
/// for the REST fallbacks of the live path.
enum HTTPGet {
    /// Larger answers are refused: a 200-level book snapshot or a position is a few KiB, so
    /// anything near this is not an answer worth holding in memory.
    static let maxBodyBytes = 4 << 20

    /// The status and body of `GET url`. The whole exchange (connect, head and body) must end
    /// within `timeout`: the client's deadline covers only the head, a stalled body would not.
    static func fetch(
        _ url: String, headers: [(name: String, value: String)] = [], timeout: Duration
    )
        async throws -> (status: UInt, body: [UInt8])
    {
        var request = HTTPClientRequest(url: url)
        for header in headers { request.headers.add(name: header.name, value: header.value) }
        let prepared = request
        return try await withTimeout(timeout) {
            let response = try await HTTPClient.shared.execute(prepared, timeout: TimeAmount(timeout))
            // Read even an error's body: a fully read answer leaves the connection reusable.
            var body = try await response.body.collect(upTo: maxBodyBytes)
            return (response.status.code, body.readBytes(length: body.readableBytes) ?? [])
        }
    }
}
