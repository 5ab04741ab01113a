/// Little-endian byte output.
struct ByteSink {
    var bytes: [UInt8] = []

    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func append<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }
    mutating func zigzag(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }
}

/// Bounds-checked little-endian reads over a byte range.
struct ByteSource {
    let bytes: UnsafeRawBufferPointer
    var offset: Int
    let end: Int

    init(_ bytes: UnsafeRawBufferPointer, from: Int = 0, to: Int? = nil) {
        self.bytes = bytes
        offset = from
        end = to ?? bytes.count
    }

    var remaining: Int { end - offset }

    mutating func need(_ n: Int, _ what: @autoclosure () -> String) throws(ParquetError) {
        guard n >= 0, remaining >= n else { throw .corrupt("\(what()): needs \(n) bytes, \(remaining) left") }
    }

    mutating func u8() throws(ParquetError) -> UInt8 {
        try need(1, "byte")
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func fixed<T: FixedWidthInteger>(_ type: T.Type) throws(ParquetError) -> T {
        let size = MemoryLayout<T>.size
        try need(size, "\(T.self)")
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + size)])) }
        offset += size
        return T(littleEndian: value)
    }

    mutating func varint() throws(ParquetError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try u8()
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw .corrupt("varint too long") }
        }
    }

    mutating func zigzag() throws(ParquetError) -> Int64 {
        let v = try varint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }
}

/// Bit packing, least significant bit first (Parquet's order for RLE/bit-packed and delta).
enum BitPacking {
    static func pack(_ values: UnsafeBufferPointer<UInt64>, width: Int, into sink: inout ByteSink) {
        guard width > 0 else { return }
        let mask: UInt64 = width == 64 ? .max : (1 << UInt64(width)) - 1
        var buffer: UInt64 = 0
        var bits = 0  // always < 8 between values
        for value in values {
            let v = value & mask
            if bits + width <= 64 {
                buffer |= v << UInt64(bits)
                bits += width
            } else {
                // The value straddles the 64-bit buffer: emit the full buffer, keep the rest.
                buffer |= v << UInt64(bits)
                for _ in 0..<8 {
                    sink.bytes.append(UInt8(truncatingIfNeeded: buffer))
                    buffer >>= 8
                }
                buffer = v >> UInt64(64 - bits)
                bits = bits + width - 64
            }
            while bits >= 8 {
                sink.bytes.append(UInt8(truncatingIfNeeded: buffer))
                buffer >>= 8
                bits -= 8
            }
        }
        if bits > 0 { sink.bytes.append(UInt8(truncatingIfNeeded: buffer)) }
    }

    /// Unpacks `count` values of `width` bits from `source` (consuming ceil(count*width/8) bytes).
    static func unpack(_ source: inout ByteSource, count: Int, width: Int, into out: inout [UInt64]) throws(ParquetError) {
        guard width >= 0, width <= 64 else { throw .corrupt("bit width \(width) out of range") }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: count))
        guard width > 0 else { return }
        try out.withUnsafeMutableBufferPointer { (buffer) throws(ParquetError) in
            try unpack(&source, count: count, width: width, into: buffer.baseAddress! + start)
        }
    }

    /// Unpacks `count` values of `width` bits (1...64) from `source` into `out`: written through a
    /// pointer, not appended one by one (an append checks the array's uniqueness every time).
    static func unpack(_ source: inout ByteSource, count: Int, width: Int, into out: UnsafeMutablePointer<UInt64>) throws(ParquetError) {
        guard width > 0, width <= 64 else {
            guard width == 0 else { throw .corrupt("bit width \(width) out of range") }
            out.update(repeating: 0, count: count)
            return
        }
        let byteCount = (count * width + 7) / 8
        try source.need(byteCount, "bit-packed run")
        let base = source.offset
        let mask: UInt64 = width == 64 ? .max : (1 << UInt64(width)) - 1
        let bytes = source.bytes
        for k in 0..<count {
            let bitStart = k * width
            let byteIndex = bitStart >> 3
            let bitOffset = bitStart & 7
            if width <= 56 && byteIndex + 8 <= byteCount {
                // One unaligned 8-byte load holds the whole value (width + bit offset <= 63 bits).
                let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: base + byteIndex, as: UInt64.self))
                out[k] = (word >> UInt64(bitOffset)) & mask
                continue
            }
            var value: UInt64 = 0
            var gathered = 0
            var index = byteIndex
            var shift = bitOffset
            while gathered < width {
                let byte = UInt64(bytes[base + index]) >> UInt64(shift)
                value |= byte << UInt64(gathered)
                gathered += 8 - shift
                shift = 0
                index += 1
            }
            out[k] = value & mask
        }
        source.offset += byteCount
    }
}

