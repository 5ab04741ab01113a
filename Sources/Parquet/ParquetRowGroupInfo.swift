/// What the footer says about one row group (`RowGroup` in parquet.thrift): its size and the
/// metadata of its column chunks, enough to choose row groups and columns before reading data.
public struct ParquetRowGroupInfo: Sendable {
    /// The number of rows in the group.
    public var numRows: Int64
    /// One chunk per schema column, in schema order.
    public var columns: [ParquetColumnChunkInfo]
}

/// What the footer says about one column chunk (`ColumnMetaData` in parquet.thrift).
public struct ParquetColumnChunkInfo: Sendable {
    /// The name of the column the chunk belongs to.
    public var column: String
    /// The codec its pages are compressed with.
    public var codec: ParquetCompression
    /// Every encoding used in the chunk (levels, dictionary and values).
    public var encodings: [ParquetEncoding]
    /// The number of values, nulls included (one per row in a flat schema).
    public var numValues: Int64
    /// Min, max and null count, when the writer recorded them.
    public var statistics: ParquetStatistics?
    /// Bytes on disk, page headers included.
    public var compressedSize: Int64
    /// Bytes after decompression, page headers included.
    public var uncompressedSize: Int64
    var dataPageOffset: Int64
    var dictionaryPageOffset: Int64?
}
