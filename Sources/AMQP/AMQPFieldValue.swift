/// A field-table value (AMQP 0-9-1 §4.2.5.5 with RabbitMQ's type letters, which differ from
/// the spec's grammar for some integer types; the letter each case is sent with is noted).
/// Values are big-endian on the wire, like every AMQP integer.
public indirect enum AMQPFieldValue: Sendable, Equatable, Hashable {
    /// `t`: a boolean octet.
    case bool(Bool)
    /// `b`: signed 8-bit.
    case int8(Int8)
    /// `B`: unsigned 8-bit.
    case uint8(UInt8)
    /// `s`: signed 16-bit.
    case int16(Int16)
    /// `u`: unsigned 16-bit.
    case uint16(UInt16)
    /// `I`: signed 32-bit.
    case int32(Int32)
    /// `i`: unsigned 32-bit.
    case uint32(UInt32)
    /// `l`: signed 64-bit (`L` is read as this too).
    case int64(Int64)
    /// `f`: IEEE 754 single precision.
    case float(Float)
    /// `d`: IEEE 754 double precision.
    case double(Double)
    /// `D`: `value` × 10^-`scale`.
    case decimal(scale: UInt8, value: UInt32)
    /// `S`: a long string, UTF-8.
    case string(String)
    /// `x`: a byte array (a long string of arbitrary bytes).
    case bytes([UInt8])
    /// `A`: a field array.
    case array([AMQPFieldValue])
    /// `T`: seconds since the Unix epoch.
    case timestamp(UInt64)
    /// `F`: a nested field table.
    case table(AMQPTable)
    /// `V`: no value.
    case void
}

/// A field table (AMQP 0-9-1 §4.2.5.5): method arguments, message headers, client properties.
/// Written with its keys sorted, so equal tables encode to equal bytes.
public typealias AMQPTable = [String: AMQPFieldValue]
