#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The non-null values of a column chunk, typed, with the encoders the writer needs.
enum ValueSet {
    case boolean([Bool])
    case int32([Int32])
    case int64([Int64])
    case float([Float])
    case double([Double])
    case bytes(ByteArrays)

    /// The present values of `rows` of `data` (no copy when all rows are taken and none is null).
    init(_ data: ParquetColumnData, rows: Range<Int>) {
        let validity = data.validity.map { $0[rows] }
        func present<T>(_ values: [T]) -> [T] {
            guard let validity else { return rows == values.indices ? values : Array(values[rows]) }
            var out: [T] = []
            out.reserveCapacity(rows.count)
            for (value, valid) in zip(values[rows], validity) where valid { out.append(value) }
            return out
        }
        switch data.values {
        case .boolean(let v): self = .boolean(present(v))
        case .int32(let v): self = .int32(present(v))
        case .int64(let v): self = .int64(present(v))
        case .float(let v): self = .float(present(v))
        case .double(let v): self = .double(present(v))
        case .string(let v): self = .bytes(ByteArrays(strings: v[rows], validity: validity))
        case .bytes(let v): self = .bytes(ByteArrays(arrays: v[rows], validity: validity))
        }
    }

    var count: Int {
        switch self {
        case .boolean(let v): v.count
        case .int32(let v): v.count
        case .int64(let v): v.count
        case .float(let v): v.count
        case .double(let v): v.count
        case .bytes(let v): v.count
        }
    }

    /// PLAIN encoding of `range`.
    func plain(_ range: Range<Int>, into sink: inout ByteSink) {
        switch self {
        case .boolean(let v):
            sink.bytes.reserveCapacity(sink.bytes.count + (range.count + 7) / 8)
            var byte: UInt8 = 0
            var bit = 0
            for value in v[range] {
                if value { byte |= 1 << UInt8(bit) }
                bit += 1
                if bit == 8 {
                    sink.bytes.append(byte)
                    byte = 0
                    bit = 0
                }
            }
            if bit > 0 { sink.bytes.append(byte) }
        case .int32(let v): v[range].withUnsafeBytes { sink.bytes.append(contentsOf: $0) }
        case .int64(let v): v[range].withUnsafeBytes { sink.bytes.append(contentsOf: $0) }
        case .float(let v): v[range].withUnsafeBytes { sink.bytes.append(contentsOf: $0) }
        case .double(let v): v[range].withUnsafeBytes { sink.bytes.append(contentsOf: $0) }
        case .bytes(let v): v.plain(range, into: &sink)
        }
    }

    func plain() -> [UInt8] {
        var sink = ByteSink()
        plain(0..<count, into: &sink)
        return sink.bytes
    }

    /// Distinct values (first occurrence order) and each value's index, or nil when the
    /// dictionary's PLAIN size would exceed `limit` bytes.
    func dictionary(limit: Int) -> (ValueSet, [UInt32])? {
        func build<T: Hashable>(_ values: [T], size: Int, make: ([T]) -> ValueSet) -> (ValueSet, [UInt32])? {
            var ids: [T: UInt32] = [:]
            var distinct: [T] = []
            var indices: [UInt32] = []
            indices.reserveCapacity(values.count)
            var bytes = 0
            for value in values {
                if let id = ids[value] {
                    indices.append(id)
                } else {
                    let id = UInt32(distinct.count)
                    ids[value] = id
                    distinct.append(value)
                    indices.append(id)
                    bytes += size
                    if bytes > limit { return nil }
                }
            }
            return (make(distinct), indices)
        }
        switch self {
        case .boolean: return nil
        case .int32(let v): return build(v, size: 4, make: { .int32($0) })
        case .int64(let v): return build(v, size: 8, make: { .int64($0) })
        case .float(let v): return build(v.map(\.bitPattern), size: 4, make: { .float($0.map(Float.init(bitPattern:))) })
        case .double(let v): return build(v.map(\.bitPattern), size: 8, make: { .double($0.map(Double.init(bitPattern:))) })
        case .bytes(let v): return v.dictionary(limit: limit).map { (.bytes($0.0), $0.1) }
        }
    }

    /// Statistics bounds as PLAIN bytes (NaN never enters them).
    func minMax() -> ([UInt8]?, [UInt8]?) {
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        // One pass for both bounds (min() then max() reads the chunk twice).
        func bounds<T: Comparable>(_ v: [T]) -> (T, T)? {
            guard var lo = v.first else { return nil }
            var hi = lo
            for x in v {
                if x < lo { lo = x }
                if x > hi { hi = x }
            }
            return (lo, hi)
        }
        func finite<T: BinaryFloatingPoint>(_ v: [T]) -> (T, T)? {
            var lo = T.infinity
            var hi = -T.infinity
            var any = false
            for x in v where !x.isNaN {
                if x < lo { lo = x }
                if x > hi { hi = x }
                any = true
            }
            return any ? (lo, hi) : nil
        }
        switch self {
        case .boolean(let v):
            guard !v.isEmpty else { return (nil, nil) }
            return ([v.contains(false) ? 0 : 1], [v.contains(true) ? 1 : 0])
        case .int32(let v):
            guard let (lo, hi) = bounds(v) else { return (nil, nil) }
            return (le(lo), le(hi))
        case .int64(let v):
            guard let (lo, hi) = bounds(v) else { return (nil, nil) }
            return (le(lo), le(hi))
        case .float(let v):
            guard let (lo, hi) = finite(v) else { return (nil, nil) }
            return (le(lo.bitPattern), le(hi.bitPattern))
        case .double(let v):
            guard let (lo, hi) = finite(v) else { return (nil, nil) }
            return (le(lo.bitPattern), le(hi.bitPattern))
        case .bytes(let v):
            guard let (lo, hi) = v.minMax() else { return (nil, nil) }
            // Long strings make poor statistics: skip them rather than truncate wrongly.
            return lo.count <= 64 && hi.count <= 64 ? (lo, hi) : (nil, nil)
        }
    }
}

