import NIOConcurrencyHelpers
import NIOCore

/// One AMQP frame: `type(1) channel(2) size(4) payload frame-end(0xCE)`.
struct Frame: Sendable {
    enum Kind: UInt8 { case method = 1, header = 2, body = 3, heartbeat = 8 }
    var kind: Kind
    var channel: UInt16
    var payload: ByteBuffer
}

/// Splits the byte stream into frames, enforcing the negotiated frame size, and hands each to
/// the connection directly: a frame passed down the pipeline would be boxed (`NIOAny`) — an
/// allocation per frame, three per delivery.
final class FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = Never
    var maxFrameSize: Int
    private let box: NIOLockedValueBox<AMQPConnection?>
    /// Taken from `box` at the first frame (the connection is set before the protocol header is sent).
    private var connection: AMQPConnection?

    init(maxFrameSize: Int, box: NIOLockedValueBox<AMQPConnection?>) {
        self.maxFrameSize = maxFrameSize
        self.box = box
    }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard buffer.readableBytes >= 7 else { return .needMoreData }
        let start = buffer.readerIndex
        guard let type = buffer.getInteger(at: start, as: UInt8.self), let channel = buffer.getInteger(at: start + 1, as: UInt16.self),
            let size = buffer.getInteger(at: start + 3, as: UInt32.self)
        else { return .needMoreData }
        guard Int(size) <= maxFrameSize else { throw AMQPError.protocolError("frame of \(size) bytes exceeds frame_max \(maxFrameSize)") }
        guard buffer.readableBytes >= 8 + Int(size) else { return .needMoreData }
        guard let kind = Frame.Kind(rawValue: type) else { throw AMQPError.protocolError("unknown frame type \(type)") }
        guard buffer.getInteger(at: start + 7 + Int(size), as: UInt8.self) == 0xCE else {
            throw AMQPError.protocolError("missing frame end")
        }
        let payload = buffer.getSlice(at: start + 7, length: Int(size))!
        buffer.moveReaderIndex(forwardBy: 8 + Int(size))
        if connection == nil { connection = box.withLockedValue { $0 } }
        connection?.received(Frame(kind: kind, channel: channel, payload: payload))
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

    /// Writes a frame whose payload `payload` writes in place; its size is filled in after (no
    /// buffer per frame).
    mutating func writeFrame(
        _ kind: Frame.Kind, channel: UInt16, payload: (inout ByteBuffer) throws(AMQPError) -> Void
    ) throws(AMQPError) {
        writeInteger(kind.rawValue)
        writeInteger(channel)
        let sizeIndex = writerIndex
        writeInteger(UInt32(0))
        try payload(&self)
        setInteger(UInt32(writerIndex - sizeIndex - 4), at: sizeIndex)
        writeInteger(UInt8(0xCE))
    }
}
