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
