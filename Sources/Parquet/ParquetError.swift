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

    /// A one-line message naming the kind of failure, then its detail.
    public var description: String {
        switch self {
        case .corrupt(let m): "corrupt parquet: \(m)"
        case .unsupported(let m): "unsupported parquet feature: \(m)"
        case .invalidArgument(let m): "invalid argument: \(m)"
        case .io(let m): "i/o error: \(m)"
        }
    }
}
