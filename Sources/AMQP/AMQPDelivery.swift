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
        var args = arguments
        let tag = (try? args.readShortStringOrThrow()) ?? ""
        args.moveReaderIndex(forwardBy: min(9, args.readableBytes))  // delivery-tag, redelivered
        let exchange = (try? args.readShortStringOrThrow()) ?? ""
        return (tag, exchange, (try? args.readShortStringOrThrow()) ?? "")
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
