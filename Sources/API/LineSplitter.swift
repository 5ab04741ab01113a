public import MarketData

/// Splits a byte stream into lines as it arrives (JSON Lines bodies), without holding more
/// than one line: a line longer than `maxLineBytes` is not buffered further but comes out
/// refused, with its first bytes. Blank lines are skipped (they still count for numbering).
public struct LineSplitter: Sendable {
    /// One line: its 1-based number, its bytes (without the newline), and why it is refused, if it is.
    public struct Line: Sendable {
        public var number: Int
        public var body: ArraySlice<UInt8>
        public var refused: DecodeError?
    }

    public let maxLineBytes: Int
    private var partial: [UInt8] = []
    /// Bytes of the current line beyond what is held (the line is over the limit).
    private var skipped = 0
    private var number = 0

    public init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// The lines that `bytes` completes.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [Line] {
        var lines: [Line] = []
        var start = 0
        while start < bytes.count {
            guard let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                append(bytes[start...])
                break
            }
            append(bytes[start..<newline])
            if let line = endLine() { lines.append(line) }
            start = newline + 1
        }
        return lines
    }

    /// The last line, when the stream did not end with a newline.
    public mutating func finish() -> [Line] {
        guard !partial.isEmpty || skipped > 0 else { return [] }
        return endLine().map { [$0] } ?? []
    }

    private mutating func append(_ bytes: Slice<UnsafeRawBufferPointer>) {
        let room = maxLineBytes - partial.count
        if bytes.count <= room {
            partial.append(contentsOf: bytes)
        } else {
            partial.append(contentsOf: bytes.prefix(room))
            skipped += bytes.count - room
        }
    }

    private mutating func endLine() -> Line? {
        number += 1
        defer { partial.removeAll(keepingCapacity: true); skipped = 0 }
        // A copy of exactly the line, so that clearing `partial` keeps its buffer (no reallocation per line).
        let body = partial.withUnsafeBufferPointer { ArraySlice($0) }
        if skipped > 0 {
            let length = partial.count + skipped
            let error = DecodeError(field: "", problem: "line of \(length) bytes is longer than the limit of \(maxLineBytes) bytes")
            return Line(number: number, body: body, refused: error)
        }
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { return nil }
        return Line(number: number, body: body, refused: nil)
    }
}
