import CBrotli
import CSnappy
import CZstd

/// Page compression through Debian's C libraries.
enum Codec {
    static func compress(_ input: [UInt8], _ codec: ParquetCompression, level: Int32 = 1) throws(ParquetError) -> [UInt8] {
        switch codec {
        case .uncompressed:
            return input
        case .snappy:
            var length = snappy_max_compressed_length(input.count)
            var out = [UInt8](repeating: 0, count: length)
            let status = input.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    snappy_compress(
                        UnsafeRawPointer(src.baseAddress!).assumingMemoryBound(to: CChar.self), src.count,
                        UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: CChar.self), &length)
                }
            }
            guard status == SNAPPY_OK else { throw .io("snappy compression failed") }
            out.removeLast(out.count - length)
            return out
        case .zstd:
            let bound = ZSTD_compressBound(input.count)
            var out = [UInt8](repeating: 0, count: bound)
            let written = input.withUnsafeBytes { src in
                out.withUnsafeMutableBytes { dst in ZSTD_compress(dst.baseAddress, bound, src.baseAddress, src.count, level) }
            }
            guard ZSTD_isError(written) == 0 else { throw .io("zstd compression failed") }
            out.removeLast(out.count - written)
            return out
        case .brotli:
            var length = BrotliEncoderMaxCompressedSize(input.count)
            var out = [UInt8](repeating: 0, count: max(length, 64))
            length = out.count
            let ok = input.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    BrotliEncoderCompress(1, 22, BROTLI_MODE_GENERIC, src.count, src.baseAddress, &length, dst.baseAddress)
                }
            }
            guard ok == BROTLI_TRUE else { throw .io("brotli compression failed") }
            out.removeLast(out.count - length)
            return out
        default:
            throw .unsupported("writing \(codec) compression")
        }
    }

    /// Decompresses a page whose header promises `size` bytes; the result must have exactly that size.
    static func decompress(_ input: UnsafeRawBufferPointer, _ codec: ParquetCompression, size: Int) throws(ParquetError) -> [UInt8] {
        guard size >= 0, size <= 1 << 30 else { throw .corrupt("page size \(size) out of range") }
        switch codec {
        case .uncompressed:
            guard input.count == size else { throw .corrupt("uncompressed page of \(input.count) bytes, header says \(size)") }
            return Array(input)
        case .snappy:
            var length = 0
            guard input.count > 0 else { throw .corrupt("empty snappy page") }
            let src = input.baseAddress!.assumingMemoryBound(to: CChar.self)
            guard snappy_uncompressed_length(src, input.count, &length) == SNAPPY_OK, length == size else {
                throw .corrupt("snappy page: bad length (header says \(size))")
            }
            var out = [UInt8](repeating: 0, count: size)
            let status = out.withUnsafeMutableBufferPointer { dst in
                snappy_uncompress(src, input.count, UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: CChar.self), &length)
            }
            guard status == SNAPPY_OK, length == size else { throw .corrupt("snappy page does not decompress") }
            return out
        case .zstd:
            var out = [UInt8](repeating: 0, count: size)
            let written = out.withUnsafeMutableBytes { dst in ZSTD_decompress(dst.baseAddress, size, input.baseAddress, input.count) }
            guard ZSTD_isError(written) == 0, written == size else { throw .corrupt("zstd page does not decompress to \(size) bytes") }
            return out
        case .brotli:
            var out = [UInt8](repeating: 0, count: max(size, 1))
            var length = size
            let result = out.withUnsafeMutableBufferPointer { dst in
                BrotliDecoderDecompress(input.count, input.baseAddress?.assumingMemoryBound(to: UInt8.self), &length, dst.baseAddress)
            }
            guard result == BROTLI_DECODER_RESULT_SUCCESS, length == size else {
                throw .corrupt("brotli page does not decompress to \(size) bytes")
            }
            out.removeLast(out.count - size)
            return out
        default:
            throw .unsupported("\(codec) compression")
        }
    }
}
