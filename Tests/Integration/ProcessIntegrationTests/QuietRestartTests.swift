import API
import FeatureEngine
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

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// features.md §1, quiet symbols, end to end: `serve` on a store whose last event is a year
/// old must not close a year of grid points (it once ran for minutes at 11 GB and ignored SIGTERM).
@Suite(.serialized) struct QuietRestartTests {
    /// The resident set of a process, in MiB (Linux).
    func residentMiB(_ pid: Int32) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kb / 1024
    }

    func get(_ url: String) async -> Int? {
        guard let (_, response) = try? await URLSession.shared.data(from: URL(string: url)!) else { return nil }
        return (response as? HTTPURLResponse)?.statusCode
    }

    @Test func aYearOldStoreStartsAnswersAndStopsOnSIGTERMWithinASecond() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the executable first (scripts/test.sh does)")
        let root = scratchDirectory()
        let yearAgo = Nanos(Date().timeIntervalSince1970 * 1e9) - 365 * Time.nanosPerDay
        do {
            let store = try RawStore(root: root, format: ParquetFormat())
            var simulator = MarketSimulator(seed: 5, start: yearAgo, eventsPerSecond: 100, depth: 10)
            var stamper = Stamper()
            store.append(
                (0..<6_000).map { _ in
                    let (time, event) = simulator.nextEvent()
                    return stamper.stamp(event, at: time)
                })
            try store.sync()
            try store.flush()
        }
        let port = 41_000 + Int(UInt16.random(in: 0..<8_000))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--port", "\(port)", "--host", "127.0.0.1", "--data-dir", root, "--no-simulator", "--no-console"]
        process.environment = ["FEATURE_SERVICE_API_KEYS": "k", "LOG_LEVEL": "error", "PATH": "/usr/bin:/bin"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var healthy = false
        for _ in 0..<300 where !healthy {
            healthy = await get("http://127.0.0.1:\(port)/health") == 200
            if !healthy { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(healthy, "serve answers /health")
        // Let the grid clock run over the year-long silence for a moment.
        try await Task.sleep(for: .seconds(2))
        #expect(await get("http://127.0.0.1:\(port)/features/latest?symbol=BTCUSDT&api_key=k") == 200)
        let resident = residentMiB(process.processIdentifier) ?? 0
        #expect(resident < 400, "resident \(resident) MiB")
        let stopAsked = Date()
        kill(process.processIdentifier, SIGTERM)
        while process.isRunning && Date().timeIntervalSince(stopAsked) < 10 { try await Task.sleep(for: .milliseconds(10)) }
        let stopped = Date().timeIntervalSince(stopAsked)
        #expect(!process.isRunning)
        #expect(stopped < 1, "stopped \(stopped) s after SIGTERM")
        #expect(process.terminationStatus == 0)
    }
}
