import AMQP
import API
import FeatureEngine
import FeatureServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Live
import Logging
import MarketData
import Offline
import RawStore
import ServiceRuntime
import ServiceTestSupport
import TestSupport
import Testing

@Suite struct HostileDecodingTests {
    @Test func absurdTimesAreDecodeErrorsNamingTheField() {
        for (body, field) in Hostile.poison {
            #expect(throws: DecodeError.self, "\(field)") { try EnvelopeDecoder.decode(text: body) }
            do { _ = try EnvelopeDecoder.decode(text: body) } catch {
                #expect(error.field == field)
                #expect(error.problem.contains("out of range"), "\(error)")
            }
        }
        #expect((try? EnvelopeDecoder.decode(text: Hostile.trade("BTCUSDT", time: "1764064800000", id: "ok"))) != nil)
    }

    @Test func poisonThroughThePipelineIsDeadLetteredAndGoodInputAroundItIsApplied() async throws {
        let pipeline = try LivePipeline(configuration: .init(registry: .bundledDefault), store: nil)
        let good = Hostile.trade("BTCUSDT", time: "1764064800000", id: "g1")
        await pipeline.ingest(Array(good.utf8), receivedAt: Hostile.now)
        for (body, _) in Hostile.poison {
            #expect(await pipeline.ingest(Array(body.utf8), receivedAt: Hostile.now) != .accepted(events: 1))
        }
        await pipeline.ingest(Array(Hostile.trade("BTCUSDT", time: "1764064800001", id: "g2").utf8), receivedAt: Hostile.now + 1)
        let counters = await pipeline.counters
        #expect(counters.malformed == Hostile.poison.count)
        #expect(counters.eventsByType[.trade] == 2)
        let letters = await pipeline.takeDeadLetters()
        #expect(letters.count == Hostile.poison.count)
        #expect(letters.allSatisfy { $0.source == "broker" && $0.logIndividually })
        #expect(await pipeline.latest(symbol: "BTCUSDT", now: Hostile.now + 2)?.values.isEmpty == false)
    }

    @Test func deadLettersAreBoundedPerDayAndCounted() {
        var box = DeadLetterBox()
        let error = DecodeError(field: "", problem: "bad")
        for index in 0..<(DeadLetterBox.dailyCount + 5) {
            box.add(
                error, body: Array(repeating: UInt8(ascii: "x"), count: 10), at: Hostile.now + Nanos(index), source: "broker",
                logIndividually: true)
        }
        #expect(box.kept == DeadLetterBox.dailyCount)
        #expect(box.dropped == 5)
        // A new day has a new budget; bodies are cut to the bound.
        let kept = box.add(
            error, body: [UInt8](repeating: 0x41, count: 1 << 20), at: Hostile.now + Time.nanosPerDay, source: "ingest",
            logIndividually: false)
        #expect(kept)
        #expect(box.take().last?.body.count == DeadLetterBox.maxBodyBytes)
    }

    @Test func lineSplitterRefusesOverlongLinesWithoutHoldingThem() {
        var splitter = LineSplitter(maxLineBytes: 8)
        var lines: [LineSplitter.Line] = []
        for chunk in ["ab\n\n  \ncdefghijklmnop", "qrstuv\nxy"] {
            lines += Array(chunk.utf8).withUnsafeBytes { splitter.feed($0) }
        }
        lines += splitter.finish()
        #expect(lines.map(\.number) == [1, 4, 5])
        #expect(lines[0].refused == nil && Array(lines[0].body) == Array("ab".utf8))
        #expect(lines[1].refused?.problem.contains("20 bytes") == true)
        #expect(lines[1].body.count == 8)
        #expect(Array(lines[2].body) == Array("xy".utf8))
    }
}
