public import MarketData
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The durability point of the raw store: an append-only log of events in segment files.
///
/// Why a log in front of Parquet: Parquet files are written whole (footer last), so an event
/// can only be made durable in Parquet by closing a file. The log makes each accepted event
/// durable in about 0.1 ms (one `fdatasync` for a whole batch: group commit), and segments
/// are converted to Parquet in the background. A crash loses nothing that `sync()` reported
/// durable: on open, a torn tail (a record cut by the crash, detected by length and CRC) is
/// truncated and every complete record is recovered.
///
/// Record: `[u32 payload length][u32 CRC-32 of payload][payload = EventCodec]`, little endian.
/// Segment files are named `wal-<first record number, 20 digits>.log`.
public final class WriteAheadLog: Sendable {
    /// A sealed or open segment.
    public struct Segment: Sendable, Equatable {
        public var path: String
        public var firstRecord: UInt64
    }

    private struct State {
        var fd: Int32
        var segment: Segment
        var segmentBytes: Int
        var nextRecord: UInt64
        var durableRecord: UInt64
        var buffer: [UInt8]
        var scratch: [UInt8]
    }

    public let directory: String
    private let state: Mutex<State>
    /// Serialises syncers; held during write + fdatasync so that appends (under `state`)
    /// never wait for the disk.
    private let syncing = Mutex(())

    /// Opens (or creates) the log in `directory`, recovering existing segments. The last
    /// segment's torn tail, if any, is cut off. New records go to a fresh segment, numbered at
    /// least `firstRecordAtLeast` (record numbers name the Parquet files a segment becomes).
    public init(directory: String, firstRecordAtLeast: UInt64 = 0) throws(StoreError) {
        self.directory = directory
        try FileSystem.createDirectory(directory)
        var next: UInt64 = 0
        for segment in try Self.segments(in: directory) {
            // Counted, not kept: a segment's decoded events are many times its size.
            var records: UInt64 = 0
            let (validBytes, fileBytes) = try Self.forEachRecord(in: segment.path) { _, payload in
                guard (try? EventCodec.decode(payload)) != nil else { return false }
                records += 1
                return true
            }
            if validBytes < fileBytes {
                // A torn write from a crash: the records after `validBytes` were never reported durable.
                guard truncate(segment.path, off_t(validBytes)) == 0 else { throw StoreError.io("truncate \(segment.path)", errno) }
            }
            next = segment.firstRecord + records
        }
        next = max(next, firstRecordAtLeast)
        let segment = Segment(path: Self.path(directory, next), firstRecord: next)
        let fd = open(segment.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io("open \(segment.path)", errno) }
        try FileSystem.syncDirectory(directory)
        state = Mutex(State(fd: fd, segment: segment, segmentBytes: 0, nextRecord: next, durableRecord: next, buffer: [], scratch: []))
    }

    deinit {
        state.withLock { s in _ = close(s.fd) }
    }

    static func path(_ directory: String, _ first: UInt64) -> String {
        let digits = String(first)
        return "\(directory)/wal-\(String(repeating: "0", count: max(0, 20 - digits.count)))\(digits).log"
    }

    /// Segments on disk, oldest first.
    public static func segments(in directory: String) throws(StoreError) -> [Segment] {
        try FileSystem.list(directory).compactMap { name -> Segment? in
            guard name.hasPrefix("wal-"), name.hasSuffix(".log"), let first = UInt64(name.dropFirst(4).dropLast(4)) else { return nil }
            return Segment(path: "\(directory)/\(name)", firstRecord: first)
        }.sorted { $0.firstRecord < $1.firstRecord }
    }

    /// Buffers `events`; returns the record number after the last one. Nothing is durable
    /// until ``sync()`` returns at least that number.
    @discardableResult
    public func append(_ events: some Sequence<MarketEvent>) -> UInt64 {
        state.withLock { s in
            for event in events {
                s.scratch.removeAll(keepingCapacity: true)
                EventCodec.encode(event, into: &s.scratch)
                // The record's header (length, CRC) straight into the buffer: no array per event.
                withUnsafeBytes(of: UInt32(s.scratch.count).littleEndian) { s.buffer.append(contentsOf: $0) }
                withUnsafeBytes(of: CRC32.checksum(s.scratch).littleEndian) { s.buffer.append(contentsOf: $0) }
                s.buffer.append(contentsOf: s.scratch)
                s.nextRecord += 1
            }
            return s.nextRecord
        }
    }

    /// Writes and `fdatasync`s everything appended so far (group commit); returns the
    /// durable record number. Concurrent callers share one sync.
    @discardableResult
    public func sync() throws(StoreError) -> UInt64 {
        try syncing.withLock { _ throws(StoreError) in
            // Take what is buffered, then write and fsync without blocking appenders.
            let (bytes, upTo, fd, path) = state.withLock { s -> ([UInt8], UInt64, Int32, String) in
                let taken = s.buffer
                s.buffer.removeAll(keepingCapacity: true)
                return (taken, s.nextRecord, s.fd, s.segment.path)
            }
            guard !bytes.isEmpty else { return state.withLock { $0.durableRecord } }
            try FileSystem.writeAll(fd, bytes, path: path)
            guard fdatasync(fd) == 0 else { throw StoreError.io("fdatasync \(path)", errno) }
            return state.withLock { s in
                s.segmentBytes += bytes.count
                s.durableRecord = upTo
                return upTo
            }
        }
    }

