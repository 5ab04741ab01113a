import NIOCore

/// A message delivered to a consumer: the arguments of basic.deliver with the message's content
/// header properties and body (reassembled from its body frames).
public struct AMQPDelivery: Sendable {
    /// The message body.
    public var body: [UInt8]
    /// The content properties the publisher set.
    public var properties: AMQPProperties
    /// The tag to ack, nack or reject with; it is only valid on ``channel``.
    public var deliveryTag: UInt64
    /// The broker delivered this message before without an ack (e.g. to a consumer whose
    /// connection died): it may have been processed already.
    public var redelivered: Bool
    /// The exchange the message was published to (empty for the default exchange).
    public var exchange: String { names().exchange }
    /// The routing key it was published with.
    public var routingKey: String { names().routingKey }
    /// The consumer it was delivered to.
    public var consumerTag: String { names().consumerTag }
    /// The channel to ack on.
    public var channel: AMQPChannel
    /// basic.deliver's arguments, checked when the delivery was assembled: the names are read
    /// from them only when asked for (the live path never asks: no strings per delivery).
    let arguments: ByteBuffer

    init(
        body: [UInt8], properties: AMQPProperties, deliveryTag: UInt64, redelivered: Bool, arguments: ByteBuffer,
        channel: AMQPChannel
    ) {
        self.body = body
        self.properties = properties
        self.deliveryTag = deliveryTag
        self.redelivered = redelivered
        self.arguments = arguments
        self.channel = channel
    }

    private func names() -> (consumerTag: String, exchange: String, routingKey: String) {
        guard let parsed = DeliverArguments(arguments) else { return ("", "", "") }
        return (String(buffer: parsed.consumerTag), String(buffer: parsed.exchange), String(buffer: parsed.routingKey))
    }

    /// What acknowledging this delivery needs, without the body and properties (cheap to keep
    /// until a batch is durable).
    public var receipt: Receipt { Receipt(channel: channel, deliveryTag: deliveryTag) }

    /// A delivery's channel and tag: enough to ack, nack or reject it.
    public struct Receipt: Sendable {
        public var channel: AMQPChannel
        public var deliveryTag: UInt64
        public init(channel: AMQPChannel, deliveryTag: UInt64) {
            self.channel = channel
            self.deliveryTag = deliveryTag
        }
    }
}

/// basic.deliver's arguments (AMQP 0-9-1 §1.8.3.9) as slices of the frame: read once to route a
/// delivery, again only when a delivery's names are asked for.
struct DeliverArguments {
    var consumerTag: ByteBuffer
    var deliveryTag: UInt64
    var redelivered: Bool
    var exchange: ByteBuffer
    var routingKey: ByteBuffer

    /// Nil when the arguments are truncated.
    init?(_ arguments: ByteBuffer) {
        var args = arguments
        guard let tagLength = args.readInteger(as: UInt8.self), let tag = args.readSlice(length: Int(tagLength)),
            let deliveryTag = args.readInteger(as: UInt64.self), let flags = args.readInteger(as: UInt8.self),
            let exchangeLength = args.readInteger(as: UInt8.self), let exchange = args.readSlice(length: Int(exchangeLength)),
            let keyLength = args.readInteger(as: UInt8.self), let routingKey = args.readSlice(length: Int(keyLength))
        else { return nil }
        (consumerTag, self.deliveryTag, redelivered) = (tag, deliveryTag, flags & 1 == 1)
        (self.exchange, self.routingKey) = (exchange, routingKey)
    }
}
