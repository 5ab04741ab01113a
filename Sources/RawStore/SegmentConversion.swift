import MarketData

/// One sealed log segment read group by group — a group being the (type, symbol, day) rows of
/// one part file — with bounded memory: the segment is neither decoded whole nor held whole.
///
/// Why: a segment's decoded events, and their long-form columns, are many times its size (a
/// 64 MiB segment of 200-level books is about half a GiB of columns). Instead, a first pass
/// notes each record's group and length (8 bytes a record), then the groups are written one at
/// a time, in key order, from "waves": one sequential read of the segment collects the encoded
/// records of the next groups in write order up to `bufferBytes` (a group larger than that is
/// spread over several waves). ``nextBatch(_:)`` decodes a group's records a batch of rows at
/// a time for the file writer. A segment of a few hundred groups costs a few sequential reads
/// of the file (from the page cache) in exchange.
struct SegmentConversion {
    struct Group {
        let type: EventType
        let symbol: String
        let date: String
        var records = 0
        var bytes = 0
    }

    private struct Key: Hashable {
        let type: EventType
        let symbol: String
        let day: Int64
    }

    let path: String
    /// Encoded record bytes held at once (at least one record).
    let bufferBytes: Int
    /// Rows per batch handed to the file writer (at least one event).
    let batchRows: Int
    private(set) var groups: [Group] = []
    /// Group indices in the order their files are written (by type, symbol, date).
    private(set) var order: [Int] = []
    /// Each symbol's last stamp in the segment.
    private(set) var sequences: [String: RawStore.SequencePoint] = [:]
    /// Per record, in file order: its group and its payload's length.
    private var recordGroup: [UInt32] = []
    private var recordLength: [UInt32] = []
    /// Per group: records read into a wave so far, and their bytes.
    private var loaded: [Int] = []
    private var loadedBytes: [Int] = []
    /// Per group: the current wave's payloads back to back, their end offsets, the next to take.
    private var wave: [[UInt8]] = []
    private var waveEnds: [[Int]] = []
    private var waveNext: [Int] = []
    private var waveGroups: [Int] = []

    /// Reads `path` once to index its complete records (up to the first one that does not
    /// decode, like ``WriteAheadLog/readSegment(_:)``).
    init(path: String, bufferBytes: Int, batchRows: Int = 16 * 1024) throws(StoreError) {
        self.path = path
        self.bufferBytes = bufferBytes
        self.batchRows = batchRows
        var index: [Key: Int] = [:]
        var dates: [Int64: String] = [:]
        var groups: [Group] = []
        var recordGroup: [UInt32] = []
        var recordLength: [UInt32] = []
        var sequences: [String: RawStore.SequencePoint] = [:]
        try WriteAheadLog.forEachRecord(in: path) { _, payload in
            guard let event = try? EventCodec.decode(payload) else { return false }
            sequences[event.symbol] = RawStore.SequencePoint(recvTs: event.recvTs, seq: event.seq)
            let day = Time.floorDiv(event.recvTs, Time.nanosPerDay)
            let key = Key(type: event.type, symbol: event.symbol, day: day)
            let group: Int
            if let known = index[key] {
                group = known
            } else {
                let date = dates[day] ?? Time.formatDate(event.recvTs)
                dates[day] = date
                group = groups.count
                index[key] = group
                groups.append(Group(type: event.type, symbol: event.symbol, date: date))
            }
            groups[group].records += 1
            groups[group].bytes += payload.count
            recordGroup.append(UInt32(group))
            recordLength.append(UInt32(payload.count))
            return true
        }
        self.groups = groups
        self.recordGroup = recordGroup
        self.recordLength = recordLength
        self.sequences = sequences
        order = groups.indices.sorted { a, b in
            let (x, y) = (groups[a], groups[b])
            return "\(x.type.rawValue)|\(x.symbol)|\(x.date)" < "\(y.type.rawValue)|\(y.symbol)|\(y.date)"
        }
        loaded = Array(repeating: 0, count: groups.count)
        loadedBytes = Array(repeating: 0, count: groups.count)
        wave = Array(repeating: [], count: groups.count)
        waveEnds = Array(repeating: [], count: groups.count)
        waveNext = Array(repeating: 0, count: groups.count)
    }

