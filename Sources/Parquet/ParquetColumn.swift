/// One column of a flat schema: a `SchemaElement` leaf of the footer's schema, directly under
/// the root (no nesting, no REPEATED columns).
public struct ParquetColumn: Sendable, Equatable {
    /// The column's name (the writer requires unique names; it is also each chunk's `path_in_schema`).
    public var name: String
    /// How the values are stored.
    public var physicalType: ParquetPhysicalType
    /// What the stored values mean (text, timestamps), if anything.
    public var logicalType: ParquetLogicalType
    /// OPTIONAL (may hold nulls, with definition levels) rather than REQUIRED.
    public var isOptional: Bool
    /// How the writer encodes values: `.plain`, `.rleDictionary` (falls back to plain when
    /// the dictionary grows past the limit) or `.deltaBinaryPacked` (INT32/INT64 only).
    public var encoding: ParquetEncoding

    /// A column of `type`; required and PLAIN encoded unless told otherwise. (Columns read from
    /// a file carry `.plain` here: the footer records encodings per chunk, not per column.)
    public init(
        name: String, type: ParquetPhysicalType, logicalType: ParquetLogicalType = .none, optional: Bool = false,
        encoding: ParquetEncoding = .plain
    ) {
        self.name = name
        self.physicalType = type
        self.logicalType = logicalType
        self.isOptional = optional
        self.encoding = encoding
    }

    /// A required or optional UTF-8 string column, dictionary encoded.
    public static func string(_ name: String, optional: Bool = false, dictionary: Bool = true) -> ParquetColumn {
        ParquetColumn(
            name: name, type: .byteArray, logicalType: .string, optional: optional,
            encoding: dictionary ? .rleDictionary : .plain)
    }

    /// A TIMESTAMP(NANOS, UTC) column, delta encoded.
    public static func timestampNanos(_ name: String, optional: Bool = false) -> ParquetColumn {
        ParquetColumn(
            name: name, type: .int64, logicalType: .timestamp(unit: .nanos, utc: true), optional: optional,
            encoding: .deltaBinaryPacked)
    }
}
