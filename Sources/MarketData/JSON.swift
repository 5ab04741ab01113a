/// A small, strict JSON parser for gateway envelopes.
///
/// Why not Foundation's `JSONSerialization`: it is slow on Linux, turns numbers into
/// `NSNumber` (losing the exact text), and reports errors without a path. Here numbers keep
/// their source text so that decimal strings and JSON numbers alike are converted to
/// `Double` exactly once, with correct rounding, by the caller.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number exactly as written in the source.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// A short name of the value's type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }
}

/// Codable, so that a document kept as a value (a dataset request echoed back in an answer)
/// can sit inside a typed response. A number is written as an integer when its text is one,
/// else as the `Double` the service reads it as; a non-finite one as `null`.
extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let integer = try? container.decode(Int64.self) {
            self = .number(String(integer))
        } else if let number = try? container.decode(Double.self) {
            self = .number(number.description)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let elements = try? container.decode([JSONValue].self) {
            self = .array(elements)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let flag): try container.encode(flag)
        case .number(let text):
            if let integer = Int64(text) {
                try container.encode(integer)
            } else if let number = Double(text), number.isFinite {
                try container.encode(number)
            } else {
                try container.encodeNil()
            }
        case .string(let text): try container.encode(text)
        case .array(let elements): try container.encode(elements)
        case .object(let members): try container.encode(members)
        }
    }
}

/// A JSON syntax error with the byte offset where parsing stopped.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

/// Parses one JSON document from UTF-8 bytes. Nesting is limited to keep hostile input
/// from exhausting the stack.
public struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    private static let maxDepth = 64

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Parses a complete document; trailing non-whitespace is an error.
    public static func parse(_ text: some StringProtocol) throws(JSONSyntaxError) -> JSONValue {
        var copy = String(text)
        let result: Result<JSONValue, JSONSyntaxError> = copy.withUTF8 { buffer in
            var parser = JSONParser(buffer)
            do throws(JSONSyntaxError) { return .success(try parser.parseDocument()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Parses a complete document from raw bytes.
    public static func parse(bytes: some Collection<UInt8>) throws(JSONSyntaxError) -> JSONValue {
        let result: Result<JSONValue, JSONSyntaxError>? = bytes.withContiguousStorageIfAvailable { buffer in
            var parser = JSONParser(buffer)
            do throws(JSONSyntaxError) { return .success(try parser.parseDocument()) } catch { return .failure(error) }
        }
        if let result { return try result.get() }
        return try parse(bytes: Array(bytes))
    }

    private mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if index != bytes.count { throw fail("unexpected trailing content") }
        return value
    }

    private func fail(_ message: String) -> JSONSyntaxError { JSONSyntaxError(offset: index, message: message) }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        guard index < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail("unexpected character '\(Character(Unicode.Scalar(bytes[index])))'")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw fail("truncated literal") }
        let start = literal.utf8Start
        for offset in 0..<count where bytes[index + offset] != start[offset] {
            throw fail("invalid literal")
        }
        index += count
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maxDepth { throw fail("nesting deeper than \(Self.maxDepth)") }
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; depth -= 1; return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            skipWhitespace()
            members[key] = try parseValue()
            skipWhitespace()
            guard index < bytes.count else { throw fail("unterminated object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; break }
            throw fail("expected ',' or '}'")
        }
        depth -= 1
        return .object(members)
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; depth -= 1; return .array(elements) }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw fail("unterminated array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; break }
            throw fail("expected ',' or ']'")
        }
        depth -= 1
        return .array(elements)
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        var digits = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1; digits += 1 }
        guard digits > 0 else { throw fail("invalid number") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var fraction = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1; fraction += 1 }
            guard fraction > 0 else { throw fail("invalid number fraction") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            var exponent = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1; exponent += 1 }
            guard exponent > 0 else { throw fail("invalid number exponent") }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw fail("control character in string") }
            index += 1
        }
        var scalars: [UInt8] = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: scalars, as: UTF8.self)
            }
            if byte < 0x20 { throw fail("control character in string") }
            if byte != UInt8(ascii: "\\") { scalars.append(byte); index += 1; continue }
            index += 1
            guard index < bytes.count else { break }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append(0x22)
            case UInt8(ascii: "\\"): scalars.append(0x5C)
            case UInt8(ascii: "/"): scalars.append(0x2F)
            case UInt8(ascii: "b"): scalars.append(0x08)
            case UInt8(ascii: "f"): scalars.append(0x0C)
            case UInt8(ascii: "n"): scalars.append(0x0A)
            case UInt8(ascii: "r"): scalars.append(0x0D)
            case UInt8(ascii: "t"): scalars.append(0x09)
            case UInt8(ascii: "u"):
                var code = try parseHex4()
                if (0xD800..<0xDC00).contains(code) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate")
                    }
                    index += 2
                    let low = try parseHex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid low surrogate") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(code) {
                    throw fail("unpaired surrogate")
                }
                guard let scalar = Unicode.Scalar(code) else { throw fail("invalid unicode escape") }
                scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: throw fail("invalid escape")
            }
        }
        throw fail("unterminated string")
    }

    private mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("truncated unicode escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            default: throw fail("invalid hex digit")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}

/// Writes JSON text. Numbers use Swift's shortest round-trip form, so a reader gets back the
/// exact same `Double`; non-finite values are written as `null` (the contract never allows
/// NaN or infinity on the wire).
public enum JSONText {
    /// Whether a string's UTF-8 holds a byte a JSON string literal must escape (a quote, a
    /// backslash, a control character); every such byte is ASCII, so bytes decide as scalars would.
    @inlinable public static func needsEscape(_ utf8: some Sequence<UInt8>) -> Bool {
        utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 })
    }

    /// Appends `value` as a JSON string literal.
    public static func appendString(_ value: String, to out: inout String) {
        out.append("\"")
        // Most strings (feature names, symbols, trace ids) need no escape: appended whole, not
        // scalar by scalar (a third of a features.live vector's encoding time otherwise).
        if !needsEscape(value.utf8) {
            out.append(value)
            out.append("\"")
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }

    /// Appends a number, or `null` for nil and non-finite values.
    public static func appendNumber(_ value: Double?, to out: inout String) {
        guard let value, value.isFinite else { out.append("null"); return }
        out.append(value.description)
    }

    /// Serialises a ``JSONValue`` (object members sorted by key, for stable output).
    public static func serialize(_ value: JSONValue) -> String {
        var out = ""
        append(value, to: &out)
        return out
    }

    private static func append(_ value: JSONValue, to out: inout String) {
        switch value {
        case .null: out.append("null")
        case .bool(let flag): out.append(flag ? "true" : "false")
        case .number(let text): out.append(text)
        case .string(let text): appendString(text, to: &out)
        case .array(let elements):
            out.append("[")
            for (offset, element) in elements.enumerated() {
                if offset > 0 { out.append(",") }
                append(element, to: &out)
            }
            out.append("]")
        case .object(let members):
            out.append("{")
            for (offset, key) in members.keys.sorted().enumerated() {
                if offset > 0 { out.append(",") }
                appendString(key, to: &out)
                out.append(":")
                append(members[key]!, to: &out)
            }
            out.append("}")
        }
    }
}

