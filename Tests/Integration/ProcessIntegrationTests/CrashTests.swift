import API
import FeatureServer
import Foundation
import Live
import MarketData
import Offline
import RawStore
import ServiceRuntime
import ServiceTestSupport
import TestSupport
import Testing

@Suite(.serialized) struct CrashTests {
    /// A child process imports a stream and reports each durability point; it is killed with
    /// SIGKILL at a random moment. After recovery the store holds every event up to the last
    /// reported point, none twice.
    @Test(arguments: [UInt64(1), 2, 3])
    func killDashNineLosesNothingReportedDurable(seed: UInt64) throws {
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the executable first (scripts/test.sh does)")
        let (recording, events) = try writeRecording(events: 30_000, seed: seed)
        let root = scratchDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["import", "--input", recording, "--data-dir", root, "--batch", "97", "--report-durable"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var generator = SplitMix64(seed: seed)
        let killAfter = 3 + Int(generator.next() % 150)  // durability reports before the kill
        var durable = 0
        var reports = 0
        var pending = Data()
        let handle = output.fileHandleForReading
        reading: while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...newline)
                if line.hasPrefix("durable "), let value = Int(line.dropFirst(8)) {
                    durable = value
                    reports += 1
                    if reports >= killAfter {
                        kill(process.processIdentifier, SIGKILL)
                        break reading
                    }
                }
            }
        }
        process.waitUntilExit()
        #expect(durable > 0)
        let stored = try storedEvents(root)
        // Every event reported durable is there ...
        #expect(stored.count >= durable, "stored \(stored.count), reported durable \(durable)")
        // ... exactly once, and exactly the recording's first events (per symbol, in order).
        for symbol in Set(events.map(\.symbol)) {
            let mine = stored.filter { $0.symbol == symbol }
            let theirs = events.filter { $0.symbol == symbol }
            // (The envelope carries received_at in microseconds: compare what the engine reads.)
            func essence(_ e: MarketEvent) -> String { "\(e.recvTs) \(e.seq) \(e.exchTsMs ?? -1) \(e.body)" }
            #expect(mine.map(essence) == theirs.prefix(mine.count).map(essence), "\(symbol)")
        }
        let keys = stored.compactMap { event -> DuplicateFilter.Key? in
            DuplicateFilter.key(of: UnstampedEvent(symbol: event.symbol, exchTsMs: event.exchTsMs, body: event.body))
        }
        #expect(Set(keys).count == keys.count, "no event stored twice")

        // Importing the same recording again completes it without storing anything twice.
        let rerun = Process()
        rerun.executableURL = URL(fileURLWithPath: executable)
        rerun.arguments = ["import", "--input", recording, "--data-dir", root]
        rerun.standardError = FileHandle.nullDevice
        try rerun.run()
        rerun.waitUntilExit()
        #expect(rerun.terminationStatus == 0)
        #expect(try storedEvents(root).count == events.count)
    }
}
