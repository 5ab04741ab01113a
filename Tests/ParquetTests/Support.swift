import Foundation
import Testing

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func scratch(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parquet-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

/// Runs `scripts/interop/parquet_interop.py` with the test Python (pyarrow). The tests need it:
/// `scripts/test.sh` creates `.venv`; a missing interpreter fails the test with that advice.
func runInterop(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let python = ProcessInfo.processInfo.environment["FEATURE_SERVICE_PYTHON"] ?? packageRoot.appendingPathComponent(".venv/bin/python").path
    guard FileManager.default.isExecutableFile(atPath: python) else {
        Issue.record("no Python with pyarrow at \(python): run scripts/test.sh (it creates .venv) or set FEATURE_SERVICE_PYTHON")
        return (-1, "")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [packageRoot.appendingPathComponent("scripts/interop/parquet_interop.py").path] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
