import API
import FeatureServer
import Foundation
import Live
import MarketData
import Offline
import ServiceRuntime
import ServiceTestSupport
import TestSupport
import Testing

@Suite(.serialized) struct ImportRetentionWarningTests {
    /// Importing data older than the retention period says that `serve` will delete it and
    /// which FEATURE_SERVICE_RETENTION_DAYS keeps it; with that value there is no warning.
    @Test func importingOldDataWarnsAndNamesTheRetentionThatKeepsIt() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the executable first (scripts/test.sh does)")
        let (recording, events) = try writeRecording(events: 3_000, seed: 5)  // 2026-01-01
        let firstData = scratchDirectory()
        let first = try ServiceProcess(
            ["import", "--input", recording, "--data-dir", firstData],
            environment: ["FEATURE_SERVICE_RETENTION_DAYS": "30"], scratch: firstData)
        #expect(try await first.waitForExit() == 0, "\(first.standardError)")
        let warning = try #require(first.log.first { $0.hasPrefix("warning:") }, "\(first.standardError)")
        #expect(warning.contains("\(events.count) of the \(events.count) events stored"), "\(warning)")
        #expect(warning.contains("(1 day, 2026-01-01)"), "\(warning)")
        #expect(warning.contains("retention period of 30 days"), "\(warning)")
        let text = first.standardError
        let needed = try #require(
            text.range(of: "FEATURE_SERVICE_RETENTION_DAYS=").flatMap { range in
                Int(text[range.upperBound...].prefix { $0.isNumber })
            }, "\(text)")
        let today = Time.floorDiv(Int64(Date().timeIntervalSince1970 * 1e9), Time.nanosPerDay)
        #expect(needed == Int(today - Time.floorDiv(events[0].recvTs, Time.nanosPerDay)))

        let secondData = scratchDirectory()
        let second = try ServiceProcess(
            ["import", "--input", recording, "--data-dir", secondData],
            environment: ["FEATURE_SERVICE_RETENTION_DAYS": "\(needed)"], scratch: secondData)
        #expect(try await second.waitForExit() == 0, "\(second.standardError)")
        #expect(!second.standardError.contains("warning:"), "\(second.standardError)")
    }

    @Test func theWarningCountsOnlyEventsOutsideThePeriod() {
        let now = Time.parseISO8601("2026-11-25T12:00:00Z")!
        var summary = Importer.Summary()
        summary.stored = 10
        summary.storedByDay = [
            Time.daysFromCivil(year: 2026, month: 8, day: 17): 5, Time.daysFromCivil(year: 2026, month: 8, day: 26): 3,
            Time.daysFromCivil(year: 2026, month: 11, day: 25): 2,
        ]
        let warning = summary.retentionWarning(retentionDays: 90, now: now)
        #expect(warning?.contains("8 of the 10 events stored (2 days, 2026-08-17 to 2026-08-26)") == true, "\(warning ?? "nil")")
        #expect(warning?.contains("FEATURE_SERVICE_RETENTION_DAYS=100 or more") == true, "\(warning ?? "nil")")
        #expect(summary.retentionWarning(retentionDays: 100, now: now) == nil)
    }
}
