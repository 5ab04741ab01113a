import Foundation
import ServiceTestSupport
import TestSupport
import Testing

/// `replay` against an independent, naive Python implementation of features.md
/// (`scripts/reference/`, written from the spec without reading this code), on adversarial
/// recordings: gaps, crossed and one-sided books, restarts, deltas before snapshots, shared
/// instants, quiet periods, positions from both sources. Agreement is exact, bit for bit (both
/// follow features.md §2: exact sums, everything else one binary64 operation at a time).
@Suite(.serialized) struct ReferenceComparisonTests {
    func run(_ arguments: [String]) throws -> (Int32, String) { try runPython(arguments) }

    @Test(arguments: [(UInt64(11), "config/feature-registry.yaml"), (UInt64(12), "scripts/reference/extra-registry.yaml")])
    func replayAgreesWithTheIndependentReference(seed: UInt64, registry: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the executable first (scripts/test.sh does)")
        let dir = scratchDirectory()
        let recording = "\(dir)/recording.jsonl"
        let (made, madeOutput) = try run([
            "scripts/reference/make_recording.py", "--seed", "\(seed)", "--events", "4000", "--output", recording,
        ])
        try #require(made == 0, "\(madeOutput)")
        let replay = Process()
        replay.executableURL = URL(fileURLWithPath: executable)
        replay.arguments = [
            "replay", "--input", recording, "--output", "\(dir)/ours.csv", "--registry", packageRoot.appendingPathComponent(registry).path,
        ]
        replay.standardError = FileHandle.nullDevice
        try replay.run()
        replay.waitUntilExit()
        #expect(replay.terminationStatus == 0)
        let (reference, referenceOutput) = try run([
            "scripts/reference/features_reference.py", "--input", recording, "--output", "\(dir)/ref.csv",
            "--registry", registry,
        ])
        try #require(reference == 0, "\(referenceOutput)")
        let (status, comparison) = try run(["scripts/reference/compare.py", "\(dir)/ours.csv", "\(dir)/ref.csv"])
        #expect(status == 0, "\(comparison.suffix(3000))")
    }
}
