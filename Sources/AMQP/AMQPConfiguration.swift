import Foundation

/// Where and how to connect: from an `amqp://user:pass@host:port/vhost` URL.
public struct AMQPConfiguration: Sendable, Equatable {
    /// The broker's host name or address.
    public var host: String
    /// The broker's TCP port (5672: plain AMQP; TLS is not supported).
    public var port: Int
    /// The user name for PLAIN authentication.
    public var user: String
    /// The password for PLAIN authentication.
    public var password: String
    /// The virtual host opened by connection.open (`/` is RabbitMQ's default).
    public var vhost: String
    /// Requested heartbeat in seconds (0 disables); the smaller of ours and the broker's wins.
    public var heartbeat: UInt16 = 30
    /// The largest frame we accept, in bytes; the smaller of ours and the broker's wins
    /// (connection.tune), and longer message bodies are split over several body frames.
    public var frameMax: UInt32 = 131_072
    /// Sent as the `connection_name` client property: how the connection shows in the broker's management UI.
    public var connectionName: String = "feature-service"

    /// A configuration from its parts; the defaults are RabbitMQ's out of the box (guest on localhost).
    public init(host: String = "127.0.0.1", port: Int = 5672, user: String = "guest", password: String = "guest", vhost: String = "/") {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.vhost = vhost
    }

    /// Parses `amqp://user:pass@host:port/vhost` (vhost percent-decoded; `%2f` is `/`).
    public init(url: String) throws(AMQPError) {
        guard let components = URLComponents(string: url), components.scheme == "amqp", let host = components.host, !host.isEmpty else {
            throw .invalidURL("expected amqp://user:pass@host:port/vhost, got '\(url)'")
        }
        self.init(
            host: host, port: components.port ?? 5672, user: components.user?.removingPercentEncoding ?? "guest",
            password: components.password?.removingPercentEncoding ?? "guest")
        let path = components.percentEncodedPath
        if path.isEmpty || path == "/" {
            vhost = "/"
        } else {
            vhost = String(path.dropFirst()).removingPercentEncoding ?? "/"
        }
        if let items = components.queryItems {
            for item in items where item.name == "heartbeat" { heartbeat = UInt16(item.value ?? "") ?? heartbeat }
        }
    }
}
