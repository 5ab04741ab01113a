/// Page compression codecs, numbered as `CompressionCodec` in the format specification's
/// parquet.thrift. Uncompressed, SNAPPY, ZSTD and BROTLI are read and written (through
/// Debian's C libraries); the others are reported as ``ParquetError/unsupported(_:)``.
public enum ParquetCompression: Int32, Sendable, Equatable {
    /// Pages stored as they are.
    case uncompressed = 0
    /// Snappy: fast, modest ratio.
    case snappy = 1
    /// GZIP (not supported).
    case gzip = 2
    /// LZO (not supported).
    case lzo = 3
    /// Brotli: slow to write, good ratio.
    case brotli = 4
    /// LZ4 with Hadoop framing, deprecated by the spec (not supported).
    case lz4 = 5
    /// Zstandard: the writer's default (level in ``ParquetWriterOptions/zstdLevel``).
    case zstd = 6
    /// LZ4 raw block format (not supported).
    case lz4Raw = 7
}
