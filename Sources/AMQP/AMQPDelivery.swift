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
}
