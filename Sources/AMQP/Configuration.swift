import Foundation

/// Where and how to connect: from an `amqp://user:pass@host:port/vhost` URL.
public struct AMQPConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var vhost: String
    /// Requested heartbeat in seconds (0 disables); the smaller of ours and the broker's wins.
    public var heartbeat: UInt16 = 30
    public var frameMax: UInt32 = 131_072
    public var connectionName: String = "feature-service"

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
        self.init(host: host, port: components.port ?? 5672, user: components.user?.removingPercentEncoding ?? "guest",
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
