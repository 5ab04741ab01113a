import NIOCore

/// An AMQP channel: declarations, consuming, publishing (with confirms), acknowledgements.
///
/// Channels multiplex one connection. A channel error such as 404 NOT_FOUND closes only its
/// channel: its pending calls throw ``AMQPError/channelClosed(code:text:classId:methodId:)`` and
/// the connection stays usable. Synchronous methods (declare, bind, qos...) wait for their
/// `-ok` reply; acks are fire-and-forget.
public final class AMQPChannel: Sendable {
    /// The channel number on the wire (from 1: channel 0 carries the connection's own methods).
    public let id: UInt16
    let connection: AMQPConnection

    init(connection: AMQPConnection, id: UInt16) {
        self.connection = connection
        self.id = id
    }

    /// The connection this channel belongs to.
    public var owner: AMQPConnection { connection }

    private func call(_ w: consuming MethodWriter, _ expects: MethodID) async throws -> ReceivedMethod {
        try await connection.call(id, w.finish(), expects: [expects])
    }

    /// Declares a queue (or checks it exists with `passive`); returns its name and counts.
    /// Redeclaring with other arguments is a `PRECONDITION_FAILED` channel error.
    @discardableResult
    public func queueDeclare(
        _ name: String, passive: Bool = false, durable: Bool = true, exclusive: Bool = false,
        autoDelete: Bool = false, arguments: AMQPTable = [:]
    ) async throws -> (name: String, messages: UInt32, consumers: UInt32) {
        var w = MethodWriter(.queueDeclare)
        w.u16(0)
        try w.short(name)
        w.bit(passive); w.bit(durable); w.bit(exclusive); w.bit(autoDelete); w.bit(false)
        try w.table(arguments)
        var reply = try await call(w, .queueDeclareOk).arguments
        return (try reply.readShortStringOrThrow(), try reply.readOrThrow(UInt32.self), try reply.readOrThrow(UInt32.self))
    }

    /// Declares an exchange of `type` (`direct`, `fanout`, `topic`, `headers`), or checks it
    /// exists with `passive` (exchange.declare). Redeclaring with another type or other
    /// flags is a `PRECONDITION_FAILED` channel error.
    public func exchangeDeclare(
        _ name: String, type: String = "direct", passive: Bool = false, durable: Bool = true,
        autoDelete: Bool = false, arguments: AMQPTable = [:]
    ) async throws {
        var w = MethodWriter(.exchangeDeclare)
        w.u16(0)
        try w.short(name)
        try w.short(type)
        w.bit(passive); w.bit(durable); w.bit(autoDelete); w.bit(false); w.bit(false)
        try w.table(arguments)
        _ = try await call(w, .exchangeDeclareOk)
    }

    /// Binds a queue to an exchange (queue.bind): messages the exchange routes with
    /// `routingKey` (or, for a headers exchange, matching `arguments`) go to the queue.
    public func queueBind(queue: String, exchange: String, routingKey: String, arguments: AMQPTable = [:]) async throws {
        var w = MethodWriter(.queueBind)
        w.u16(0)
        try w.short(queue); try w.short(exchange); try w.short(routingKey)
        w.bit(false)
        try w.table(arguments)
        _ = try await call(w, .queueBindOk)
    }

    /// Removes a binding (queue.unbind); removing one that does not exist is not an error.
    public func queueUnbind(queue: String, exchange: String, routingKey: String, arguments: AMQPTable = [:]) async throws {
        var w = MethodWriter(.queueUnbind)
        w.u16(0)
        try w.short(queue); try w.short(exchange); try w.short(routingKey)
        try w.table(arguments)
        _ = try await call(w, .queueUnbindOk)
    }

    /// Removes every ready message of a queue; returns how many.
    @discardableResult
    public func queuePurge(_ queue: String) async throws -> UInt32 {
        var w = MethodWriter(.queuePurge)
        w.u16(0)
        try w.short(queue)
        w.bit(false)
        var reply = try await call(w, .queuePurgeOk).arguments
        return try reply.readOrThrow(UInt32.self)
    }

