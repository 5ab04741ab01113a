/// One column chunk, encoded and compressed, ready to be written at any offset.
struct EncodedChunk {
    /// The pages (optional dictionary page first), headers included.
    var bytes: [UInt8] = []
    /// The dictionary page's length in `bytes` (0 without one): where the data pages start.
    var dictionaryPageBytes = 0
    var hasDictionary = false
    var encodings: [ParquetEncoding] = []
    var uncompressedSize: Int64 = 0
    var compressedSize: Int64 = 0
    var statistics: (min: [UInt8]?, max: [UInt8]?, nullCount: Int64) = (nil, nil, 0)
}

/// Encodes one column chunk: pure (no I/O, no shared state), so the chunks of a row group can
/// be encoded on different threads.
struct ChunkEncoder {
    let column: ParquetColumn
    let options: ParquetWriterOptions

    func encode(_ data: ParquetColumnData, rows: Range<Int>) throws(ParquetError) -> EncodedChunk {
        let validity = data.validity.map { $0[rows] }
        let present = ValueSet(data, rows: rows)
        var chunk = EncodedChunk()
        var encodings: Set<ParquetEncoding> = [.rle]

        // Dictionary (with fallback to plain when it would be too large).
        var indices: [UInt32]?
        var dictionaryWidth = 0
        var bounds: ([UInt8]?, [UInt8]?)?
        if column.encoding == .rleDictionary || column.encoding == .plainDictionary, present.count > 0,
            let (dictionary, ids) = present.dictionary(limit: options.dictionaryPageSizeLimit)
        {
            indices = ids
            dictionaryWidth = max(1, Int.bitWidth - (dictionary.count - 1).leadingZeroBitCount)
            try page(.dictionary, body: dictionary.plain(), numValues: dictionary.count, encoding: .plain, into: &chunk)
            chunk.dictionaryPageBytes = chunk.bytes.count
            chunk.hasDictionary = true
            encodings.insert(.plain)
            // The distinct values have the bounds of all values, at a fraction of the comparisons.
            bounds = dictionary.minMax()
        }
        let valueEncoding: ParquetEncoding =
            indices != nil ? .rleDictionary : column.encoding == .deltaBinaryPacked ? .deltaBinaryPacked : .plain
        encodings.insert(valueEncoding)

        // Data pages of `pageRows` rows each (at least one page, even with 0 rows).
        let pageRows = max(1, options.pageRows)
        var rowStart = rows.lowerBound
        var valueStart = 0  // index into the present values
        var body = ByteSink()
        var nulls = 0
        repeat {
            let rowEnd = min(rowStart + pageRows, rows.upperBound)
            body.bytes.removeAll(keepingCapacity: true)
            var presentCount = rowEnd - rowStart
            if column.isOptional {
                var levels: [UInt32] = []
                levels.reserveCapacity(rowEnd - rowStart)
                presentCount = 0
                for row in rowStart..<rowEnd {
                    let valid = validity?[row] ?? true
                    levels.append(valid ? 1 : 0)
                    if valid { presentCount += 1 }
                }
                nulls += rowEnd - rowStart - presentCount
                var encoded = ByteSink()
                levels.withUnsafeBufferPointer { RLEHybrid.encode($0, width: 1, into: &encoded) }
                body.u32(UInt32(encoded.bytes.count))
                body.bytes += encoded.bytes
            }
            let range = valueStart..<(valueStart + presentCount)
            switch (valueEncoding, present) {
            case (.rleDictionary, _):
                body.bytes.append(UInt8(dictionaryWidth))
                indices!.withUnsafeBufferPointer {
                    RLEHybrid.encode(UnsafeBufferPointer(rebasing: $0[range]), width: dictionaryWidth, into: &body)
                }
            case (.deltaBinaryPacked, .int64(let v)):
                v.withUnsafeBufferPointer { DeltaBinaryPacked.encode(UnsafeBufferPointer(rebasing: $0[range]), into: &body) }
            case (.deltaBinaryPacked, .int32(let v)):
                v[range].map(Int64.init).withUnsafeBufferPointer { DeltaBinaryPacked.encode($0, into: &body) }
            default:
                present.plain(range, into: &body)
            }
            try page(.data, body: body.bytes, numValues: rowEnd - rowStart, encoding: valueEncoding, into: &chunk)
            valueStart += presentCount
            rowStart = rowEnd
        } while rowStart < rows.upperBound

        let (min, max) = bounds ?? present.minMax()
        chunk.encodings = encodings.sorted { $0.rawValue < $1.rawValue }
        chunk.statistics = (min, max, Int64(nulls))
        return chunk
    }

    /// Compresses one page and appends its header and body to the chunk.
    private func page(
        _ type: PageHeader.PageType, body: [UInt8], numValues: Int, encoding: ParquetEncoding, into chunk: inout EncodedChunk
    ) throws(ParquetError) {
        let compressed = try Codec.compress(body, options.compression, level: options.zstdLevel)
        var header = PageHeader(type: type, uncompressedSize: body.count, compressedSize: compressed.count)
        header.numValues = numValues
        header.encoding = encoding
        let headerBytes = header.encoded()
        chunk.bytes += headerBytes
        chunk.bytes += compressed
        chunk.uncompressedSize += Int64(headerBytes.count + body.count)
        chunk.compressedSize += Int64(headerBytes.count + compressed.count)
    }
}
