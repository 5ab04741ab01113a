import Foundation
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix

/// A connection to an AMQP 0-9-1 broker (RabbitMQ) over SwiftNIO.
///
/// All protocol state sits behind one lock and is changed from the event loop as frames
/// arrive; callers use `async` methods that write frames and wait for their replies.
/// Server-initiated closes and lost connections fail every pending operation and end every
/// consumer stream with a typed ``AMQPError`` — nothing hangs.
public final class AMQPConnection: Sendable {
    let nio: any Channel
    let state: NIOLockedValueBox<ConnectionState>
    /// What the connection was opened with (the negotiated frame size and heartbeat may be smaller).
    public let configuration: AMQPConfiguration

    struct ChannelState {
        var rpc: [(expects: Set<MethodID>, continuation: CheckedContinuation<ReceivedMethod, any Error>)] = []
        var consumers: [String: AMQPConsumerSink] = [:]
        var incoming: Incoming?
        var confirmMode = false
        var confirms = PendingConfirms()
        var closed: AMQPError?
        var handle: AMQPChannel?

        /// The message assembled so far, as a delivery for its consumer; nil when it is a
        /// basic.return or for no known consumer (dropped).
        mutating func takeDelivery() -> (AMQPConsumerSink, AMQPDelivery)? {
            guard let incoming, let handle else { return nil }
            self.incoming = nil
            guard let sink = incoming.sink else { return nil }
            let delivery = AMQPDelivery(
                body: incoming.body, properties: incoming.properties ?? AMQPProperties(), deliveryTag: incoming.deliveryTag,
                redelivered: incoming.redelivered, arguments: incoming.arguments, channel: handle)
            return (sink, delivery)
        }
    }

    /// A message being assembled from its frames: basic.deliver (or basic.return), then its
    /// content header, then body frames.
    struct Incoming {
        /// Where a delivery goes; nil for a basic.return or a delivery to no known consumer
        /// (both dropped once complete).
        var sink: AMQPConsumerSink?
        var arguments: ByteBuffer
        var deliveryTag: UInt64 = 0
        var redelivered = false
        var properties: AMQPProperties?
        var size: UInt64 = 0
        var body: [UInt8] = []
    }

    /// Who waits for a publish's confirm: an `async` publish, or a callback (pipelined publishes).
    enum ConfirmWaiter {
        case continuation(CheckedContinuation<Void, any Error>)
        case callback(@Sendable (Result<Void, AMQPError>) -> Void)

        func resolve(_ result: Result<Void, AMQPError>) {
            switch self {
            case .continuation(let continuation): continuation.resume(with: result.mapError { $0 as any Error })
            case .callback(let callback): callback(result)
            }
        }
    }

    struct ConnectionState {
        var ready: CheckedContinuation<Void, any Error>?
        var channels: [UInt16: ChannelState] = [:]
        var nextChannel: UInt16 = 1
        var frameMax: UInt32 = 131_072
        var heartbeat: UInt16 = 0
        var closed: AMQPError?
        var closing: CheckedContinuation<Void, any Error>?
        var lastReceived = NIODeadline.now()
        var lastSent = NIODeadline.now()
        var blocked = false
        var heartbeatTask: RepeatedTask?

        /// `body` on a channel's state in place, nil when the channel is not open. Reading
        /// `channels[id]?.x` would copy the whole state (a retain per field) on every frame.
        mutating func withChannel<R, E: Error>(_ id: UInt16, _ body: (inout ChannelState) throws(E) -> R) throws(E) -> R? {
            guard let index = channels.index(forKey: id) else { return nil }
            return try body(&channels.values[index])
        }
    }

    private init(nio: any Channel, configuration: AMQPConfiguration) {
        self.nio = nio
        self.configuration = configuration
        state = NIOLockedValueBox(ConnectionState())
    }

