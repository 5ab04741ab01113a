import NIOCore

/// Content properties of basic.publish / basic.deliver: the basic class's property list,
/// carried in the content header frame after a 16-bit flag word (spec §4.2.6); nil
/// properties are left out of the frame. The broker passes most of them through untouched.
public struct AMQPProperties: Sendable, Equatable {
    /// MIME type of the body (e.g. `application/json`).
    public var contentType: String?
    /// MIME content encoding of the body (e.g. `gzip`).
    public var contentEncoding: String?
    /// Application headers (also what headers exchanges route on).
    public var headers: AMQPTable?
    /// 1 transient, 2 persistent.
    public var deliveryMode: UInt8?
    /// Message priority, 0 to 9 (only priority queues use it).
    public var priority: UInt8?
    /// Application correlation id (e.g. request/reply).
    public var correlationId: String?
    /// Queue to reply to (request/reply).
    public var replyTo: String?
    /// Per-message TTL in milliseconds, as a decimal string (RabbitMQ's reading of this field).
    public var expiration: String?
    /// Application message id.
    public var messageId: String?
    /// Seconds since the epoch.
    public var timestamp: UInt64?
    /// Application message type name.
    public var type: String?
    /// The publishing user; RabbitMQ rejects a message whose user id is not the connection's.
    public var userId: String?
    /// Name of the publishing application.
    public var appId: String?

    /// Properties with the given fields set; every field defaults to absent.
    public init(
        contentType: String? = nil, contentEncoding: String? = nil, headers: AMQPTable? = nil, deliveryMode: UInt8? = nil,
        priority: UInt8? = nil, correlationId: String? = nil, replyTo: String? = nil, expiration: String? = nil,
        messageId: String? = nil, timestamp: UInt64? = nil, type: String? = nil, userId: String? = nil, appId: String? = nil
    ) {
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.headers = headers
        self.deliveryMode = deliveryMode
        self.priority = priority
        self.correlationId = correlationId
        self.replyTo = replyTo
        self.expiration = expiration
        self.messageId = messageId
        self.timestamp = timestamp
        self.type = type
        self.userId = userId
        self.appId = appId
    }

    /// Persistent JSON messages (what the gateway publishes).
    public static let persistentJSON = AMQPProperties(contentType: "application/json", deliveryMode: 2)

    /// Writes the flag word, then each present property in the spec's order.
    func encode(into buffer: inout ByteBuffer) throws(AMQPError) {
        var flags: UInt16 = 0
        var body = ByteBuffer()
        func bit(_ n: Int) { flags |= 1 << UInt16(15 - n) }
        if let v = contentType { bit(0); try body.writeShortString(v) }
        if let v = contentEncoding { bit(1); try body.writeShortString(v) }
        if let v = headers { bit(2); try body.writeTable(v) }
        if let v = deliveryMode { bit(3); body.writeInteger(v) }
        if let v = priority { bit(4); body.writeInteger(v) }
        if let v = correlationId { bit(5); try body.writeShortString(v) }
        if let v = replyTo { bit(6); try body.writeShortString(v) }
        if let v = expiration { bit(7); try body.writeShortString(v) }
        if let v = messageId { bit(8); try body.writeShortString(v) }
        if let v = timestamp { bit(9); body.writeInteger(v) }
        if let v = type { bit(10); try body.writeShortString(v) }
        if let v = userId { bit(11); try body.writeShortString(v) }
        if let v = appId { bit(12); try body.writeShortString(v) }
        buffer.writeInteger(flags)
        buffer.writeBuffer(&body)
    }

    /// Reads a flag word and the properties it announces.
    static func decode(from buffer: inout ByteBuffer) throws(AMQPError) -> AMQPProperties {
        let flags = try buffer.readOrThrow(UInt16.self)
        func has(_ n: Int) -> Bool { flags & (1 << UInt16(15 - n)) != 0 }
        var p = AMQPProperties()
        if has(0) { p.contentType = try buffer.readShortStringOrThrow() }
        if has(1) { p.contentEncoding = try buffer.readShortStringOrThrow() }
        if has(2) { p.headers = try buffer.readTableOrThrow() }
        if has(3) { p.deliveryMode = try buffer.readOrThrow(UInt8.self) }
        if has(4) { p.priority = try buffer.readOrThrow(UInt8.self) }
        if has(5) { p.correlationId = try buffer.readShortStringOrThrow() }
        if has(6) { p.replyTo = try buffer.readShortStringOrThrow() }
        if has(7) { p.expiration = try buffer.readShortStringOrThrow() }
        if has(8) { p.messageId = try buffer.readShortStringOrThrow() }
        if has(9) { p.timestamp = try buffer.readOrThrow(UInt64.self) }
        if has(10) { p.type = try buffer.readShortStringOrThrow() }
        if has(11) { p.userId = try buffer.readShortStringOrThrow() }
        if has(12) { p.appId = try buffer.readShortStringOrThrow() }
        return p
    }
}
