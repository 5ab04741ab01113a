import TestSupport
import Foundation
import Testing

/// A path named `name` in a new scratch directory.
func scratch(_ name: String) -> String { "\(scratchDirectory())/\(name)" }

/// Runs `scripts/interop/parquet_interop.py` with the test Python (pyarrow).
func runInterop(_ arguments: [String]) throws -> (status: Int32, output: String) {
    try runPython(["scripts/interop/parquet_interop.py"] + arguments)
}