    /// Deletes a queue, even if it has consumers or messages (queue.delete without if-unused
    /// or if-empty); returns how many messages it held.
    @discardableResult
    public func queueDelete(_ queue: String) async throws -> UInt32 {
        var w = MethodWriter(.queueDelete)
        w.u16(0)
        try w.short(queue)
        w.bit(false); w.bit(false); w.bit(false)
        var reply = try await call(w, .queueDeleteOk).arguments
        return try reply.readOrThrow(UInt32.self)
    }

    /// Limits unacknowledged deliveries on this channel (backpressure).
    public func basicQos(prefetchCount: UInt16) async throws {
        var w = MethodWriter(.basicQos)
        w.u32(0)
        w.u16(prefetchCount)
        w.bit(false)
        _ = try await call(w, .basicQosOk)
    }

    /// Starts consuming: deliveries arrive on the returned stream until the channel or the
    /// connection closes (the stream then ends with the error) or ``cancel(consumerTag:)``.
    public func consume(
        queue: String, consumerTag: String = "", noAck: Bool = false, exclusive: Bool = false,
        arguments: AMQPTable = [:]
    ) async throws -> (tag: String, deliveries: AsyncThrowingStream<AMQPDelivery, any Error>) {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: AMQPDelivery.self, bufferingPolicy: .unbounded)
        let tag = try await startConsumer(
            queue: queue, consumerTag: consumerTag, noAck: noAck, exclusive: exclusive, arguments: arguments, sink: .stream(continuation))
        return (tag, stream)
    }

    /// ``consume(queue:consumerTag:noAck:exclusive:arguments:)`` taken in batches: the queue hands
    /// over everything that arrived since the last take in one call.
    public func consumeInBatches(
        queue: String, consumerTag: String = "", noAck: Bool = false, exclusive: Bool = false,
        arguments: AMQPTable = [:]
    ) async throws -> (tag: String, deliveries: AMQPDeliveryQueue) {
        let deliveries = AMQPDeliveryQueue()
        let tag = try await startConsumer(
            queue: queue, consumerTag: consumerTag, noAck: noAck, exclusive: exclusive, arguments: arguments, sink: .queue(deliveries))
        return (tag, deliveries)
    }

    private func startConsumer(
        queue: String, consumerTag: String, noAck: Bool, exclusive: Bool, arguments: AMQPTable, sink: AMQPConsumerSink
    ) async throws -> String {
        let tag = consumerTag.isEmpty ? "fs-\(id)-\(UInt32.random(in: 0...UInt32.max))" : consumerTag
        // Registered before the request: deliveries may follow consume-ok immediately.
        try connection.state.withLockedValue { s in
            guard s.channels[id] != nil else { throw AMQPError.protocolError("channel \(id) is closed") }
            s.channels[id]!.consumers[tag] = sink
        }
        var w = MethodWriter(.basicConsume)
        w.u16(0)
        try w.short(queue)
        try w.short(tag)
        w.bit(false); w.bit(noAck); w.bit(exclusive); w.bit(false)
        try w.table(arguments)
        do {
            _ = try await call(w, .basicConsumeOk)
        } catch {
            _ = connection.state.withLockedValue { $0.channels[id]?.consumers.removeValue(forKey: tag) }
            sink.finish(throwing: error)
            throw error
        }
        return tag
    }

    /// Stops a consumer; its stream finishes.
    public func cancel(consumerTag: String) async throws {
        var w = MethodWriter(.basicCancel)
        try w.short(consumerTag)
        w.bit(false)
        _ = try await call(w, .basicCancelOk)
        let consumer = connection.state.withLockedValue { $0.channels[id]?.consumers.removeValue(forKey: consumerTag) }
        consumer?.finish()
    }

    /// Whether this channel can still carry acks (delivery tags belong to their channel:
    /// after a reconnect, acks for the old channel's deliveries are dropped, and the broker
    /// redelivers those messages).
    public var isOpen: Bool { connection.state.withLockedValue { $0.closed == nil && $0.channels.index(forKey: id) != nil } }

    /// Acknowledges; false (nothing sent) when the channel is gone.
    @discardableResult
    public func ack(deliveryTag: UInt64, multiple: Bool = false) -> Bool {
        guard isOpen else { return false }
        var w = MethodWriter(.basicAck)
        w.u64(deliveryTag)
        w.bit(multiple)
        connection.sendMethod(id, w.finish())
        return true
    }

    /// Rejects one delivery, or with `multiple` every one up to `deliveryTag` (basic.nack, a
    /// RabbitMQ extension); `requeue` puts them back in their queue, otherwise they are dropped
    /// or dead-lettered. False (nothing sent) when the channel is gone.
    @discardableResult
    public func nack(deliveryTag: UInt64, multiple: Bool = false, requeue: Bool = true) -> Bool {
        guard isOpen else { return false }
        var w = MethodWriter(.basicNack)
        w.u64(deliveryTag)
        w.bit(multiple)
        w.bit(requeue)
        connection.sendMethod(id, w.finish())
        return true
    }

    /// Rejects one delivery (basic.reject, the spec's form of ``nack(deliveryTag:multiple:requeue:)``);
    /// `requeue` puts it back, otherwise it is dropped or dead-lettered. False (nothing sent) when
    /// the channel is gone.
    @discardableResult
    public func reject(deliveryTag: UInt64, requeue: Bool = true) -> Bool {
        guard isOpen else { return false }
        var w = MethodWriter(.basicReject)
        w.u64(deliveryTag)
        w.bit(requeue)
        connection.sendMethod(id, w.finish())
        return true
    }

    /// Turns on publisher confirms: ``publish(_:exchange:routingKey:properties:)`` then returns
    /// only once the broker has taken responsibility for the message.
    public func confirmSelect() async throws {
        var w = MethodWriter(.confirmSelect)
        w.bit(false)
        _ = try await call(w, .confirmSelectOk)
        connection.state.withLockedValue { $0.channels[id]?.confirmMode = true }
    }

    /// Publishes a message (body split to the negotiated frame size). In confirm mode, waits
    /// for the broker's ack and throws ``AMQPError/publishNacked`` on a nack.
    public func publish(
        _ body: [UInt8], exchange: String = "", routingKey: String, properties: AMQPProperties = AMQPProperties(),
        mandatory: Bool = false
    ) async throws {
        let out = try encoded(
            [Message(body: body, exchange: exchange, routingKey: routingKey, properties: properties)], mandatory: mandatory)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            switch send(out, waiter: .continuation(continuation)) {
            case .failure(let error): continuation.resume(throwing: error)
            case .success(let confirming): if !confirming { continuation.resume() }
            }
        }
    }

    /// Publishes a message without waiting: the frames are written before this returns (so
    /// publishes from one task keep their order on the wire) and `confirmed` is called, on the
    /// connection's event loop, when the broker acks or nacks it — or the channel fails. Many
    /// publishes can then be in flight at once (pipelining), which `async` publishes in confirm
    /// mode cannot do from one task. Requires confirm mode (``confirmSelect()``).
    public func publish(
        _ body: [UInt8], exchange: String = "", routingKey: String, properties: AMQPProperties = AMQPProperties(),
        mandatory: Bool = false, confirmed: @escaping @Sendable (Result<Void, AMQPError>) -> Void
    ) throws(AMQPError) {
        let out = try encoded(
            [Message(body: body, exchange: exchange, routingKey: routingKey, properties: properties)], mandatory: mandatory)
        switch send(out, waiter: .callback(confirmed)) {
        case .failure(let error): throw error
        case .success(let confirming):
            guard confirming else { throw AMQPError.protocolError("a publish with a confirm callback needs confirm mode") }
        }
    }

    /// One message of ``publish(batch:)``.
    public struct Message: Sendable {
        public var body: [UInt8]
        public var exchange: String
        public var routingKey: String
        public var properties: AMQPProperties
        public init(body: [UInt8], exchange: String = "", routingKey: String, properties: AMQPProperties = AMQPProperties()) {
            self.body = body
            self.exchange = exchange
            self.routingKey = routingKey
            self.properties = properties
        }
    }

    /// Publishes `batch` in order with one socket write (fire-and-forget: not in confirm mode).
    /// Throws, with nothing written, when the channel is closed or in confirm mode.
    public func publish(batch: [Message]) throws(AMQPError) {
        guard !batch.isEmpty else { return }
        // A message that cannot be encoded (a routing key over 255 bytes) fails the batch before
        // anything is sent.
        let out = try encoded(batch, mandatory: false)
        let failure: AMQPError? = connection.state.withLockedValue { s in
            if let closed = s.closed { return closed }
            guard let (confirming, closed) = s.withChannel(id, { ($0.confirmMode, $0.closed) }) else {
                return .protocolError("channel \(id) is closed")
            }
            if let closed { return closed }
            guard !confirming else { return .protocolError("a batch publish cannot wait for confirms") }
            s.lastSent = .now()
            connection.nio.writeAndFlush(out, promise: nil)
            return nil
        }
        if let failure { throw failure }
    }

    /// The frames of `messages`, in order, written straight into one buffer (outside the lock).
    private func encoded(_ messages: [Message], mandatory: Bool) throws(AMQPError) -> ByteBuffer {
        let frameMax = connection.state.withLockedValue { Int($0.frameMax) - 8 }
        var out = connection.nio.allocator.buffer(capacity: messages.reduce(0) { $0 + $1.body.count + 256 })
        for message in messages { try Self.write(message, mandatory: mandatory, channel: id, frameMax: frameMax, into: &out) }
        return out
    }

    /// Appends one message's frames to `out`: method, header, and the body in frames of at most
    /// `frameMax` bytes, each written in place.
    private static func write(
        _ message: Message, mandatory: Bool, channel: UInt16, frameMax: Int, into out: inout ByteBuffer
    ) throws(AMQPError) {
        try out.writeFrame(.method, channel: channel) { (payload: inout ByteBuffer) throws(AMQPError) in
            payload.writeInteger(MethodID.basicPublish.classId)
            payload.writeInteger(MethodID.basicPublish.methodId)
            payload.writeInteger(UInt16(0))
            try payload.writeShortString(message.exchange)
            try payload.writeShortString(message.routingKey)
            payload.writeInteger(UInt8(mandatory ? 1 : 0))  // bits: mandatory, immediate (never)
        }
        try out.writeFrame(.header, channel: channel) { (payload: inout ByteBuffer) throws(AMQPError) in
            payload.writeInteger(UInt16(60))
            payload.writeInteger(UInt16(0))
            payload.writeInteger(UInt64(message.body.count))
            try message.properties.encode(into: &payload)
        }
        writeBody(message.body, channel: channel, frameMax: frameMax, into: &out)
    }

    /// Appends a body in frames of at most `frameMax` bytes.
    private static func writeBody(_ body: [UInt8], channel: UInt16, frameMax: Int, into out: inout ByteBuffer) {
        var offset = 0
        while offset < body.count {
            let end = min(offset + frameMax, body.count)
            out.writeInteger(Frame.Kind.body.rawValue)
            out.writeInteger(channel)
            out.writeInteger(UInt32(end - offset))
            out.writeBytes(body[offset..<end])
            out.writeInteger(UInt8(0xCE))
            offset = end
        }
    }

    /// Writes one message's frames; registers `waiter` for its confirm in confirm mode. Returns
    /// whether the channel is in confirm mode (else nobody will resolve the waiter).
    private func send(_ out: ByteBuffer, waiter: AMQPConnection.ConfirmWaiter) -> Result<Bool, AMQPError> {
        connection.state.withLockedValue { s in
            if let closed = s.closed { return .failure(closed) }
            // In place: a copy of the channel state held while its confirms grow would make that
            // append copy them all.
            let checked = s.withChannel(id) { c -> Result<Bool, AMQPError> in
                if let closed = c.closed { return .failure(closed) }
                if c.confirmMode { c.confirms.append(waiter) }
                return .success(c.confirmMode)
            }
            guard let checked else { return .failure(.protocolError("channel \(id) is closed")) }
            guard case .success(let confirming) = checked else { return checked }
            // Method, header and bodies go out together under the lock, in the order of the
            // confirms: frames of two publishes on one channel must not interleave.
            s.lastSent = .now()
            connection.nio.writeAndFlush(out, promise: nil)
            return .success(confirming)
        }
    }

    /// Closes the channel (its consumers finish).
    public func close() async throws {
        var w = MethodWriter(.channelClose)
        w.u16(200)
        try w.short("bye")
        w.u16(0)
        w.u16(0)
        _ = try await connection.call(id, w.finish(), expects: [.channelCloseOk])
    }
}
