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
    public var exchange: String
    /// The routing key it was published with.
    public var routingKey: String
    /// The consumer it was delivered to.
    public var consumerTag: String
    /// The channel to ack on.
    public var channel: AMQPChannel

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
