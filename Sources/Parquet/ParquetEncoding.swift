/// Value encodings, numbered as `Encoding` in the format specification's parquet.thrift (3 is
/// also the definition-level encoding). Which ones the writer uses is set per column by
/// ``ParquetColumn/encoding``; ``ParquetReader`` decodes PLAIN, both dictionary forms, RLE
/// booleans and DELTA_BINARY_PACKED and reports the others as ``ParquetError/unsupported(_:)``.
public enum ParquetEncoding: Int32, Sendable, Equatable {
    /// PLAIN: values back to back, little-endian; byte arrays with a 4-byte length prefix.
    case plain = 0
    /// PLAIN_DICTIONARY: the Parquet 1.0 name of dictionary encoding (read like RLE_DICTIONARY).
    case plainDictionary = 2
    /// RLE: the RLE / bit-packed hybrid (definition levels, and booleans in data pages).
    case rle = 3
    /// BIT_PACKED: the deprecated levels encoding (not read).
    case bitPacked = 4
    /// DELTA_BINARY_PACKED: zig-zag deltas in bit-packed miniblocks (INT32/INT64).
    case deltaBinaryPacked = 5
    /// DELTA_LENGTH_BYTE_ARRAY: delta-encoded lengths, then the bytes (not read).
    case deltaLengthByteArray = 6
    /// DELTA_BYTE_ARRAY: incremental (prefix) encoding of byte arrays (not read).
    case deltaByteArray = 7
    /// RLE_DICTIONARY: indices into the chunk's dictionary page, RLE / bit-packed.
    case rleDictionary = 8
    /// BYTE_STREAM_SPLIT: the bytes of fixed-width values split into streams (not read).
    case byteStreamSplit = 9
}
