/// The values of one column for a run of rows. With a validity mask, nulls still take a
/// (placeholder) slot in `values`, so every column of a batch has one entry per row.
public struct ParquetColumnData: Sendable, Equatable {
    /// The typed values of a column, one per row. Null rows hold a placeholder (`false`, 0,
    /// `""` or empty bytes when read); the writer ignores it.
    public enum Values: Sendable, Equatable {
        /// BOOLEAN values.
        case boolean([Bool])
        /// INT32 values.
        case int32([Int32])
        /// INT64 values (timestamps too).
        case int64([Int64])
        /// FLOAT values.
        case float([Float])
        /// DOUBLE values.
        case double([Double])
        /// BYTE_ARRAY values annotated as UTF-8 text (the writer also accepts them for any BYTE_ARRAY).
        case string([String])
        /// BYTE_ARRAY values without a string annotation.
        case bytes([[UInt8]])

        /// The number of values (rows), nulls included.
        public var count: Int {
            switch self {
            case .boolean(let v): v.count
            case .int32(let v): v.count
            case .int64(let v): v.count
            case .float(let v): v.count
            case .double(let v): v.count
            case .string(let v): v.count
            case .bytes(let v): v.count
            }
        }
    }

    /// The values, one per row.
    public var values: Values
    /// nil: every value present.
    public var validity: [Bool]?

    /// Column data from `values` and, for an optional column with nulls, a validity mask of the same length.
    public init(_ values: Values, validity: [Bool]? = nil) {
        self.values = values
        self.validity = validity
    }

    /// The number of rows.
    public var count: Int { values.count }
    /// The number of null rows (0 without a validity mask).
    public var nullCount: Int { validity.map { $0.reduce(0) { $0 + ($1 ? 0 : 1) } } ?? 0 }
    /// Whether `row` is null (its slot in `values` then holds a placeholder).
    public func isNull(_ row: Int) -> Bool { validity.map { !$0[row] } ?? false }
}