/// JSON text written straight into bytes (for messages sent as bodies): the same output as
/// ``JSONText`` without building a `String` that is then copied into an array.
public struct JSONBytes: TextOutputStream {
    /// The text written so far (UTF-8).
    public var bytes: [UInt8]

    /// An empty buffer with room for `capacity` bytes.
    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends text as is (TextOutputStream).
    public mutating func write(_ string: String) { bytes.append(contentsOf: string.utf8) }

    /// The standard library's number formatters hand their digits here (TextOutputStream's
    /// ASCII entry point): taking them directly skips the `String` the default would build.
    public mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: buffer) }

    /// Appends bytes as is (prepared JSON fragments).
    @inlinable public mutating func append(raw: [UInt8]) { bytes.append(contentsOf: raw) }

    /// Appends a literal as is (the fixed parts of a message, with no array built for them).
    @inlinable public mutating func append(literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends one ASCII byte.
    @inlinable public mutating func append(ascii: UInt8) { bytes.append(ascii) }

    /// Appends `value` as a JSON string literal (as ``JSONText/appendString(_:to:)``).
    public mutating func appendString(_ value: String) {
        guard JSONText.needsEscape(value.utf8) else {
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: value.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        // The rare string with escapes goes through the one escaping rule.
        var text = ""
        JSONText.appendString(value, to: &text)
        bytes.append(contentsOf: text.utf8)
    }

    /// Appends a number, or `null` for nil and non-finite values (as ``JSONText/appendNumber(_:to:)``:
    /// the shortest text that reads back as the same double).
    public mutating func appendNumber(_ value: Double?) {
        guard let value, value.isFinite else {
            append(literal: "null")
            return
        }
        // `write(to:)` formats as `description` does for finite values, into `_writeASCII`.
        value.write(to: &self)
    }

    /// Appends an integer in decimal (as `String(value)`).
    public mutating func appendInteger(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(value.magnitude, width: 1)
    }

    /// Appends `value` in decimal, zero-padded on the left to at least `width` digits.
    public mutating func appendDigits(_ value: UInt64, width: Int) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for UInt64.max's 20 digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var index = buffer.count
            var rest = value
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0 || buffer.count - index < width
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[index...]))
        }
    }

    /// Appends an instant as ``Time/formatISO8601(_:)`` writes it.
    public mutating func appendISO8601(_ nanos: Nanos) {
        let seconds = Time.floorDiv(nanos, Time.nanosPerSecond)
        let days = Time.floorDiv(seconds, 86_400)
        let (year, month, day) = Time.civilFromDays(days)
        // Years outside 0...9999 (never an accepted instant) keep the general formatter's padding.
        guard (0...9999).contains(year) else {
            bytes.append(contentsOf: Time.formatISO8601(nanos).utf8)
            return
        }
        let fraction = nanos - seconds * Time.nanosPerSecond
        let secondOfDay = seconds - days * 86_400
        appendDigits(UInt64(year), width: 4)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(UInt64(month), width: 2)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(UInt64(day), width: 2)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(UInt64(secondOfDay / 3600), width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(UInt64(secondOfDay / 60 % 60), width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(UInt64(secondOfDay % 60), width: 2)
        bytes.append(UInt8(ascii: "."))
        appendDigits(UInt64(fraction), width: 9)
        bytes.append(UInt8(ascii: "Z"))
    }
}
