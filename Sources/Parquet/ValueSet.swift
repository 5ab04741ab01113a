/// The non-null values of a column chunk, typed, with the encoders the writer needs.
enum ValueSet {
    case boolean([Bool])
    case int32([Int32])
    case int64([Int64])
    case float([Float])
    case double([Double])
    case bytes([[UInt8]])

    init(_ data: ParquetColumnData, validity: [Bool]?) {
        func present<T>(_ values: [T]) -> [T] {
            guard let validity else { return values }
            var out: [T] = []
            out.reserveCapacity(values.count)
            for (value, valid) in zip(values, validity) where valid { out.append(value) }
            return out
        }
        switch data.values {
        case .boolean(let v): self = .boolean(present(v))
        case .int32(let v): self = .int32(present(v))
        case .int64(let v): self = .int64(present(v))
        case .float(let v): self = .float(present(v))
        case .double(let v): self = .double(present(v))
        case .string(let v): self = .bytes(present(v).map { Array($0.utf8) })
        case .bytes(let v): self = .bytes(present(v))
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
            var byte: UInt8 = 0
            var bit = 0
            for value in v[range] {
                if value { byte |= 1 << UInt8(bit) }
                bit += 1
                if bit == 8 { sink.bytes.append(byte); byte = 0; bit = 0 }
            }
            if bit > 0 { sink.bytes.append(byte) }
        case .int32(let v): v[range].withUnsafeBytes { sink.bytes.append(contentsOf: $0) }
        case .int64(let v): v[range].withUnsafeBytes { sink.bytes.append(contentsOf: $0) }
        case .float(let v): v[range].withUnsafeBytes { sink.bytes.append(contentsOf: $0) }
        case .double(let v): v[range].withUnsafeBytes { sink.bytes.append(contentsOf: $0) }
        case .bytes(let v):
            for value in v[range] {
                sink.u32(UInt32(value.count))
                sink.bytes.append(contentsOf: value)
            }
        }
    }

    func plain() -> [UInt8] {
        var sink = ByteSink()
        plain(0..<count, into: &sink)
        return sink.bytes
    }

    /// Integer values of `range` widened to Int64 (for DELTA_BINARY_PACKED).
    func integers(_ range: Range<Int>) -> [Int64] {
        switch self {
        case .int32(let v): v[range].map(Int64.init)
        case .int64(let v): Array(v[range])
        default: []
        }
    }

    /// Distinct values (first occurrence order) and each value's index, or nil when the
    /// dictionary's PLAIN size would exceed `limit` bytes.
    func dictionary(limit: Int) -> (ValueSet, [UInt32])? {
        func build<T: Hashable>(_ values: [T], size: (T) -> Int, make: ([T]) -> ValueSet) -> (ValueSet, [UInt32])? {
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
                    bytes += size(value)
                    if bytes > limit { return nil }
                }
            }
            return (make(distinct), indices)
        }
        switch self {
        case .boolean: return nil
        case .int32(let v): return build(v, size: { _ in 4 }, make: { .int32($0) })
        case .int64(let v): return build(v, size: { _ in 8 }, make: { .int64($0) })
        case .float(let v): return build(v.map(\.bitPattern), size: { _ in 4 }, make: { .float($0.map(Float.init(bitPattern:))) })
        case .double(let v): return build(v.map(\.bitPattern), size: { _ in 8 }, make: { .double($0.map(Double.init(bitPattern:))) })
        case .bytes(let v): return build(v, size: { $0.count + 4 }, make: { .bytes($0) })
        }
    }

    /// Statistics bounds as PLAIN bytes (NaN never enters them).
    func minMax() -> ([UInt8]?, [UInt8]?) {
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        switch self {
        case .boolean(let v):
            guard !v.isEmpty else { return (nil, nil) }
            return ([v.contains(false) ? 0 : 1], [v.contains(true) ? 1 : 0])
        case .int32(let v):
            guard let lo = v.min(), let hi = v.max() else { return (nil, nil) }
            return (le(lo), le(hi))
        case .int64(let v):
            guard let lo = v.min(), let hi = v.max() else { return (nil, nil) }
            return (le(lo), le(hi))
        case .float(let v):
            let finite = v.filter { !$0.isNaN }
            guard let lo = finite.min(), let hi = finite.max() else { return (nil, nil) }
            return (le(lo.bitPattern), le(hi.bitPattern))
        case .double(let v):
            let finite = v.filter { !$0.isNaN }
            guard let lo = finite.min(), let hi = finite.max() else { return (nil, nil) }
            return (le(lo.bitPattern), le(hi.bitPattern))
        case .bytes(let v):
            guard let lo = v.min(by: { $0.lexicographicallyPrecedes($1) }), let hi = v.max(by: { $0.lexicographicallyPrecedes($1) }) else {
                return (nil, nil)
            }
            // Long strings make poor statistics: skip them rather than truncate wrongly.
            return lo.count <= 64 && hi.count <= 64 ? (lo, hi) : (nil, nil)
        }
    }
}