/// The RLE / bit-packed hybrid (definition levels, dictionary indices, booleans).
enum RLEHybrid {
    static func encode(_ values: UnsafeBufferPointer<UInt32>, width: Int, into sink: inout ByteSink) {
        let byteWidth = (width + 7) / 8
        var literals: [UInt64] = []
        func flush() {
            guard !literals.isEmpty else { return }
            sink.varint(UInt64(literals.count / 8) << 1 | 1)
            literals.withUnsafeBufferPointer { BitPacking.pack($0, width: width, into: &sink) }
            literals.removeAll(keepingCapacity: true)
        }
        var i = 0
        let n = values.count
        while i < n {
            let v = values[i]
            if i + 8 <= n, values[i + 1] == v, values[i + 7] == v, (i..<(i + 8)).allSatisfy({ values[$0] == v }) {
                flush()
                var j = i + 8
                while j < n && values[j] == v { j += 1 }
                sink.varint(UInt64(j - i) << 1)
                for b in 0..<byteWidth { sink.bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(8 * b))) }
                i = j
            } else {
                let end = min(i + 8, n)
                for k in i..<end { literals.append(UInt64(values[k])) }
                for _ in end..<(i + 8) { literals.append(0) }
                i = end
            }
        }
        flush()
    }

    static func decode(_ source: inout ByteSource, count: Int, width: Int) throws(ParquetError) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(count)
        try decode(&source, count: count, width: width, into: &out)
        return out
    }

    /// Appends `count` values to `out`.
    static func decode(_ source: inout ByteSource, count: Int, width: Int, into out: inout [UInt32]) throws(ParquetError) {
        guard width >= 0, width <= 32 else { throw .corrupt("RLE bit width \(width) out of range") }
        let end = out.count + count
        out.reserveMore(end - out.count)
        var scratch: [UInt64] = []
        let byteWidth = (width + 7) / 8
        while out.count < end {
            let header = try source.varint()
            if header & 1 == 0 {
                let run = Int(clamping: header >> 1)
                guard run > 0 else { throw .corrupt("empty RLE run") }
                var value: UInt32 = 0
                for b in 0..<byteWidth { value |= UInt32(try source.u8()) << UInt32(8 * b) }
                out.append(contentsOf: repeatElement(value, count: min(run, end - out.count)))
            } else {
                let groups = Int(clamping: header >> 1)
                guard groups > 0, groups <= (source.remaining * 8) / max(width * 8, 1) + 1 else {
                    throw .corrupt("bit-packed run past the end")
                }
                scratch.removeAll(keepingCapacity: true)
                try BitPacking.unpack(&source, count: groups * 8, width: width, into: &scratch)
                out.append(contentsOf: scratch.prefix(end - out.count).lazy.map { UInt32(truncatingIfNeeded: $0) })
            }
        }
    }
}

/// DELTA_BINARY_PACKED for INT32/INT64 (block of 128 values in 4 miniblocks of 32).
enum DeltaBinaryPacked {
    static let blockSize = 128
    static let miniblocks = 4

