// libFuzzer target: gateway envelopes (EnvelopeDecoder.decode), then every decoded event is
// stamped and run through the order book, the quality tracker and the feature engine (bundled
// registry), as the ingest path does. Whatever the byte-level fast path decodes, the general
// decoder must decode to the same message (a difference traps).
// Built by scripts/fuzz.sh; libFuzzer provides main.
import FeatureEngine
import OrderBook
import Quality

@testable import MarketData

/// A fixed service clock (2026-11-24T10:00:00Z): stamping is deterministic, so crashes replay.
let receivedAt: Nanos = 1_764_064_800_000_000_000
let bundledRegistry = FeatureRegistry.bundledDefault

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvelope(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    if let fast = EnvelopeFastPath.decode(bytes.bindMemory(to: UInt8.self)) {
        let general = try? EnvelopeDecoder.decodeGeneral(bytes)
        // `==` takes -0.0 for 0.0: the descriptions tell the bits apart.
        precondition(general == fast && general.map { "\($0)" } == "\(fast)", "fast path and general decoder differ")
    }
    guard let message = try? EnvelopeDecoder.decode(bytes) else { return 0 }
    var stamper = Stamper()
    var books: [String: L2Book] = [:]
    var tracker = QualityTracker()
    var engine = FeatureEngine(registry: bundledRegistry)
    for (offset, unstamped) in message.events.enumerated() {
        // Two arrivals per message: the same event again one second later exercises the
        // tracker's per-symbol history (price jumps, exchange time going backwards).
        for repeatIndex in 0..<2 {
            let event = stamper.stamp(unstamped, at: receivedAt + Int64(offset + repeatIndex * 1_000) * 1_000_000)
            var outcome: BookApplyOutcome?
            if case .book(let update) = event.body {
                outcome = books[event.symbol, default: L2Book(changeTrackingDepth: 5)].apply(update)
                _ = books[event.symbol]?.top
            }
            tracker.observe(event, book: outcome)
            engine.apply(event)
        }
    }
    for symbol in engine.symbolNames { _ = engine.vector(for: symbol, at: receivedAt + 3_000_000_000) }
    _ = tracker.takeBuckets(endedBy: receivedAt + 120_000_000_000)
    return 0
}
