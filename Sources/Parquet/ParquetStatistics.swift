/// Column statistics decoded to typed values: a column chunk's `Statistics` from the footer.
/// The bounds come from `min_value`/`max_value`; the deprecated `min`/`max` are trusted for
/// non-BYTE_ARRAY types only, since their sort order was ill-defined for byte arrays.
public struct ParquetStatistics: Sendable, Equatable {
    /// One bound, decoded from its PLAIN bytes according to the column's physical type.
    public enum Value: Sendable, Equatable {
        case boolean(Bool), int32(Int32), int64(Int64), float(Float), double(Double), bytes([UInt8])

        /// The bound as an Int64 when it is an integer (INT32 widened), else nil: what
        /// row-group pruning on time or sequence columns compares.
        public var int64: Int64? {
            switch self {
            case .int64(let v): v
            case .int32(let v): Int64(v)
            default: nil
            }
        }
    }

    /// The smallest non-null value, if the writer recorded one.
    public var min: Value?
    /// The largest non-null value, if the writer recorded one.
    public var max: Value?
    /// The number of nulls, if the writer recorded it.
    public var nullCount: Int64?
}
