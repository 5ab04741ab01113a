import NIOCore

/// A method frame's class and method ids.
struct MethodID: Hashable, Sendable {
    var classId: UInt16
    var methodId: UInt16
    init(_ c: UInt16, _ m: UInt16) { classId = c; methodId = m }

    static let connectionStart = MethodID(10, 10), connectionStartOk = MethodID(10, 11), connectionTune = MethodID(10, 30)
    static let connectionTuneOk = MethodID(10, 31), connectionOpen = MethodID(10, 40), connectionOpenOk = MethodID(10, 41)
    static let connectionClose = MethodID(10, 50), connectionCloseOk = MethodID(10, 51)
    static let connectionBlocked = MethodID(10, 60), connectionUnblocked = MethodID(10, 61)
    static let channelOpen = MethodID(20, 10), channelOpenOk = MethodID(20, 11), channelFlow = MethodID(20, 20),
        channelFlowOk = MethodID(20, 21)
    static let channelClose = MethodID(20, 40), channelCloseOk = MethodID(20, 41)
    static let exchangeDeclare = MethodID(40, 10), exchangeDeclareOk = MethodID(40, 11)
    static let queueDeclare = MethodID(50, 10), queueDeclareOk = MethodID(50, 11), queueBind = MethodID(50, 20),
        queueBindOk = MethodID(50, 21), queueUnbind = MethodID(50, 50), queueUnbindOk = MethodID(50, 51)
    static let queuePurge = MethodID(50, 30), queuePurgeOk = MethodID(50, 31), queueDelete = MethodID(50, 40),
        queueDeleteOk = MethodID(50, 41)
    static let basicQos = MethodID(60, 10), basicQosOk = MethodID(60, 11), basicConsume = MethodID(60, 20),
        basicConsumeOk = MethodID(60, 21)
    static let basicCancel = MethodID(60, 30), basicCancelOk = MethodID(60, 31), basicPublish = MethodID(60, 40),
        basicReturn = MethodID(60, 50)
    static let basicDeliver = MethodID(60, 60), basicAck = MethodID(60, 80), basicReject = MethodID(60, 90), basicNack = MethodID(60, 120)
    static let confirmSelect = MethodID(85, 10), confirmSelectOk = MethodID(85, 11)
}

/// A received method: its id and the argument bytes.
struct ReceivedMethod: Sendable {
    var id: MethodID
    var arguments: ByteBuffer
}

/// Builds method frame payloads.
struct MethodWriter {
    var buffer = ByteBuffer()
    private var bits: UInt8 = 0
    private var bitCount = 0

    init(_ id: MethodID) {
        buffer.writeInteger(id.classId)
        buffer.writeInteger(id.methodId)
    }

    private mutating func flushBits() {
        if bitCount > 0 {
            buffer.writeInteger(bits)
            bits = 0
            bitCount = 0
        }
    }

    mutating func bit(_ value: Bool) {
        if value { bits |= 1 << UInt8(bitCount) }
        bitCount += 1
        if bitCount == 8 { flushBits() }
    }
    mutating func u8(_ v: UInt8) { flushBits(); buffer.writeInteger(v) }
    mutating func u16(_ v: UInt16) { flushBits(); buffer.writeInteger(v) }
    mutating func u32(_ v: UInt32) { flushBits(); buffer.writeInteger(v) }
    mutating func u64(_ v: UInt64) { flushBits(); buffer.writeInteger(v) }
    mutating func short(_ s: String) throws(AMQPError) { flushBits(); try buffer.writeShortString(s) }
    mutating func long(_ bytes: [UInt8]) { flushBits(); buffer.writeLongString(bytes) }
    mutating func table(_ t: AMQPTable) throws(AMQPError) { flushBits(); try buffer.writeTable(t) }
    mutating func finish() -> ByteBuffer { flushBits(); return buffer }
}
