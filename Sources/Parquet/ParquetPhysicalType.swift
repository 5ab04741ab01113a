/// Parquet physical types (flat schemas): how values are stored, whatever they mean.
///
/// The raw values are those of `Type` in the format specification's parquet.thrift, as written
/// in the footer's `SchemaElement.type` and `ColumnMetaData.type`. The reader decodes every type
/// except INT96 and FIXED_LEN_BYTE_ARRAY, which it recognises in a footer but refuses to read.
public enum ParquetPhysicalType: Int32, Sendable, Equatable {
    /// BOOLEAN: one bit per value.
    case boolean = 0
    /// INT32: 32-bit signed, little-endian.
    case int32 = 1
    /// INT64: 64-bit signed, little-endian.
    case int64 = 2
    /// INT96: 12-byte values (deprecated in the spec; legacy Impala/Hive timestamps).
    case int96 = 3
    /// FLOAT: IEEE 754 single precision.
    case float = 4
    /// DOUBLE: IEEE 754 double precision.
    case double = 5
    /// BYTE_ARRAY: length-prefixed bytes (strings, binary).
    case byteArray = 6
    /// FIXED_LEN_BYTE_ARRAY: bytes of a length fixed by the schema (decimals, UUIDs).
    case fixedLenByteArray = 7
}