/// BYTE_ARRAY values back to back in one buffer (value `i` is `data[offsets[i]..<offsets[i + 1]]`):
/// one allocation per column chunk instead of one per value.
struct ByteArrays {
    var data: [UInt8] = []
    var offsets: [Int] = [0]

    init() {}

    init(strings: ArraySlice<String>, validity: ArraySlice<Bool>?) {
        offsets.reserveCapacity(strings.count + 1)
        data.reserveCapacity(strings.count * 8)
        for (i, string) in zip(strings.indices, strings) where validity?[i] ?? true {
            var string = string
            string.withUTF8 { data.append(contentsOf: $0) }
            offsets.append(data.count)
        }
    }

    init(arrays: ArraySlice<[UInt8]>, validity: ArraySlice<Bool>?) {
        offsets.reserveCapacity(arrays.count + 1)
        for (i, bytes) in zip(arrays.indices, arrays) where validity?[i] ?? true {
            data.append(contentsOf: bytes)
            offsets.append(data.count)
        }
    }

    var count: Int { offsets.count - 1 }

    /// Value `i` as an array.
    subscript(i: Int) -> [UInt8] { Array(data[offsets[i]..<offsets[i + 1]]) }

    /// PLAIN: each value as a 4-byte length and its bytes.
    func plain(_ range: Range<Int>, into sink: inout ByteSink) {
        guard !range.isEmpty else { return }
        let start = offsets[range.lowerBound]
        let end = offsets[range.upperBound]
        sink.bytes.reserveCapacity(sink.bytes.count + end - start + 4 * range.count)
        data.withUnsafeBytes { raw in
            for i in range {
                sink.u32(UInt32(offsets[i + 1] - offsets[i]))
                sink.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[offsets[i]..<offsets[i + 1]]))
            }
        }
    }

    /// Distinct values in first-occurrence order and each value's index, or nil past `limit`
    /// PLAIN bytes. An open-addressing table over the raw bytes: `[UInt8]` keys in a Swift
    /// Dictionary cost an allocation and a byte-by-byte SipHash per value.
    func dictionary(limit: Int) -> (ByteArrays, [UInt32])? {
        var indices: [UInt32] = []
        indices.reserveCapacity(count)
        var firsts: [Int] = []  // the first occurrence of each distinct value
        var hashes: [UInt64] = []
        var slots = [Int32](repeating: -1, count: 64)
        var mask = 63
        var bytes = 0
        let complete: Bool = data.withUnsafeBytes { raw in
            offsets.withUnsafeBufferPointer { offsets in
                let base = raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
                for i in 0..<(offsets.count - 1) {
                    let start = offsets[i]
                    let length = offsets[i + 1] - start
                    let hash = Self.hash(base + start, length)
                    var slot = Int(truncatingIfNeeded: hash) & mask
                    while true {
                        let id = Int(slots[slot])
                        if id < 0 {
                            bytes += length + 4
                            if bytes > limit { return false }
                            slots[slot] = Int32(firsts.count)
                            indices.append(UInt32(firsts.count))
                            firsts.append(i)
                            hashes.append(hash)
                            if firsts.count * 2 > mask {
                                // Keep the table at most half full.
                                mask = mask * 2 + 1
                                slots = [Int32](repeating: -1, count: mask + 1)
                                for (id, h) in hashes.enumerated() {
                                    var s = Int(truncatingIfNeeded: h) & mask
                                    while slots[s] >= 0 { s = (s + 1) & mask }
                                    slots[s] = Int32(id)
                                }
                            }
                            break
                        }
                        let first = firsts[id]
                        if hashes[id] == hash, offsets[first + 1] - offsets[first] == length,
                            memcmp(base + offsets[first], base + start, length) == 0
                        {
                            indices.append(UInt32(id))
                            break
                        }
                        slot = (slot + 1) & mask
                    }
                }
                return true
            }
        }
        guard complete else { return nil }
        var distinct = ByteArrays()
        distinct.offsets.reserveCapacity(firsts.count + 1)
        data.withUnsafeBytes { raw in
            for first in firsts {
                distinct.data.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[offsets[first]..<offsets[first + 1]]))
                distinct.offsets.append(distinct.data.count)
            }
        }
        return (distinct, indices)
    }

    /// The smallest and largest value, bytewise (unsigned, as `lexicographicallyPrecedes` on bytes).
    func minMax() -> ([UInt8], [UInt8])? {
        guard count > 0 else { return nil }
        var lo = 0
        var hi = 0
        data.withUnsafeBytes { raw in
            let base = raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
            func less(_ a: Int, _ b: Int) -> Bool {
                let la = offsets[a + 1] - offsets[a]
                let lb = offsets[b + 1] - offsets[b]
                let c = memcmp(base + offsets[a], base + offsets[b], min(la, lb))
                return c != 0 ? c < 0 : la < lb
            }
            for i in 1..<count {
                if less(i, lo) { lo = i }
                if less(hi, i) { hi = i }
            }
        }
        return (self[lo], self[hi])
    }

    /// A fast non-cryptographic hash (the table's keys come from our own files' rows).
    static func hash(_ p: UnsafeRawPointer, _ count: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(count)
        var i = 0
        while i + 8 <= count {
            h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < count {
            tail |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 29)
    }
}