    /// Bytes in the open segment (durable part).
    public var openSegmentBytes: Int { state.withLock { $0.segmentBytes } }

    /// The record number the next appended event will get.
    public var nextRecord: UInt64 { state.withLock { $0.nextRecord } }

    /// Syncs, then starts a new segment; returns the sealed one (nil if it was empty, in which
    /// case it is simply reused).
    public func rotate() throws(StoreError) -> Segment? {
        _ = try sync()
        return try syncing.withLock { _ throws(StoreError) in try rotateLocked() }
    }

    private func rotateLocked() throws(StoreError) -> Segment? {
        // Anything appended since the sync above goes into the sealed segment first.
        let (bytes, upTo, fd, path) = state.withLock { s -> ([UInt8], UInt64, Int32, String) in
            let taken = s.buffer
            s.buffer.removeAll(keepingCapacity: true)
            return (taken, s.nextRecord, s.fd, s.segment.path)
        }
        if !bytes.isEmpty {
            try FileSystem.writeAll(fd, bytes, path: path)
            guard fdatasync(fd) == 0 else { throw StoreError.io("fdatasync \(path)", errno) }
            state.withLock { s in
                s.segmentBytes += bytes.count
                s.durableRecord = upTo
            }
        }
        return try state.withLock { s throws(StoreError) -> Segment? in
            guard s.segmentBytes > 0 else { return nil }
            let sealed = s.segment
            let next = Segment(path: Self.path(directory, s.nextRecord), firstRecord: s.nextRecord)
            let fd = open(next.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw StoreError.io("open \(next.path)", errno) }
            _ = close(s.fd)
            s.fd = fd
            s.segment = next
            s.segmentBytes = 0
            try FileSystem.syncDirectory(directory)
            return sealed
        }
    }

    /// The open segment (never converted while open).
    public var openSegment: Segment { state.withLock { $0.segment } }

    /// Reads every complete record of a segment. Returns the events, the byte length of the
    /// valid prefix and the file's length (they differ after a torn write).
    public static func readSegment(_ path: String) throws(StoreError) -> (events: [MarketEvent], validBytes: Int, fileBytes: Int) {
        var events: [MarketEvent] = []
        let (validBytes, fileBytes) = try forEachRecord(in: path) { _, payload in
            guard let event = try? EventCodec.decode(payload) else { return false }
            events.append(event)
            return true
        }
        return (events, validBytes, fileBytes)
    }

    /// Reads a segment's records in file order without holding the file: `body` gets each
    /// complete record's offset and payload and returns false to end the valid prefix there
    /// (as for a record that does not decode). `verify` checks each payload's CRC; the
    /// complete records end where a header or payload is cut off or a CRC differs.
    /// Returns the byte length of the valid prefix and the file's length.
    @discardableResult
    static func forEachRecord(
        in path: String, verify: Bool = true, _ body: (_ offset: Int, _ payload: ArraySlice<UInt8>) throws -> Bool
    ) throws(StoreError) -> (validBytes: Int, fileBytes: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io("open \(path)", errno) }
        defer { _ = close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw StoreError.io("stat \(path)", errno) }
        let fileBytes = Int(status.st_size)
        // A window of the file: [start, end) of `buffer` holds bytes from file offset `base`.
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var start = 0
        var end = 0
        var base = 0
        var atEOF = false
        /// Makes `count` bytes from `start` available (false at the end of the file).
        func fill(_ count: Int) throws(StoreError) -> Bool {
            while end - start < count {
                if atEOF { return false }
                if start > 0 {
                    // Slide the unread tail to the front so the read lands after it.
                    buffer.withUnsafeMutableBytes { raw in
                        _ = memmove(raw.baseAddress!, raw.baseAddress! + start, end - start)
                    }
                    base += start
                    end -= start
                    start = 0
                }
                if buffer.count < count { buffer += [UInt8](repeating: 0, count: count - buffer.count) }
                let n = buffer.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress! + end, raw.count - end) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw StoreError.io("read \(path)", errno)
                }
                if n == 0 { atEOF = true }
                end += n
            }
            return true
        }
        while base + start + 8 <= fileBytes, try fill(8) {
            var header = ByteReader(buffer[start..<(start + 8)])
            guard let length = try? Int(header.u32()), let crc = try? header.u32() else { break }
            // A cut-off length or payload ends the complete records, like a CRC mismatch.
            guard length <= fileBytes - base - start - 8, try fill(8 + length) else { break }
            let payload = buffer[(start + 8)..<(start + 8 + length)]
            if verify, CRC32.checksum(payload) != crc { break }
            do {
                guard try body(base + start, payload) else { break }
            } catch let error as StoreError {
                throw error
            } catch {
                throw StoreError.corrupt("\(path): \(error)")
            }
            start += 8 + length
        }
        return (base + start, fileBytes)
    }
}

/// CRC-32 (IEEE 802.3, reflected), table driven.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
