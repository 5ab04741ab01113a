/// Errors of the AMQP client. Server-initiated closes carry the server's reply code and text.
public enum AMQPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server closed the connection (e.g. 320 CONNECTION_FORCED, 403 ACCESS_REFUSED).
    case connectionClosed(code: UInt16, text: String)
    /// The server closed a channel (e.g. 404 NOT_FOUND, 406 PRECONDITION_FAILED).
    case channelClosed(code: UInt16, text: String, classId: UInt16, methodId: UInt16)
    /// The peer sent nothing for two heartbeat intervals.
    case heartbeatTimeout
    /// Bytes that are not valid AMQP 0-9-1.
    case protocolError(String)
    /// The broker refused a published message (basic.nack under publisher confirms).
    case publishNacked
    /// The connection went away (socket closed, or closed by us).
    case connectionLost(String)
    /// The URL given to ``AMQPConfiguration/init(url:)`` is not an `amqp://` URL with a host.
    case invalidURL(String)
    /// The broker refused the credentials during the handshake (connection.close 403 or 530
    /// before connection.open-ok).
    case authenticationFailed(String)

    /// A one-line message for logs, with the broker's reply code and text where it sent them.
    public var description: String {
        switch self {
        case .connectionClosed(let code, let text): "connection closed by the broker: \(code) \(text)"
        case .channelClosed(let code, let text, let c, let m): "channel closed by the broker: \(code) \(text) (class \(c), method \(m))"
        case .heartbeatTimeout: "no heartbeat from the broker for two intervals"
        case .protocolError(let text): "AMQP protocol error: \(text)"
        case .publishNacked: "the broker did not accept the message (nack)"
        case .connectionLost(let text): "connection lost: \(text)"
        case .invalidURL(let text): "invalid AMQP URL: \(text)"
        case .authenticationFailed(let text): "authentication failed: \(text)"
        }
    }
}
