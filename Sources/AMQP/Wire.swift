import NIOCore

/// AMQP 0-9-1 data types on a `ByteBuffer` (spec §4.2.5): short and long strings, field tables
/// and field values. Reads are bounds-checked and throw ``AMQPError/protocolError(_:)``.
extension ByteBuffer {
    mutating func writeShortString(_ s: String) throws(AMQPError) {
        // Written from the string's own bytes (two per publish: an array each was an allocation).
        let count = s.utf8.count
        guard count <= 255 else { throw .protocolError("short string longer than 255 bytes") }
        writeInteger(UInt8(count))
        writeString(s)
    }

    mutating func writeLongString(_ bytes: [UInt8]) {
        writeInteger(UInt32(bytes.count))
        writeBytes(bytes)
    }

    mutating func readShortStringOrThrow() throws(AMQPError) -> String {
        // Straight from the buffer: no byte array before the string.
        guard let length = readInteger(as: UInt8.self), let text = readString(length: Int(length)) else {
            throw .protocolError("truncated short string")
        }
        return text
    }

    mutating func readLongBytesOrThrow() throws(AMQPError) -> [UInt8] {
        guard let length = readInteger(as: UInt32.self), Int(length) <= readableBytes, let bytes = readBytes(length: Int(length)) else {
            throw .protocolError("truncated long string")
        }
        return bytes
    }

    mutating func readOrThrow<T: FixedWidthInteger>(_ type: T.Type) throws(AMQPError) -> T {
        guard let value = readInteger(as: T.self) else { throw .protocolError("truncated \(T.self)") }
        return value
    }

    mutating func writeTable(_ table: AMQPTable) throws(AMQPError) {
        var inner = ByteBuffer()
        for key in table.keys.sorted() {
            try inner.writeShortString(key)
            try inner.writeFieldValue(table[key]!)
        }
        writeInteger(UInt32(inner.readableBytes))
        writeBuffer(&inner)
    }

    mutating func writeFieldValue(_ value: AMQPFieldValue) throws(AMQPError) {
        switch value {
        case .bool(let v): writeInteger(UInt8(ascii: "t")); writeInteger(UInt8(v ? 1 : 0))
        case .int8(let v): writeInteger(UInt8(ascii: "b")); writeInteger(v)
        case .uint8(let v): writeInteger(UInt8(ascii: "B")); writeInteger(v)
        case .int16(let v): writeInteger(UInt8(ascii: "s")); writeInteger(v)
        case .uint16(let v): writeInteger(UInt8(ascii: "u")); writeInteger(v)
        case .int32(let v): writeInteger(UInt8(ascii: "I")); writeInteger(v)
        case .uint32(let v): writeInteger(UInt8(ascii: "i")); writeInteger(v)
        case .int64(let v): writeInteger(UInt8(ascii: "l")); writeInteger(v)
        case .float(let v): writeInteger(UInt8(ascii: "f")); writeInteger(v.bitPattern)
        case .double(let v): writeInteger(UInt8(ascii: "d")); writeInteger(v.bitPattern)
        case .decimal(let scale, let v): writeInteger(UInt8(ascii: "D")); writeInteger(scale); writeInteger(v)
        case .string(let v): writeInteger(UInt8(ascii: "S")); writeLongString(Array(v.utf8))
        case .bytes(let v): writeInteger(UInt8(ascii: "x")); writeLongString(v)
        case .array(let values):
            writeInteger(UInt8(ascii: "A"))
            var inner = ByteBuffer()
            for v in values { try inner.writeFieldValue(v) }
            writeInteger(UInt32(inner.readableBytes))
            writeBuffer(&inner)
        case .timestamp(let v): writeInteger(UInt8(ascii: "T")); writeInteger(v)
        case .table(let t): writeInteger(UInt8(ascii: "F")); try writeTable(t)
        case .void: writeInteger(UInt8(ascii: "V"))
        }
    }

    mutating func readTableOrThrow(depth: Int = 0) throws(AMQPError) -> AMQPTable {
        guard depth < 16 else { throw .protocolError("field tables nested too deep") }
        let length = Int(try readOrThrow(UInt32.self))
        guard length <= readableBytes, var inner = readSlice(length: length) else { throw .protocolError("field table past the frame") }
        var table: AMQPTable = [:]
        while inner.readableBytes > 0 {
            let key = try inner.readShortStringOrThrow()
            table[key] = try inner.readFieldValueOrThrow(depth: depth)
        }
        return table
    }

    mutating func readFieldValueOrThrow(depth: Int) throws(AMQPError) -> AMQPFieldValue {
        let tag = try readOrThrow(UInt8.self)
        switch tag {
        case UInt8(ascii: "t"): return .bool(try readOrThrow(UInt8.self) != 0)
        case UInt8(ascii: "b"): return .int8(try readOrThrow(Int8.self))
        case UInt8(ascii: "B"): return .uint8(try readOrThrow(UInt8.self))
        case UInt8(ascii: "s"): return .int16(try readOrThrow(Int16.self))
        case UInt8(ascii: "u"): return .uint16(try readOrThrow(UInt16.self))
        case UInt8(ascii: "I"): return .int32(try readOrThrow(Int32.self))
        case UInt8(ascii: "i"): return .uint32(try readOrThrow(UInt32.self))
        case UInt8(ascii: "l"), UInt8(ascii: "L"): return .int64(try readOrThrow(Int64.self))
        case UInt8(ascii: "f"): return .float(Float(bitPattern: try readOrThrow(UInt32.self)))
        case UInt8(ascii: "d"): return .double(Double(bitPattern: try readOrThrow(UInt64.self)))
        case UInt8(ascii: "D"): return .decimal(scale: try readOrThrow(UInt8.self), value: try readOrThrow(UInt32.self))
        case UInt8(ascii: "S"): return .string(String(decoding: try readLongBytesOrThrow(), as: UTF8.self))
        case UInt8(ascii: "x"): return .bytes(try readLongBytesOrThrow())
        case UInt8(ascii: "A"):
            let length = Int(try readOrThrow(UInt32.self))
            guard length <= readableBytes, var inner = readSlice(length: length) else { throw .protocolError("field array past the frame") }
            var values: [AMQPFieldValue] = []
            while inner.readableBytes > 0 { values.append(try inner.readFieldValueOrThrow(depth: depth + 1)) }
            return .array(values)
        case UInt8(ascii: "T"): return .timestamp(try readOrThrow(UInt64.self))
        case UInt8(ascii: "F"): return .table(try readTableOrThrow(depth: depth + 1))
        case UInt8(ascii: "V"): return .void
        default: throw .protocolError("unknown field type '\(Character(Unicode.Scalar(tag)))'")
        }
    }
}
