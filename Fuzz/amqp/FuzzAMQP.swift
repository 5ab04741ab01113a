import NIOCore
import NIOEmbedded

// libFuzzer target: the AMQP 0-9-1 wire decoders. The input is a byte stream from the broker:
// FrameDecoder (through NIO's ByteToMessageHandler on an EmbeddedChannel) splits it into frames,
// then each frame's payload is read as AMQPConnection.received does: method ids and the
// arguments of every method the client parses, content headers (AMQPProperties.decode with
// field tables), and the deliver arguments. Decoded properties must re-encode to the same bytes.
// The decoders are internal: the module is built with testing enabled (debug) and imported @testable.
@testable import AMQP

func parseMethod(_ payload: ByteBuffer) throws(AMQPError) {
    var args = payload
    let id = MethodID(try args.readOrThrow(UInt16.self), try args.readOrThrow(UInt16.self))
    switch id {
    case .connectionStart:
        _ = try args.readOrThrow(UInt8.self)  // version major
        _ = try args.readOrThrow(UInt8.self)  // version minor
        _ = try args.readTableOrThrow()  // server properties
        _ = try args.readLongBytesOrThrow()  // mechanisms
        _ = try args.readLongBytesOrThrow()  // locales
    case .connectionTune:
        _ = try args.readOrThrow(UInt16.self)
        _ = try args.readOrThrow(UInt32.self)
        _ = try args.readOrThrow(UInt16.self)
    case .connectionClose:
        _ = try args.readOrThrow(UInt16.self)
        _ = try args.readShortStringOrThrow()
    case .channelClose:
        _ = try args.readOrThrow(UInt16.self)
        _ = try args.readShortStringOrThrow()
        _ = try args.readOrThrow(UInt16.self)
        _ = try args.readOrThrow(UInt16.self)
    case .channelFlow:
        _ = try args.readOrThrow(UInt8.self)
    case .basicAck, .basicNack:
        _ = try args.readOrThrow(UInt64.self)
        _ = try args.readOrThrow(UInt8.self)
    case .basicCancel, .basicConsumeOk:
        _ = try args.readShortStringOrThrow()
    case .queueDeclareOk:
        _ = try args.readShortStringOrThrow()
        _ = try args.readOrThrow(UInt32.self)
        _ = try args.readOrThrow(UInt32.self)
    case .basicDeliver:
        _ = try args.readShortStringOrThrow()  // consumer tag
        _ = try args.readOrThrow(UInt64.self)  // delivery tag
        _ = try args.readOrThrow(UInt8.self)  // redelivered
        _ = try args.readShortStringOrThrow()  // exchange
        _ = try args.readShortStringOrThrow()  // routing key
    default:
        break
    }
}

func parseHeader(_ payload: ByteBuffer) throws(AMQPError) {
    var header = payload
    _ = try header.readOrThrow(UInt16.self)  // class
    _ = try header.readOrThrow(UInt16.self)  // weight
    _ = try header.readOrThrow(UInt64.self)  // body size
    let properties = try AMQPProperties.decode(from: &header)
    // Round trip: what we decoded encodes, and decoding that gives the same bytes again.
    var once = ByteBuffer()
    try properties.encode(into: &once)
    var copy = once
    let again = try AMQPProperties.decode(from: &copy)
    precondition(copy.readableBytes == 0, "re-encoded properties not read to the end")
    var twice = ByteBuffer()
    try again.encode(into: &twice)
    precondition(once == twice, "properties do not re-encode to the same bytes")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAMQP(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(maxFrameSize: 131_072)))
    defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
    var buffer = channel.allocator.buffer(capacity: count)
    buffer.writeBytes(UnsafeRawBufferPointer(start: start, count: count))
    _ = try? channel.writeInbound(buffer)
    while let frame = try? channel.readInbound(as: Frame.self) {
        switch frame.kind {
        case .method: try? parseMethod(frame.payload)
        case .header: try? parseHeader(frame.payload)
        case .body, .heartbeat: _ = frame.payload.readableBytesView.count
        }
    }
    return 0
}
