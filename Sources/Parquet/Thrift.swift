/// Thrift compact protocol: just what Parquet's metadata needs, written from the protocol
/// description. Decoding builds a small tree (unknown fields are kept and ignored), every
/// length is checked against the bytes left, and nesting is bounded.
enum ThriftType: UInt8 {
    case stop = 0, boolTrue = 1, boolFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6, double = 7, binary = 8, list = 9, set = 10,
        map = 11, structure = 12
}

/// A decoded Thrift value.
indirect enum ThriftValue {
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case binary([UInt8])
    case list([ThriftValue])
    case structure([Int16: ThriftValue])
    case map

    var int: Int64? { if case .int(let v) = self { v } else { nil } }
    var bool: Bool? { if case .bool(let v) = self { v } else { nil } }
    var binary: [UInt8]? { if case .binary(let v) = self { v } else { nil } }
    var list: [ThriftValue]? { if case .list(let v) = self { v } else { nil } }
    var fields: [Int16: ThriftValue]? { if case .structure(let v) = self { v } else { nil } }
    var string: String? { binary.map { String(decoding: $0, as: UTF8.self) } }
}

/// Writes compact-protocol structs field by field.
struct ThriftWriter {
    /// Varints and zigzag come from ``ByteSink`` (the same ULEB128 the encodings use).
    private var sink = ByteSink()
    var bytes: [UInt8] {
        get { sink.bytes }
        _modify { yield &sink.bytes }
    }
    private var lastField: [Int16] = [0]

    mutating func varint(_ value: UInt64) { sink.varint(value) }
    mutating func zigzag(_ value: Int64) { sink.zigzag(value) }

    private mutating func fieldHeader(_ id: Int16, _ type: ThriftType) {
        let delta = id - lastField[lastField.count - 1]
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            zigzag(Int64(id))
        }
        lastField[lastField.count - 1] = id
    }

    mutating func bool(_ id: Int16, _ value: Bool) { fieldHeader(id, value ? .boolTrue : .boolFalse) }
    mutating func i32(_ id: Int16, _ value: Int32) { fieldHeader(id, .i32); zigzag(Int64(value)) }
    mutating func i64(_ id: Int16, _ value: Int64) { fieldHeader(id, .i64); zigzag(value) }
    mutating func binary(_ id: Int16, _ value: [UInt8]) {
        fieldHeader(id, .binary)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }
    mutating func string(_ id: Int16, _ value: String) { binary(id, Array(value.utf8)) }

    mutating func beginStruct(_ id: Int16) {
        fieldHeader(id, .structure)
        lastField.append(0)
    }

    mutating func endStruct() {
        bytes.append(0)
        lastField.removeLast()
    }

    /// A list field of structs; `body` writes each element between begin/end.
    mutating func structList<T>(_ id: Int16, _ elements: [T], _ body: (inout ThriftWriter, T) -> Void) {
        fieldHeader(id, .list)
        listHeader(elements.count, .structure)
        for element in elements {
            lastField.append(0)
            body(&self, element)
            bytes.append(0)
            lastField.removeLast()
        }
    }

    mutating func i32List(_ id: Int16, _ elements: [Int32]) {
        fieldHeader(id, .list)
        listHeader(elements.count, .i32)
        for element in elements { zigzag(Int64(element)) }
    }

    mutating func stringList(_ id: Int16, _ elements: [String]) {
        fieldHeader(id, .list)
        listHeader(elements.count, .binary)
        for element in elements {
            varint(UInt64(element.utf8.count))
            bytes.append(contentsOf: element.utf8)
        }
    }

    private mutating func listHeader(_ count: Int, _ type: ThriftType) {
        if count < 15 {
            bytes.append(UInt8(count) << 4 | type.rawValue)
        } else {
            bytes.append(0xF0 | type.rawValue)
            varint(UInt64(count))
        }
    }

    /// Ends the top-level struct.
    mutating func finish() -> [UInt8] {
        bytes.append(0)
        return bytes
    }
}

/// Reads one compact-protocol struct from bytes.
struct ThriftReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int
    private var depth = 0

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    private mutating func byte() throws(ParquetError) -> UInt8 {
        guard offset < bytes.count else { throw .corrupt("thrift: unexpected end of metadata") }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func varint() throws(ParquetError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw .corrupt("thrift: varint too long") }
        }
    }

    private mutating func zigzag() throws(ParquetError) -> Int64 {
        let v = try varint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    /// Reads a struct (the reader is positioned at its first field header).
    mutating func readStruct() throws(ParquetError) -> [Int16: ThriftValue] {
        depth += 1
        defer { depth -= 1 }
        if depth > 32 { throw .corrupt("thrift: nesting too deep") }
        var fields: [Int16: ThriftValue] = [:]
        var lastId: Int16 = 0
        while true {
            let header = try byte()
            if header == 0 { return fields }
            let typeCode = header & 0x0F
            let delta = header >> 4
            let id: Int16
            if delta != 0 {
                id = lastId &+ Int16(delta)
            } else {
                let raw = try zigzag()
                guard let value = Int16(exactly: raw) else { throw .corrupt("thrift: field id out of range") }
                id = value
            }
            lastId = id
            guard let type = ThriftType(rawValue: typeCode) else { throw .corrupt("thrift: unknown type \(typeCode) for field \(id)") }
            fields[id] = try readValue(type)
        }
    }

    private mutating func readValue(_ type: ThriftType) throws(ParquetError) -> ThriftValue {
        switch type {
        case .stop: throw .corrupt("thrift: unexpected stop")
        case .boolTrue: return .bool(true)
        case .boolFalse: return .bool(false)
        case .byte: return .int(Int64(Int8(bitPattern: try byte())))
        case .i16, .i32, .i64: return .int(try zigzag())
        case .double:
            guard bytes.count - offset >= 8 else { throw .corrupt("thrift: truncated double") }
            var bits: UInt64 = 0
            for i in 0..<8 { bits |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
            offset += 8
            return .double(Double(bitPattern: bits))
        case .binary:
            let length = try varint()
            guard length <= UInt64(bytes.count - offset) else { throw .corrupt("thrift: binary length \(length) past the end") }
            let value = Array(bytes[offset..<(offset + Int(length))])
            offset += Int(length)
            return .binary(value)
        case .list, .set:
            let header = try byte()
            var count = UInt64(header >> 4)
            if count == 15 { count = try varint() }
            guard count <= UInt64(bytes.count - offset) else { throw .corrupt("thrift: list of \(count) elements past the end") }
            guard let elementType = ThriftType(rawValue: header & 0x0F) else { throw .corrupt("thrift: unknown list element type") }
            var elements: [ThriftValue] = []
            elements.reserveCapacity(Int(count))
            for _ in 0..<count {
                if elementType == .boolTrue || elementType == .boolFalse {
                    elements.append(.bool(try byte() == 1))
                } else {
                    elements.append(try readValue(elementType))
                }
            }
            return .list(elements)
        case .map:
            let count = try varint()
            guard count <= UInt64(bytes.count - offset) else { throw .corrupt("thrift: map past the end") }
            if count > 0 {
                let types = try byte()
                guard let keyType = ThriftType(rawValue: types >> 4), let valueType = ThriftType(rawValue: types & 0x0F) else {
                    throw .corrupt("thrift: unknown map types")
                }
                for _ in 0..<count {
                    _ = try readValue(keyType)
                    _ = try readValue(valueType)
                }
            }
            return .map
        case .structure:
            return .structure(try readStruct())
        }
    }
}
