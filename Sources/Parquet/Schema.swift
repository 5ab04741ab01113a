/// Errors of the Parquet module: what is wrong, never a crash.
public enum ParquetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not a valid Parquet file (the message says where).
    case corrupt(String)
    /// A valid file using something this module does not implement.
    case unsupported(String)
    /// The caller passed something inconsistent (schema/batch mismatch, closed writer...).
    case invalidArgument(String)
    /// A file system operation failed.
    case io(String)

    public var description: String {
        switch self {
        case .corrupt(let m): "corrupt parquet: \(m)"
        case .unsupported(let m): "unsupported parquet feature: \(m)"
        case .invalidArgument(let m): "invalid argument: \(m)"
        case .io(let m): "i/o error: \(m)"
        }
    }
}

/// Parquet physical types (flat schemas).
public enum ParquetPhysicalType: Int32, Sendable, Equatable {
    case boolean = 0, int32 = 1, int64 = 2, int96 = 3, float = 4, double = 5, byteArray = 6, fixedLenByteArray = 7
}

/// Logical annotations this module writes and understands.
public enum ParquetLogicalType: Sendable, Equatable {
    case none
    /// UTF-8 text on BYTE_ARRAY.
    case string
    /// TIMESTAMP on INT64 with the given unit and UTC adjustment.
    case timestamp(unit: TimeUnit, utc: Bool)

    public enum TimeUnit: Sendable, Equatable { case millis, micros, nanos }
}

/// Value encodings.
public enum ParquetEncoding: Int32, Sendable, Equatable {
    case plain = 0, plainDictionary = 2, rle = 3, bitPacked = 4, deltaBinaryPacked = 5, deltaLengthByteArray = 6,
         deltaByteArray = 7, rleDictionary = 8, byteStreamSplit = 9
}

/// Page compression codecs.
public enum ParquetCompression: Int32, Sendable, Equatable {
    case uncompressed = 0, snappy = 1, gzip = 2, lzo = 3, brotli = 4, lz4 = 5, zstd = 6, lz4Raw = 7
}

/// One column of a flat schema.
public struct ParquetColumn: Sendable, Equatable {
    public var name: String
    public var physicalType: ParquetPhysicalType
    public var logicalType: ParquetLogicalType
    public var isOptional: Bool
    /// How the writer encodes values: `.plain`, `.rleDictionary` (falls back to plain when
    /// the dictionary grows past the limit) or `.deltaBinaryPacked` (INT32/INT64 only).
    public var encoding: ParquetEncoding

    public init(name: String, type: ParquetPhysicalType, logicalType: ParquetLogicalType = .none, optional: Bool = false,
                encoding: ParquetEncoding = .plain) {
        self.name = name
        self.physicalType = type
        self.logicalType = logicalType
        self.isOptional = optional
        self.encoding = encoding
    }

    /// A required or optional UTF-8 string column, dictionary encoded.
    public static func string(_ name: String, optional: Bool = false, dictionary: Bool = true) -> ParquetColumn {
        ParquetColumn(name: name, type: .byteArray, logicalType: .string, optional: optional, encoding: dictionary ? .rleDictionary : .plain)
    }

    /// A TIMESTAMP(NANOS, UTC) column, delta encoded.
    public static func timestampNanos(_ name: String, optional: Bool = false) -> ParquetColumn {
        ParquetColumn(name: name, type: .int64, logicalType: .timestamp(unit: .nanos, utc: true), optional: optional, encoding: .deltaBinaryPacked)
    }
}

/// A flat schema: the file's columns in order.
public struct ParquetSchema: Sendable, Equatable {
    public var columns: [ParquetColumn]
    public init(_ columns: [ParquetColumn]) { self.columns = columns }

    public func index(of name: String) -> Int? { columns.firstIndex { $0.name == name } }
}

/// The values of one column for a run of rows. With a validity mask, nulls still take a
/// (placeholder) slot in `values`, so every column of a batch has one entry per row.
public struct ParquetColumnData: Sendable, Equatable {
    public enum Values: Sendable, Equatable {
        case boolean([Bool])
        case int32([Int32])
        case int64([Int64])
        case float([Float])
        case double([Double])
        case string([String])
        case bytes([[UInt8]])

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

    public var values: Values
    /// nil: every value present.
    public var validity: [Bool]?

    public init(_ values: Values, validity: [Bool]? = nil) {
        self.values = values
        self.validity = validity
    }

    public var count: Int { values.count }
    public var nullCount: Int { validity.map { $0.reduce(0) { $0 + ($1 ? 0 : 1) } } ?? 0 }
    public func isNull(_ row: Int) -> Bool { validity.map { !$0[row] } ?? false }
}

/// Column statistics decoded to typed values.
public struct ParquetStatistics: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case boolean(Bool), int32(Int32), int64(Int64), float(Float), double(Double), bytes([UInt8])
        public var int64: Int64? {
            switch self {
            case .int64(let v): v
            case .int32(let v): Int64(v)
            default: nil
            }
        }
    }
    public var min: Value?
    public var max: Value?
    public var nullCount: Int64?
}

/// What the footer says about one column chunk.
public struct ParquetColumnChunkInfo: Sendable {
    public var column: String
    public var codec: ParquetCompression
    public var encodings: [ParquetEncoding]
    public var numValues: Int64
    public var statistics: ParquetStatistics?
    public var compressedSize: Int64
    public var uncompressedSize: Int64
    var dataPageOffset: Int64
    var dictionaryPageOffset: Int64?
}

/// What the footer says about one row group.
public struct ParquetRowGroupInfo: Sendable {
    public var numRows: Int64
    public var columns: [ParquetColumnChunkInfo]
}