    static func encode(_ values: UnsafeBufferPointer<Int64>, into sink: inout ByteSink) {
        sink.varint(UInt64(blockSize))
        sink.varint(UInt64(miniblocks))
        sink.varint(UInt64(values.count))
        sink.zigzag(values.first ?? 0)
        guard values.count > 1 else { return }
        let perMiniblock = blockSize / miniblocks
        var deltas = [Int64](repeating: 0, count: blockSize)
        var packed = [UInt64](repeating: 0, count: perMiniblock)
        var index = 1
        while index < values.count {
            let count = min(blockSize, values.count - index)
            var minDelta = Int64.max
            for k in 0..<count {
                let d = values[index + k] &- values[index + k - 1]
                deltas[k] = d
                minDelta = min(minDelta, d)
            }
            sink.zigzag(minDelta)
            var widths = [Int](repeating: 0, count: miniblocks)
            for m in 0..<miniblocks {
                let start = m * perMiniblock
                guard start < count else { break }
                var maxBits: UInt64 = 0
                for k in start..<min(start + perMiniblock, count) { maxBits |= UInt64(bitPattern: deltas[k] &- minDelta) }
                widths[m] = maxBits == 0 ? 0 : 64 - maxBits.leadingZeroBitCount
            }
            for m in 0..<miniblocks { sink.bytes.append(UInt8(widths[m])) }
            for m in 0..<miniblocks {
                let start = m * perMiniblock
                guard start < count else { break }
                for k in 0..<perMiniblock {
                    packed[k] = start + k < count ? UInt64(bitPattern: deltas[start + k] &- minDelta) : 0
                }
                packed.withUnsafeBufferPointer { BitPacking.pack($0, width: widths[m], into: &sink) }
            }
            index += count
        }
    }

    static func decode(_ source: inout ByteSource, expected: Int) throws(ParquetError) -> [Int64] {
        var out: [Int64] = []
        try decode(&source, expected: expected, into: &out)
        return out
    }

    /// Appends the page's values to `out`.
    static func decode(_ source: inout ByteSource, expected: Int, into out: inout [Int64]) throws(ParquetError) {
        let blockSize = Int(clamping: try source.varint())
        let miniblocks = Int(clamping: try source.varint())
        let total = Int(clamping: try source.varint())
        guard blockSize > 0, blockSize % 128 == 0, miniblocks > 0, blockSize % miniblocks == 0, (blockSize / miniblocks) % 8 == 0 else {
            throw .corrupt("delta header: block \(blockSize), miniblocks \(miniblocks)")
        }
        guard total <= expected else { throw .corrupt("delta page holds \(total) values, header says \(expected)") }
        let end = out.count + total
        out.reserveMore(end - out.count)
        var last = try source.zigzag()
        if total > 0 { out.append(last) }
        let perMiniblock = blockSize / miniblocks
        var scratch = [UInt64](repeating: 0, count: perMiniblock)
        var widths: [Int] = []
        // The values go straight into their final places (one append of the page's room, then stores).
        var written = out.count
        out.append(contentsOf: repeatElement(0, count: end - out.count))
        while written < end {
            let minDelta = try source.zigzag()
            widths.removeAll(keepingCapacity: true)
            for _ in 0..<miniblocks { widths.append(Int(try source.u8())) }
            for width in widths {
                guard written < end else { break }
                let take = min(perMiniblock, end - written)
                try scratch.withUnsafeMutableBufferPointer { (raw) throws(ParquetError) in
                    try BitPacking.unpack(&source, count: perMiniblock, width: width, into: raw.baseAddress!)
                    out.withUnsafeMutableBufferPointer { out in
                        for index in 0..<take {
                            last = last &+ minDelta &+ Int64(bitPattern: raw[index])
                            out[written + index] = last
                        }
                    }
                }
                written += take
            }
        }
    }
}

extension Array {
    /// Room for `n` more elements, growing geometrically: an exact `reserveCapacity` per page
    /// would reallocate on every page once past the capacity reserved up front.
    mutating func reserveMore(_ n: Int) {
        let needed = count + n
        if needed > capacity { reserveCapacity(Swift.max(needed, capacity * 2)) }
    }
}
