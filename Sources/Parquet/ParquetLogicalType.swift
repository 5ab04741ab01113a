/// Logical annotations this module writes and understands: what a physical value means.
///
/// Written as a `LogicalType` union in the footer's `SchemaElement` (field 10), plus the legacy
/// `ConvertedType` (UTF8, TIMESTAMP_MILLIS/MICROS) for older readers; on reading, the
/// `LogicalType` wins and the `ConvertedType` is the fallback.
public enum ParquetLogicalType: Sendable, Equatable {
    /// No annotation: the physical type is the whole story.
    case none
    /// UTF-8 text on BYTE_ARRAY.
    case string
    /// TIMESTAMP on INT64 with the given unit and UTC adjustment.
    case timestamp(unit: TimeUnit, utc: Bool)

    /// The unit of a TIMESTAMP: what one step of the INT64 counts since the Unix epoch.
    public enum TimeUnit: Sendable, Equatable { case millis, micros, nanos }
}
