// Helpers shared by the test targets (not a test target itself: nothing here is a test).
public import Foundation
import Testing

/// The package root, found from this file's path.
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A new empty directory under the system's temporary directory.
public func scratchDirectory() -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("fs-test-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Runs the test Python (with pyarrow) from the package root, e.g.
/// `runPython(["scripts/interop/parquet_interop.py", "check", file, expected])`. The tests need
/// it: `scripts/test.sh` creates `.venv` (or set FEATURE_SERVICE_PYTHON); a missing
/// interpreter fails the calling test with that advice.
public func runPython(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let python =
        ProcessInfo.processInfo.environment["FEATURE_SERVICE_PYTHON"] ?? packageRoot.appendingPathComponent(".venv/bin/python").path
    guard FileManager.default.isExecutableFile(atPath: python) else {
        Issue.record("no Python with pyarrow at \(python): run scripts/test.sh (it creates .venv) or set FEATURE_SERVICE_PYTHON")
        return (-1, "")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = arguments
    process.currentDirectoryURL = packageRoot
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
