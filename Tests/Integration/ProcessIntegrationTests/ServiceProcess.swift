import Foundation
import MarketData
import NIOConcurrencyHelpers
import ServiceTestSupport
import TestSupport

/// The built `feature-service` run as a user runs it, its JSON log lines (stderr) collected as they come.
final class ServiceProcess {
    let process = Process()
    /// Removed when done (a data directory the test made for the child).
    let scratch: String?
    private let lines = NIOLockedValueBox<[String]>([])

    init(_ arguments: [String], environment: [String: String] = [:], scratch: String? = nil) throws {
        self.scratch = scratch
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Read on a thread: the pipe must be drained or a chatty child blocks.
        Self.drain(errors.fileHandleForReading) { [lines] text in lines.withLockedValue { $0.append(text) } }
    }

    private static func drain(_ handle: FileHandle, line: @escaping @Sendable (String) -> Void) {
        Thread.detachNewThread {
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    line(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            if !pending.isEmpty { line(String(decoding: pending, as: UTF8.self)) }
        }
    }

    var log: [String] { lines.withLockedValue { $0 } }
    var standardError: String { log.joined(separator: "\n") }

    /// The first log line whose message is `message`, as JSON, waiting up to `timeout`.
    func waitForLog(_ message: String, timeout: Duration = .seconds(60)) async throws -> JSONValue? {
        let deadline = ContinuousClock.now + timeout
        var exitedAt: ContinuousClock.Instant?
        while true {
            if let text = log.first(where: { $0.contains("\"message\":\"\(message)\"") }) { return try JSONParser.parse(text) }
            let now = ContinuousClock.now
            // Once the child has exited its last lines may still be in the pipe: a short grace, then give up.
            if !process.isRunning {
                if let exitedAt, now - exitedAt > .seconds(1) { return nil }
                exitedAt = exitedAt ?? now
            }
            if now > deadline { return nil }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The exit status, waiting up to `timeout` (nil: still running, then killed).
    func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Never leave a child behind, whatever the test did.
    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        if let scratch { try? FileManager.default.removeItem(atPath: scratch) }
    }
}
