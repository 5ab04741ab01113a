import Foundation
import MarketData
import ServiceTestSupport
import TestSupport
import Testing

@testable import RawStore

/// One event of every type, with optional fields both set and unset.

@Suite struct EventCodecTests {
    @Test func everyEventTypeRoundTrips() throws {
        for event in sampleEvents {
            var bytes: [UInt8] = []
            EventCodec.encode(event, into: &bytes)
            #expect(try EventCodec.decode(bytes[...]) == event)
            // Every truncation is an error, never a crash.
            for cut in 0..<bytes.count { #expect(throws: CodecError.self) { _ = try EventCodec.decode(bytes[0..<cut]) } }
        }
    }
}

@Suite struct WriteAheadLogTests {
    @Test func syncedRecordsSurviveReopening() throws {
        let dir = scratchDirectory()
        do {
            let log = try WriteAheadLog(directory: dir)
            #expect(log.append(sampleEvents) == UInt64(sampleEvents.count))
            #expect(try log.sync() == UInt64(sampleEvents.count))
        }
        let reopened = try WriteAheadLog(directory: dir)
        #expect(reopened.nextRecord == UInt64(sampleEvents.count))
        let segments = try WriteAheadLog.segments(in: dir)
        let events = try segments.flatMap { try WriteAheadLog.readSegment($0.path).events }
        #expect(events == sampleEvents)
    }

    @Test func aTornTailIsCutOffOnOpen() throws {
        let dir = scratchDirectory()
        let segmentPath: String
        do {
            let log = try WriteAheadLog(directory: dir)
            log.append(sampleEvents)
            try log.sync()
            segmentPath = log.openSegment.path
        }
        // Simulate a crash in the middle of writing one more record.
        let handle = try #require(FileHandle(forWritingAtPath: segmentPath))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([40, 0, 0, 0, 1, 2, 3, 4, 9, 9]))
        try handle.close()
        let reopened = try WriteAheadLog(directory: dir)
        #expect(reopened.nextRecord == UInt64(sampleEvents.count))
        let (events, valid, total) = try WriteAheadLog.readSegment(segmentPath)
        #expect(events.count == sampleEvents.count)
        #expect(valid == total)  // truncated to the valid prefix
    }

    @Test func aFlippedByteStopsRecoveryAtTheDamagedRecord() throws {
        let dir = scratchDirectory()
        let log = try WriteAheadLog(directory: dir)
        log.append(sampleEvents)
        try log.sync()
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: log.openSegment.path)))
        let (_, valid, _) = try WriteAheadLog.readSegment(log.openSegment.path)
        bytes[valid - 3] ^= 0xFF  // inside the last record's payload
        try Data(bytes).write(to: URL(fileURLWithPath: log.openSegment.path))
        #expect(try WriteAheadLog.readSegment(log.openSegment.path).events.count == sampleEvents.count - 1)
    }

    @Test func rotationSealsSegmentsInOrder() throws {
        let dir = scratchDirectory()
        let log = try WriteAheadLog(directory: dir)
        log.append(sampleEvents.prefix(3))
        let first = try #require(try log.rotate())
        #expect(first.firstRecord == 0)
        #expect(try log.rotate() == nil)  // nothing new: no empty segment is sealed
        log.append(sampleEvents.dropFirst(3))
        let second = try #require(try log.rotate())
        #expect(second.firstRecord == 3)
        #expect(try WriteAheadLog.readSegment(second.path).events == Array(sampleEvents.dropFirst(3)))
    }
}
