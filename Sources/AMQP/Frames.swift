import NIOCore

/// One AMQP frame: `type(1) channel(2) size(4) payload frame-end(0xCE)`.
struct Frame: Sendable {
    enum Kind: UInt8 { case method = 1, header = 2, body = 3, heartbeat = 8 }
    var kind: Kind
    var channel: UInt16
    var payload: ByteBuffer
}

/// Splits the byte stream into frames, enforcing the negotiated frame size.
final class FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = Frame
    var maxFrameSize: Int

    init(maxFrameSize: Int) { self.maxFrameSize = maxFrameSize }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard buffer.readableBytes >= 7 else { return .needMoreData }
        let start = buffer.readerIndex
        guard let type = buffer.getInteger(at: start, as: UInt8.self), let channel = buffer.getInteger(at: start + 1, as: UInt16.self),
              let size = buffer.getInteger(at: start + 3, as: UInt32.self) else { return .needMoreData }
        guard Int(size) <= maxFrameSize else { throw AMQPError.protocolError("frame of \(size) bytes exceeds frame_max \(maxFrameSize)") }
        guard buffer.readableBytes >= 8 + Int(size) else { return .needMoreData }
        guard let kind = Frame.Kind(rawValue: type) else { throw AMQPError.protocolError("unknown frame type \(type)") }
        guard buffer.getInteger(at: start + 7 + Int(size), as: UInt8.self) == 0xCE else { throw AMQPError.protocolError("missing frame end") }
        let payload = buffer.getSlice(at: start + 7, length: Int(size))!
        buffer.moveReaderIndex(forwardBy: 8 + Int(size))
        context.fireChannelRead(wrapInboundOut(Frame(kind: kind, channel: channel, payload: payload)))
        return .continue
    }
}

extension ByteBuffer {
    mutating func writeFrame(_ kind: Frame.Kind, channel: UInt16, payload: ByteBuffer) {
        writeInteger(kind.rawValue)
        writeInteger(channel)
        writeInteger(UInt32(payload.readableBytes))
        var copy = payload
        writeBuffer(&copy)
        writeInteger(UInt8(0xCE))
    }
}

/// Content properties of basic.publish / basic.deliver.
public struct AMQPProperties: Sendable, Equatable {
    public var contentType: String?
    public var contentEncoding: String?
    public var headers: AMQPTable?
    /// 1 transient, 2 persistent.
    public var deliveryMode: UInt8?
    public var priority: UInt8?
    public var correlationId: String?
    public var replyTo: String?
    public var expiration: String?
    public var messageId: String?
    /// Seconds since the epoch.
    public var timestamp: UInt64?
    public var type: String?
    public var userId: String?
    public var appId: String?

    public init(contentType: String? = nil, contentEncoding: String? = nil, headers: AMQPTable? = nil, deliveryMode: UInt8? = nil,
                priority: UInt8? = nil, correlationId: String? = nil, replyTo: String? = nil, expiration: String? = nil,
                messageId: String? = nil, timestamp: UInt64? = nil, type: String? = nil, userId: String? = nil, appId: String? = nil) {
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

/// A message delivered to a consumer.
public struct AMQPDelivery: Sendable {
    public var body: [UInt8]
    public var properties: AMQPProperties
    public var deliveryTag: UInt64
    public var redelivered: Bool
    public var exchange: String
    public var routingKey: String
    public var consumerTag: String
    /// The channel to ack on.
    public var channel: AMQPChannel
}
