import API
import Datasets
import FeatureEngine
import FeatureServer
import Foundation
import Live
import MarketData
import Offline
import ServiceRuntime
import TestSupport
import Testing

/// Every input the fuzzers (scripts/fuzz.sh) found crashing is kept in Fuzz/regressions/ and
/// replayed here in the normal suite: each is refused with an error, none traps.
@Suite struct FuzzRegressionTests {
    func inputs(_ target: String) throws -> [(String, String)] {
        let directory = packageRoot.appendingPathComponent("Fuzz/regressions/\(target)").path
        return try FileManager.default.contentsOfDirectory(atPath: directory).sorted().map { name in
            (name, String(decoding: FileManager.default.contents(atPath: "\(directory)/\(name)") ?? Data(), as: UTF8.self))
        }
    }

    @Test func envelopeCrashesAreDecodeErrorsAndThePipelineGoesOn() async throws {
        let cases = try inputs("envelope")
        #expect(!cases.isEmpty)
        let pipeline = try LivePipeline(configuration: .init(registry: .bundledDefault), store: nil)
        for (name, body) in cases {
            #expect(throws: DecodeError.self, "\(name)") { try EnvelopeDecoder.decode(text: body) }
            _ = await pipeline.ingest(Array(body.utf8), receivedAt: 1_767_225_600_000_000_000)
        }
        #expect(await pipeline.counters.malformed == cases.count)
    }

    @Test func datasetCrashesAreRejectedRequests() throws {
        let cases = try inputs("dataset")
        #expect(!cases.isEmpty)
        for (name, body) in cases {
            #expect(throws: DatasetConfigError.self, "\(name)") { try DatasetConfig.parse(json: body) }
        }
    }
}
