import Foundation
import MarketData
import ServiceTestSupport
import TestSupport
import Testing

/// The web console driven in headless Chromium (Debian's `chromium` and `chromium-driver`,
/// Selenium from `.venv`) against the built `feature-service serve` with the simulated feed:
/// `scripts/console/browser_test.py` does the clicking and checks; this test starts the service
/// on free ports with a temporary data directory (a recording imported into it first, so a
/// dataset has stored data to be built from) and fails with what the script printed.
/// Screenshots of each view go to `.build/console-screenshots` (not committed).
@Suite(.serialized) struct ConsoleBrowserTests {
    static let key = "console-test-key"

    @Test func theConsoleShowsLiveDataBuildsADatasetAndReportsProblems() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the executable first (scripts/test.sh does)")
        let python =
            ProcessInfo.processInfo.environment["FEATURE_SERVICE_PYTHON"] ?? packageRoot.appendingPathComponent(".venv/bin/python").path
        for (path, what) in [
            ("/usr/bin/chromium", "Debian's chromium"), ("/usr/bin/chromedriver", "Debian's chromium-driver"),
            (python, "the test Python (.venv with selenium)"),
        ] {
            try #require(FileManager.default.isExecutableFile(atPath: path), "no \(what) at \(path): run scripts/setup-test-env.sh")
        }
        let data = scratchDirectory()
        // A minute of stored market data (2026-01-01, kept by a long retention) for the dataset build.
        let (recording, events) = try writeRecording(events: 18_000, seed: 23)
        let environment = ["FEATURE_SERVICE_API_KEYS": Self.key, "LOG_LEVEL": "notice", "FEATURE_SERVICE_RETENTION_DAYS": "36500"]
        let importer = try ServiceProcess(["import", "--input", recording, "--data-dir", data], environment: environment)
        #expect(try await importer.waitForExit() == 0, "\(importer.standardError)")

        let service = try ServiceProcess(
            ["serve", "--host", "127.0.0.1", "--port", "0", "--console-port", "0", "--data-dir", data], environment: environment,
            scratch: data)
        let console = try #require(
            try await service.waitForLog("web console listening")?["port"].flatMap { value -> Int? in
                if case .string(let text) = value { return Int(text) } else { return nil }
            }, "\(service.standardError)")

        // Whole seconds after the first stored event, for BTCUSDT (the simulator's first symbol).
        let first = Time.floorDiv(events.first!.recvTs, Time.nanosPerSecond) * Time.nanosPerSecond
        func at(_ seconds: Int64) -> String { String(Time.formatISO8601(first + seconds * Time.nanosPerSecond).prefix(19)) + "Z" }
        #expect(events.contains { $0.symbol == "BTCUSDT" })
        let dataset =
            #"{"symbol": "BTCUSDT", "horizon": "1s", "train": ["\#(at(2))", "\#(at(30))"], "#
            + #""validation": ["\#(at(30))", "\#(at(40))"], "test": ["\#(at(40))", "\#(at(50))"]}"#
        let screenshots = packageRoot.appendingPathComponent(".build/console-screenshots").path
        try? FileManager.default.removeItem(atPath: screenshots)
        let (status, output) = try await runProcess(
            python,
            [
                "scripts/console/browser_test.py", "--console", "http://127.0.0.1:\(console)", "--key", Self.key,
                "--screenshots", screenshots, "--dataset", dataset,
            ])
        print(output)
        print("console screenshots: \(screenshots)")
        #expect(status == 0, "\(output)\n--- service log ---\n\(service.standardError.suffix(6000))")
        #expect(output.contains("console browser test: 9 passed, 0 failed"), "\(output)")
        #expect(service.process.isRunning, "\(service.standardError)")
        kill(service.process.processIdentifier, SIGTERM)
        // Open streams end at shutdown: the service still stops cleanly.
        #expect(try await service.waitForExit() == 0, "\(service.standardError)")
    }
}

/// Runs a program from the package root to its end without blocking a cooperative thread; its
/// standard output and error together.
func runProcess(_ program: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    process.currentDirectoryURL = packageRoot
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    return try await withCheckedThrowingContinuation { continuation in
        do { try process.run() } catch {
            continuation.resume(throwing: error)
            return
        }
        Thread.detachNewThread {
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            continuation.resume(returning: (process.terminationStatus, String(decoding: output, as: UTF8.self)))
        }
    }
}
