// Memory of the live path over market time: `swift run -c release MemoryBenchmark [symbols] [minutes]`
// (defaults: 50 symbols, 60 minutes of market time, 70 messages/s per symbol).
//
// The live pipeline and raw store that `serve` runs, fed as fast as they go with simulated
// gateway envelopes whose clock is market time (a ManualClock-like loop: grid ticks every
// 100 ms, the store's durability point and checkpoints every second, quality buckets taken
// every 10 s, the log rolled into Parquet every 5 minutes, publications drained), so that the
// windows hold what an hour of real market holds. Prints the resident set size (VmRSS) every
// minute of market time with the peak so far (VmHWM), and at the end how long the rolls into
// Parquet took.
import EngineHistory
import FeatureEngine
import Foundation
import Live
import MarketData
import NIOCore
import NIOPosix
import Offline
import RawStore

let symbolCount = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 50 : 50
let minutes = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 60 : 60
let perSymbolRate = 70.0
let start: Nanos = 1_767_225_600_000_000_000

/// A field of /proc/self/status in MiB (VmRSS, VmHWM).
func memoryMiB(_ field: String) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        let kb = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Double($0) } ?? -1
        return kb / 1024
    }
    return -1
}

func wallSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// The whole run, off the main actor, on the pipeline's event loop (as `serve`'s broker consumer):
/// a hop between threads per message would measure thread switches, not the service.
func run() async throws {
    let loop = MultiThreadedEventLoopGroup.singleton.next()
    try await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) { try await feed(loop) }
}

func feed(_ loop: any EventLoop) async throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("bench-memory-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: root) }
    let store = try RawStore(root: root, format: ParquetFormat())
    let checkpoints = CheckpointStore(root: root)
    let pipeline = try LivePipeline(configuration: .init(registry: .bundledDefault), store: store, eventLoop: loop)
    let drained = Task {
        var vectors = 0
        for await _ in pipeline.publications { vectors += 1 }
        return vectors
    }

    let symbols = (0..<symbolCount).map { (String(format: "S%02dUSDT", $0), price: 100.0 + Double($0) * 7, tick: 0.01) }
    var simulator = MarketSimulator(
        seed: 7, symbols: symbols, start: start, eventsPerSecond: perSymbolRate, depth: 200)
    let end = start + Nanos(minutes) * 60 * Time.nanosPerSecond
    let tickStep = 100 * Time.nanosPerMilli
    var nextTick = start + tickStep
    var nextCommit = start + Time.nanosPerSecond
    var nextQuality = start + 10 * Time.nanosPerSecond
    var nextReport = start
    var nextRoll = start + 5 * 60 * Time.nanosPerSecond
    let reportStep = 60 * Time.nanosPerSecond
    var messages = 0
    var rolls: [Double] = []
    let wallStart = wallSeconds()
    print("\(symbolCount) symbols x \(Int(perSymbolRate)) msgs/s, \(minutes) min of market time, 200-level books, default registry")
    print("market min | messages | RSS MiB | peak MiB | wall s")
    while true {
        let (time, event) = simulator.nextEvent()
        if time >= end { break }
        while nextTick <= time {
            await pipeline.tick(now: nextTick)
            nextTick += tickStep
        }
        if time >= nextCommit {
            let due = await pipeline.takeCheckpoints()
            try store.sync()
            for checkpoint in due { try checkpoints.write(checkpoint) }
            _ = await pipeline.takeDeadLetters()
            nextCommit += Time.nanosPerSecond
        }
        if time >= nextQuality {
            _ = await pipeline.takeQualityBuckets(endedBy: time)
            nextQuality += 10 * Time.nanosPerSecond
        }
        if time >= nextRoll {
            // As serve's store-commit service: the log is rolled into Parquet every 5 minutes
            // (and sooner when a segment reaches its size limit).
            let rollStart = wallSeconds()
            try store.flush()
            rolls.append(wallSeconds() - rollStart)
            nextRoll += 5 * 60 * Time.nanosPerSecond
        }
        if time >= nextReport {
            print(
                String(
                    format: "%10d | %8d | %7.1f | %8.1f | %6.1f", Int((time - start) / (60 * Time.nanosPerSecond)), messages,
                    memoryMiB("VmRSS"), memoryMiB("VmHWM"), wallSeconds() - wallStart))
            nextReport += reportStep
        }
        var sent = event
        sent.gatewayTs = time
        sent.exchTsMs = time / Time.nanosPerMilli
        let body = GatewayEnvelope.encode(sent, eventId: "m\(messages)")
        await pipeline.ingest(Array(body.utf8), receivedAt: time)
        messages += 1
    }
    try store.sync()
    let rollStart = wallSeconds()
    try store.flush()
    rolls.append(wallSeconds() - rollStart)
    await pipeline.finish()
    let vectors = await drained.value
    print(
        String(
            format: "end: %d messages, %d vectors, RSS %.1f MiB, peak RSS %.1f MiB, %.1f s wall (%.0f msgs/s)", messages, vectors,
            memoryMiB("VmRSS"), memoryMiB("VmHWM"), wallSeconds() - wallStart, Double(messages) / (wallSeconds() - wallStart)))
    print(
        String(
            format: "rolls into Parquet: %d, %.1f s in all, longest %.1f s", rolls.count, rolls.reduce(0, +), rolls.max() ?? 0))
}

try await Task.detached { try await run() }.value