    /// Connects, negotiates (PLAIN auth, tune, vhost) and returns an open connection.
    public static func connect(
        _ configuration: AMQPConfiguration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> AMQPConnection {
        let box = NIOLockedValueBox<AMQPConnection?>(nil)
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(FrameDecoder(maxFrameSize: Int(configuration.frameMax), box: box)))
                    try channel.pipeline.syncOperations.addHandler(AMQPFrameHandler(box: box))
                }
            }
            .connect(host: configuration.host, port: configuration.port).get()
        let connection = AMQPConnection(nio: channel, configuration: configuration)
        box.withLockedValue { $0 = connection }
        do {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                connection.state.withLockedValue { $0.ready = continuation }
                var header = channel.allocator.buffer(capacity: 8)
                header.writeBytes(Array("AMQP".utf8) + [0, 0, 9, 1])
                channel.writeAndFlush(header, promise: nil)
            }
        } catch {
            channel.close(promise: nil)
            throw error
        }
        connection.startHeartbeats()
        return connection
    }

    /// Whether the connection is still usable.
    public var isOpen: Bool { state.withLockedValue { $0.closed == nil } && nio.isActive }

    /// The error that closed the connection, if it is closed.
    public var closeError: AMQPError? { state.withLockedValue { $0.closed } }

    /// Completes when the socket closes.
    public var closeFuture: EventLoopFuture<Void> { nio.closeFuture }

    func send(_ kind: Frame.Kind, channel: UInt16, _ payload: ByteBuffer) {
        var frame = nio.allocator.buffer(capacity: payload.readableBytes + 8)
        frame.writeFrame(kind, channel: channel, payload: payload)
        state.withLockedValue { $0.lastSent = .now() }
        nio.writeAndFlush(frame, promise: nil)
    }

    func sendMethod(_ channel: UInt16, _ payload: ByteBuffer) { send(.method, channel: channel, payload) }

    /// Writes a method and waits for one of `expects` on the same channel (channel RPCs are
    /// answered in order, so the write happens under the lock that queues the waiter).
    func call(_ channel: UInt16, _ payload: ByteBuffer, expects: Set<MethodID>) async throws -> ReceivedMethod {
        try await withCheckedThrowingContinuation { continuation in
            let failure: AMQPError? = state.withLockedValue { s in
                if let closed = s.closed { return closed }
                if channel != 0 {
                    guard s.channels[channel] != nil else { return .protocolError("channel \(channel) is not open") }
                    if let closed = s.channels[channel]!.closed { return closed }
                    s.channels[channel]!.rpc.append((expects, continuation))
                } else {
                    s.channels[0, default: ChannelState()].rpc.append((expects, continuation))
                }
                var frame = nio.allocator.buffer(capacity: payload.readableBytes + 8)
                frame.writeFrame(.method, channel: channel, payload: payload)
                s.lastSent = .now()
                nio.writeAndFlush(frame, promise: nil)
                return nil
            }
            if let failure { continuation.resume(throwing: failure) }
        }
    }

    /// Opens a channel.
    public func openChannel() async throws -> AMQPChannel {
        let id: UInt16 = try state.withLockedValue { s in
            if let closed = s.closed { throw closed }
            var id = s.nextChannel
            while s.channels[id] != nil { id = id == UInt16.max ? 1 : id + 1 }
            s.nextChannel = id == UInt16.max ? 1 : id + 1
            s.channels[id] = ChannelState()
            return id
        }
        let channel = AMQPChannel(connection: self, id: id)
        state.withLockedValue { $0.channels[id]?.handle = channel }
        var w = MethodWriter(.channelOpen)
        try w.short("")
        _ = try await call(id, w.finish(), expects: [.channelOpenOk])
        return channel
    }

    /// Closes the connection gracefully (connection.close handshake); pending operations fail.
    public func close() async throws {
        let alreadyClosed = state.withLockedValue { $0.closed != nil }
        if alreadyClosed || !nio.isActive {
            try? await nio.close()
            return
        }
        var w = MethodWriter(.connectionClose)
        w.u16(200)
        try w.short("bye")
        w.u16(0)
        w.u16(0)
        let payload = w.finish()
        try? await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            state.withLockedValue { $0.closing = continuation }
            sendMethod(0, payload)
            nio.eventLoop.scheduleTask(in: .seconds(5)) { [nio] in nio.close(promise: nil) }
        }
        fail(.connectionLost("closed by the client"))
        try? await nio.close()
    }

    private func startHeartbeats() {
        let interval = state.withLockedValue { $0.heartbeat }
        guard interval > 0 else { return }
        let period = TimeAmount.seconds(Int64(interval))
        let task = nio.eventLoop.scheduleRepeatedTask(
            initialDelay: .milliseconds(Int64(interval) * 250), delay: .milliseconds(Int64(interval) * 250)
        ) { [weak self] task in
            guard let self else { task.cancel(); return }
            let (lastReceived, lastSent, closed) = self.state.withLockedValue { ($0.lastReceived, $0.lastSent, $0.closed) }
            if closed != nil { task.cancel(); return }
            let now = NIODeadline.now()
            if now - lastReceived > period * 2 {
                self.fail(.heartbeatTimeout)
                self.nio.close(promise: nil)
                task.cancel()
                return
            }
            if now - lastSent > .nanoseconds(period.nanoseconds / 2) { self.send(.heartbeat, channel: 0, ByteBuffer()) }
        }
        state.withLockedValue { $0.heartbeatTask = task }
    }

    /// Fails everything pending with `error` (first error wins).
    func fail(_ error: AMQPError) {
        let (channels, ready, closing) = state.withLockedValue {
            s -> ([UInt16: ChannelState], CheckedContinuation<Void, any Error>?, CheckedContinuation<Void, any Error>?) in
            if s.closed == nil { s.closed = error }
            let channels = s.channels
            s.channels = [:]
            let ready = s.ready
            s.ready = nil
            let closing = s.closing
            s.closing = nil
            s.heartbeatTask?.cancel()
            return (channels, ready, closing)
        }
        ready?.resume(throwing: error)
        closing?.resume()
        for (_, channel) in channels { Self.failChannel(channel, error) }
    }

    static func failChannel(_ channel: ChannelState, _ error: AMQPError) {
        for pending in channel.rpc { pending.continuation.resume(throwing: error) }
        for (_, consumer) in channel.consumers { consumer.finish(throwing: error) }
        var pending = channel.confirms
        for confirm in pending.removeAll() { confirm.resolve(.failure(error)) }
    }

    // MARK: - Inbound

    /// Bytes came from the broker (once per socket read, not per frame): it is alive.
    func heardFromBroker() { state.withLockedValue { $0.lastReceived = .now() } }

    func received(_ frame: Frame) {
        do throws(AMQPError) {
            switch frame.kind {
            case .heartbeat: return
            case .method:
                var payload = frame.payload
                let id = MethodID(try payload.readOrThrow(UInt16.self), try payload.readOrThrow(UInt16.self))
                try handleMethod(ReceivedMethod(id: id, arguments: payload), channel: frame.channel)
            case .header:
                var payload = frame.payload
                _ = try payload.readOrThrow(UInt16.self)  // class
                _ = try payload.readOrThrow(UInt16.self)  // weight
                let size = try payload.readOrThrow(UInt64.self)
                let properties = try AMQPProperties.decode(from: &payload)
                let complete = state.withLockedValue { s in
                    s.withChannel(frame.channel) { c -> (AMQPConsumerSink, AMQPDelivery)? in
                        guard c.incoming != nil else { return nil }
                        c.incoming!.properties = properties
                        c.incoming!.size = size
                        return size == 0 ? c.takeDelivery() : nil
                    } ?? nil
                }
                if let (sink, delivery) = complete { sink.yield(delivery) }
            case .body:
                let complete = state.withLockedValue { s in
                    s.withChannel(frame.channel) { c -> (AMQPConsumerSink, AMQPDelivery)? in
                        guard c.incoming != nil else { return nil }
                        c.incoming!.body += frame.payload.readableBytesView
                        return UInt64(c.incoming!.body.count) >= c.incoming!.size ? c.takeDelivery() : nil
                    } ?? nil
                }
                if let (sink, delivery) = complete { sink.yield(delivery) }
            }
        } catch {
            fail(error)
            nio.close(promise: nil)
        }
    }

    /// A basic.deliver's consumer (found by comparing the tag's bytes: no string per delivery),
    /// delivery tag and flags; nil when its arguments are truncated or name no consumer of this
    /// channel (the message is then dropped, as a basic.return is).
    private static func deliver(_ arguments: ByteBuffer, consumers: [String: AMQPConsumerSink]) -> Incoming? {
        guard let parsed = DeliverArguments(arguments),
            let sink = parsed.consumerTag.withUnsafeReadableBytes({ tag in consumers.first { $0.key.utf8.elementsEqual(tag) }?.value })
        else { return nil }
        return Incoming(sink: sink, arguments: arguments, deliveryTag: parsed.deliveryTag, redelivered: parsed.redelivered)
    }

    private func handleMethod(_ method: ReceivedMethod, channel: UInt16) throws(AMQPError) {
        var args = method.arguments
        switch method.id {
        case .connectionStart:
            var w = MethodWriter(.connectionStartOk)
            try w.table([
                "product": .string("feature-service"), "connection_name": .string(configuration.connectionName),
                "capabilities": .table([
                    "publisher_confirms": .bool(true), "consumer_cancel_notify": .bool(true),
                    "basic.nack": .bool(true), "connection.blocked": .bool(true),
                    "authentication_failure_close": .bool(true),
                ]),
            ])
            try w.short("PLAIN")
            w.long([0] + Array(configuration.user.utf8) + [0] + Array(configuration.password.utf8))
            try w.short("en_US")
            sendMethod(0, w.finish())
        case .connectionTune:
            _ = try args.readOrThrow(UInt16.self)  // channel max
            let serverFrameMax = try args.readOrThrow(UInt32.self)
            let serverHeartbeat = try args.readOrThrow(UInt16.self)
            let frameMax = serverFrameMax == 0 ? configuration.frameMax : min(serverFrameMax, configuration.frameMax)
            let heartbeat = serverHeartbeat == 0 ? configuration.heartbeat : min(serverHeartbeat, configuration.heartbeat)
            state.withLockedValue { s in
                s.frameMax = frameMax
                s.heartbeat = heartbeat
            }
            var w = MethodWriter(.connectionTuneOk)
            w.u16(2047)
            w.u32(frameMax)
            w.u16(heartbeat)
            sendMethod(0, w.finish())
            var open = MethodWriter(.connectionOpen)
            try open.short(configuration.vhost)
            try open.short("")
            open.bit(false)
            sendMethod(0, open.finish())
        case .connectionOpenOk:
            let ready = state.withLockedValue { s -> CheckedContinuation<Void, any Error>? in
                defer { s.ready = nil }
                return s.ready
            }
            ready?.resume()
        case .connectionClose:
            let code = try args.readOrThrow(UInt16.self)
            let text = try args.readShortStringOrThrow()
            var closeOk = MethodWriter(.connectionCloseOk)
            sendMethod(0, closeOk.finish())
            let handshake = state.withLockedValue { $0.ready != nil }
            fail(
                handshake && (code == 403 || code == 530)
                    ? .authenticationFailed("\(code) \(text)") : .connectionClosed(code: code, text: text))
            nio.close(promise: nil)
        case .connectionCloseOk:
            let closing = state.withLockedValue { s -> CheckedContinuation<Void, any Error>? in
                defer { s.closing = nil }
                return s.closing
            }
            closing?.resume()
            nio.close(promise: nil)
        case .connectionBlocked:
            state.withLockedValue { $0.blocked = true }
        case .connectionUnblocked:
            state.withLockedValue { $0.blocked = false }
        case .channelClose:
            let code = try args.readOrThrow(UInt16.self)
            let text = try args.readShortStringOrThrow()
            let classId = try args.readOrThrow(UInt16.self)
            let methodId = try args.readOrThrow(UInt16.self)
            let error = AMQPError.channelClosed(code: code, text: text, classId: classId, methodId: methodId)
            let removed = state.withLockedValue { $0.channels.removeValue(forKey: channel) }
            var channelCloseOk = MethodWriter(.channelCloseOk)
            sendMethod(channel, channelCloseOk.finish())
            if let removed { Self.failChannel(removed, error) }
        case .channelFlow:
            let active = (try args.readOrThrow(UInt8.self)) & 1 == 1
            var w = MethodWriter(.channelFlowOk)
            w.bit(active)
            sendMethod(channel, w.finish())
        case .basicDeliver:
            state.withLockedValue { s in
                s.withChannel(channel) { c in
                    c.incoming = Self.deliver(args, consumers: c.consumers) ?? Incoming(sink: nil, arguments: args)
                }
            }
        case .basicReturn:
            state.withLockedValue { $0.channels[channel]?.incoming = Incoming(sink: nil, arguments: args) }
        case .basicAck, .basicNack:
            let tag = try args.readOrThrow(UInt64.self)
            let multiple = (try args.readOrThrow(UInt8.self)) & 1 == 1
            let resolved: [ConfirmWaiter] = state.withLockedValue { s in
                // In place: a copy of the channel state would copy its pending confirms.
                s.channels[channel]?.confirms.settle(tag, multiple: multiple) ?? []
            }
            for c in resolved {
                c.resolve(method.id == .basicAck ? .success(()) : .failure(.publishNacked))
            }
        case .basicCancel:
            // The broker cancelled a consumer (queue deleted, node failover).
            let tag = try args.readShortStringOrThrow()
            let consumer = state.withLockedValue { $0.channels[channel]?.consumers.removeValue(forKey: tag) }
            consumer?.finish(
                throwing: AMQPError.channelClosed(code: 0, text: "consumer \(tag) cancelled by the broker", classId: 60, methodId: 30))
        case .channelCloseOk:
            let removed = state.withLockedValue { $0.channels.removeValue(forKey: channel) }
            if let removed {
                for pending in removed.rpc where pending.expects.contains(.channelCloseOk) {
                    pending.continuation.resume(returning: method)
                }
                for (_, consumer) in removed.consumers { consumer.finish() }
            }
        default:
            let waiter = state.withLockedValue { s -> CheckedContinuation<ReceivedMethod, any Error>? in
                guard let first = s.channels[channel]?.rpc.first, first.expects.contains(method.id) else { return nil }
                s.channels[channel]?.rpc.removeFirst()
                return first.continuation
            }
            guard let waiter else {
                throw .protocolError("unexpected method \(method.id.classId).\(method.id.methodId) on channel \(channel)")
            }
            waiter.resume(returning: method)
        }
    }
}

/// Tells the connection when a socket read is done and when the socket is lost (the frames
/// themselves go from ``FrameDecoder`` to the connection directly).
final class AMQPFrameHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = Never
    let box: NIOLockedValueBox<AMQPConnection?>

    init(box: NIOLockedValueBox<AMQPConnection?>) { self.box = box }

    func channelReadComplete(context: ChannelHandlerContext) {
        box.withLockedValue { $0 }?.heardFromBroker()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        box.withLockedValue { $0 }?.fail(.connectionLost("socket closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        box.withLockedValue { $0 }?.fail((error as? AMQPError) ?? .connectionLost("\(error)"))
        context.close(promise: nil)
    }
}