    /// The next rows of `group` in log order as columns (whole events, about `batchRows` rows),
    /// nil once the group is exhausted. Call for one group after another, in ``order``.
    mutating func nextBatch(_ group: Int) throws(StoreError) -> [ColumnData]? {
        var events: [MarketEvent] = []
        var rows = 0
        while rows < batchRows, let payload = try nextPayload(group) {
            let event: MarketEvent
            do { event = try EventCodec.decode(payload) } catch { throw StoreError.corrupt("\(path): \(error)") }
            rows += EventTables.rowCount(event)
            events.append(event)
        }
        return events.isEmpty ? nil : EventTables.columns(groups[group].type, events)
    }

    private mutating func nextPayload(_ group: Int) throws(StoreError) -> ArraySlice<UInt8>? {
        if waveNext[group] == waveEnds[group].count {
            guard loaded[group] < groups[group].records else { return nil }
            try loadWave(from: group)
        }
        let next = waveNext[group]
        waveNext[group] += 1
        return wave[group][(next == 0 ? 0 : waveEnds[group][next - 1])..<waveEnds[group][next]]
    }

    /// Reads the records of the groups from `first` on (in ``order``) that fit in `bufferBytes`.
    private mutating func loadWave(from first: Int) throws(StoreError) {
        for group in waveGroups {
            wave[group] = []
            waveEnds[group] = []
            waveNext[group] = 0
        }
        waveGroups = []
        // Plan: whole groups while they fit, then the part of the next one that fits.
        var limit = Array(repeating: 0, count: groups.count)
        var budget = bufferBytes
        var expected = 0
        for group in order.drop(while: { $0 != first }) {
            let remaining = groups[group].bytes - loadedBytes[group]
            var records = groups[group].records - loaded[group]
            var bytes = remaining
            if remaining > budget {
                (records, bytes) = prefix(of: group, fitting: budget, atLeastOne: waveGroups.isEmpty)
            }
            if records > 0 {
                waveGroups.append(group)
                limit[group] = loaded[group] + records
                wave[group].reserveCapacity(bytes)
                waveEnds[group].reserveCapacity(records)
                budget -= bytes
                expected += records
            }
            if remaining > bytes || budget <= 0 { break }
        }
        // Collect them in one sequential read (the records were checked by the first pass).
        var seen = Array(repeating: 0, count: groups.count)
        var record = 0
        var collected = 0
        try WriteAheadLog.forEachRecord(in: path, verify: false) { _, payload in
            guard record < recordGroup.count, collected < expected else { return false }
            let group = Int(recordGroup[record])
            record += 1
            let number = seen[group]
            seen[group] += 1
            if number >= loaded[group], number < limit[group] {
                wave[group].append(contentsOf: payload)
                waveEnds[group].append(wave[group].count)
                collected += 1
            }
            return true
        }
        guard collected == expected else { throw StoreError.corrupt("\(path) changed during its conversion") }
        for group in waveGroups {
            loaded[group] = limit[group]
            loadedBytes[group] += wave[group].count
        }
    }

    /// How many of `group`'s records not yet loaded fit in `budget` bytes, and their bytes.
    private func prefix(of group: Int, fitting budget: Int, atLeastOne: Bool) -> (records: Int, bytes: Int) {
        var number = 0
        var records = 0
        var bytes = 0
        for index in recordGroup.indices where recordGroup[index] == group {
            defer { number += 1 }
            guard number >= loaded[group] else { continue }
            let length = Int(recordLength[index])
            if bytes + length > budget && !(atLeastOne && records == 0) { break }
            records += 1
            bytes += length
        }
        return (records, bytes)
    }
}
