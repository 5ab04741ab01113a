// Broker-to-features.live latency: `swift run -c release LatencyBenchmark [AMQP_URL]`.
// Starts `feature-service serve` (release, same build folder) as a separate process on the
// broker, publishes book updates for 10 symbols into ws-gateway.orderbook with a unique
// trace id each, consumes features.live, and matches each vector to the update that
// triggered it (the vector carries the update's trace id). Reports p50/p95/p99/max at the
// realistic rate (10 symbols x 70 msgs/s) and at the highest rate this machine sustains, the
// service's own flat-out rate (vectors back per second), and two broker ceilings measured the
// same way: an echo (consume, republish the body to features.live, ack: the service's two broker
// hops with no work in between) and a plain consumer (one hop).
import AMQP
import FeatureServer
import Foundation
import Live
import MarketData
import Offline
import ServiceRuntime
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

// `--latency-only` stops after the two phases at the realistic rate (more runs in the same time
// on a noisy machine).
let latencyOnly = CommandLine.arguments.contains("--latency-only")
// `--throughput-only` skips the two phases at the realistic rate: a short warm-up, then the
// flat-out phases (service, echo ceiling, plain-consumer ceiling).
let throughputOnly = CommandLine.arguments.contains("--throughput-only")
// `--echo`: no service; an in-process consumer republishes each update's body to features.live
// as it comes (ack each, one publish each): the floor of two broker hops on this machine.
let echo = CommandLine.arguments.contains("--echo")
let positional = CommandLine.arguments.dropFirst().filter { !$0.hasPrefix("--") && !$0.hasPrefix("bench.") && Double($0) == nil }
let url = positional.first ?? (ProcessInfo.processInfo.environment["AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5673/")
let configuration = try AMQPConfiguration(url: url)
func now() -> Double { Date().timeIntervalSince1970 }

/// The service's two broker hops with nothing in between: consumes `queue` (prefetch 2,000, as
/// the service), republishes each body to features.live on a second connection (transient, as
/// the service's vectors) and acks. `multipleEvery` acks what was republished with one
/// `basic.ack multiple` at that interval, as the service's group commit does (without its fsync);
/// nil acks each delivery. Returns a function that stops it.
func startEcho(queue: String, multipleEvery: Duration?) async throws -> @Sendable () async -> Void {
    let inbound = try await AMQPConnection.connect(configuration)
    let inChannel = try await inbound.openChannel()
    try await inChannel.basicQos(prefetchCount: 2000)
    let (_, updates) = try await inChannel.consume(queue: queue)
    let outbound = try await AMQPConnection.connect(configuration)
    let outChannel = try await outbound.openChannel()
    let properties = AMQPProperties(contentType: "application/json", deliveryMode: 1)
    final class Highest: Sendable { let tag = Mutex<UInt64>(0) }
    let highest = Highest()
    let echoing = Task {
        do {
            for try await delivery in updates {
                try await outChannel.publish(delivery.body, exchange: BrokerLink.liveExchange, routingKey: "ECHO", properties: properties)
                if multipleEvery == nil {
                    delivery.channel.ack(deliveryTag: delivery.deliveryTag)
                } else {
                    highest.tag.withLock { $0 = delivery.deliveryTag }
                }
            }
        } catch {}
    }
    let acking = Task {
        guard let multipleEvery else { return }
        var acked: UInt64 = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: multipleEvery)
            let through = highest.tag.withLock { $0 }
            if through > acked {
                inChannel.ack(deliveryTag: through, multiple: true)
                acked = through
            }
        }
    }
    return {
        echoing.cancel()
        acking.cancel()
        try? await inbound.close()
        try? await outbound.close()
    }
}
// `--echo-serve QUEUE`: the echo alone, in its own process (as the service is), until killed or its parent ends;
// the flat-out phases start this binary so, to measure the two-hop ceiling.
if let index = CommandLine.arguments.firstIndex(of: "--echo-serve"), index + 1 < CommandLine.arguments.count {
    _ = try await startEcho(queue: CommandLine.arguments[index + 1], multipleEvery: BrokerLink.commitInterval)
    FileHandle.standardOutput.write(Data("echo ready\n".utf8))
    // Ends with the benchmark, also when that one stopped on an error before terminating it.
    let parent = getppid()
    while getppid() == parent { try await Task.sleep(for: .seconds(1)) }
    exit(0)
}

// The service, as users run it, on the broker.
let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("feature-service").path
let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("latency-\(UUID().uuidString)").path
let service = Process()
service.executableURL = URL(fileURLWithPath: binary)
service.arguments = ["serve", "--port", "4599", "--no-console", "--data-dir", dataDir, "--book-update-throttle-ms", "0"]
var environment = ProcessInfo.processInfo.environment
environment["AMQP_URL"] = url
environment["LOG_LEVEL"] = "warning"
environment["FEATURE_SERVICE_API_KEYS"] = "bench"
service.environment = environment
service.standardError = FileHandle(forWritingAtPath: "/dev/null")
service.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
if !echo {
    try service.run()
    print("feature-service pid \(service.processIdentifier)")
}
defer {
    if service.isRunning { service.terminate() }
    if !echo { service.waitUntilExit() }
    try? FileManager.default.removeItem(atPath: dataDir)
}

let admin = try await AMQPConnection.connect(configuration)
let adminChannel = try await admin.openChannel()
try await BrokerLink.declareQueues(on: adminChannel, purge: true)
try await Task.sleep(for: .seconds(2))  // the service connects and starts consuming
if echo { _ = try await startEcho(queue: "ws-gateway.orderbook", multipleEvery: nil) }

/// The `"trace_id":"…"` of a vector or of an echoed envelope, found by a byte search: the
/// subscriber's cost per message must not depend on the message's size (a full parse of a vector,
/// larger than a book update, took more of the shared cores in the service's phase than in the
/// echo's). Both formats are this project's own and write the member unescaped.
func traceId(in body: [UInt8]) -> String? {
    let key = Array(#""trace_id":""#.utf8)
    guard body.count > key.count else { return nil }
    var index = 0
    while index + key.count < body.count {
        if body[index] == key[0], body[index..<(index + key.count)].elementsEqual(key) {
            let start = index + key.count
            guard let end = body[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            return String(decoding: body[start..<end], as: UTF8.self)
        }
        index += 1
    }
    return nil
}

/// Publish times by trace id, and latencies in ms.
final class Book: @unchecked Sendable {
    let lock = NSLock()
    var sent: [String: Double] = [:]
    var latencies: [Double] = []
    var lastReceived = 0.0
    func publish(_ id: String, _ t: Double) { lock.lock(); sent[id] = t; lock.unlock() }
    func receive(_ id: String, _ t: Double) {
        lock.lock()
        if let s = sent.removeValue(forKey: id) { latencies.append((t - s) * 1000) }
        lastReceived = t
        lock.unlock()
    }
    /// Vectors matched so far in this phase, and when the last one arrived.
    var progress: (count: Int, last: Double) { lock.lock(); defer { lock.unlock() }; return (latencies.count, lastReceived) }
    func take() -> [Double] { lock.lock(); defer { latencies = []; sent = [:]; lock.unlock() }; return latencies }
}
let book = Book()
let subscriber = try await AMQPConnection.connect(configuration)
let subscriberChannel = try await subscriber.openChannel()
let (_, vectors) = try await subscriberChannel.consume(queue: BrokerLink.liveQueue, noAck: true)
let receiving = Task {
    do {
        for try await delivery in vectors {
            let t = now()
            guard let trace = traceId(in: delivery.body) else { continue }
            book.receive(trace, t)
        }
    } catch {}
}

let publisher = try await AMQPConnection.connect(configuration)
let channel = try await publisher.openChannel()
let symbols = (0..<10).map { ("SYM\($0)USDT", price: 100.0 + Double($0), tick: 0.01) }
var mix = MarketSimulator.Mix()
mix.bookDeltas = 100
mix.trades = 0
mix.tickers = 0
var simulator = MarketSimulator(seed: 1, symbols: symbols, start: 0, eventsPerSecond: 70, depth: 50, mix: mix)
var counter = 0

@MainActor func run(
    rate: Double?, seconds: Double, routingKey: String = "ws-gateway.orderbook"
) async throws -> (sent: Int, elapsed: Double) {
    let start = now()
    var sent = 0
    while now() - start < seconds {
        if let rate {
            let due = start + Double(sent) / rate
            let wait = due - now()
            if wait > 0 { try await Task.sleep(for: .microseconds(Int(wait * 1e6))) }
        }
        var (_, event) = simulator.nextEvent()
        counter += 1
        event.traceId = "lat-\(counter)"
        let body = GatewayEnvelope.encode(event, eventId: "e\(counter)")
        book.publish("lat-\(counter)", now())
        try await channel.publish(Array(body.utf8), routingKey: routingKey, properties: .persistentJSON)
        sent += 1
    }
    return (sent, now() - start)
}

func report(_ label: String, sent: Int, elapsed: Double) {
    let values = book.take().sorted()
    guard !values.isEmpty else { print("\(label): no vectors received"); return }
    func q(_ p: Double) -> Double { values[min(values.count - 1, Int(Double(values.count) * p))] }
    print(
        String(
            format: "%@: %d updates in %.1f s (%.0f msgs/s), %d vectors matched; latency ms p50 %.3f  p95 %.3f  p99 %.3f  max %.3f",
            label as NSString, sent, elapsed, Double(sent) / elapsed, values.count, q(0.5), q(0.95), q(0.99), values.last!))
}

/// The service's `receipt_to_publish` histogram (its own receipt of a book update to the vector's
/// write to the broker) from `/metrics`: cumulative counts by bucket bound in seconds, +Inf last.
func receiptHistogram() async -> [(bound: Double, count: Double)] {
    guard !echo else { return [] }
    var request = URLRequest(url: URL(string: "http://127.0.0.1:4599/metrics")!)
    request.setValue("bench", forHTTPHeaderField: "X-API-Key")
    guard let (data, _) = try? await URLSession.shared.data(for: request) else { return [] }
    let prefix = "feature_service_receipt_to_publish_seconds_bucket{le=\""
    return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
        guard line.hasPrefix(prefix), let space = line.lastIndex(of: " "), let count = Double(line[line.index(after: space)...])
        else { return nil }
        let bound = line.dropFirst(prefix.count).prefix { $0 != "\"" }
        return (bound == "+Inf" ? .infinity : Double(bound) ?? .nan, count)
    }
}

/// What the service's histogram gained between two scrapes: the share of the phase's vectors
/// written within each bucket's bound of the update's receipt, and the bounds of p50 and p99.
func reportInService(_ label: String, before: [(bound: Double, count: Double)], after: [(bound: Double, count: Double)]) {
    guard !after.isEmpty, after.count == before.count || before.isEmpty else { return }
    let counts = after.indices.map { after[$0].count - (before.isEmpty ? 0 : before[$0].count) }
    guard let total = counts.last, total > 0 else { return }
    func bound(_ q: Double) -> String {
        let index = counts.firstIndex { $0 >= q * total } ?? counts.count - 1
        return after[index].bound.isFinite ? String(format: "≤ %g ms", after[index].bound * 1e3) : "> \(after[index - 1].bound * 1e3) ms"
    }
    let shares = after.indices.filter { after[$0].bound <= 0.001 }.map {
        String(format: "%g ms %.2f %%", after[$0].bound * 1e3, counts[$0] / total * 100)
    }
    print(
        "\(label), inside the service (receipt → vector written), \(Int(total)) vectors: p50 \(bound(0.5)), p99 \(bound(0.99)); within "
            + shares.joined(separator: ", "))
}

_ = try await run(rate: 700, seconds: 2)  // warm-up (first snapshots, JIT-free but caches)
try await Task.sleep(for: .milliseconds(500))
_ = book.take()
if !throughputOnly {
    let histogramBefore = await receiptHistogram()
    let realistic = try await run(rate: 700, seconds: 20)
    try await Task.sleep(for: .seconds(1))
    report("realistic (10 symbols x 70 msgs/s)", sent: realistic.sent, elapsed: realistic.elapsed)
    reportInService("realistic", before: histogramBefore, after: await receiptHistogram())
    // The realistic rate again while the registry is reloaded every 2 s (POST /feature-registry/reload):
    // the reload builds its engine off the pipeline's actor, so ingest should not wait for it.
    let reloads = Task {
        var count = 0
        var request = URLRequest(url: URL(string: "http://127.0.0.1:4599/feature-registry/reload")!)
        request.httpMethod = "POST"
        request.setValue("bench", forHTTPHeaderField: "X-API-Key")
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(2))
            if Task.isCancelled { break }
            if let (_, response) = try? await URLSession.shared.data(for: request), (response as? HTTPURLResponse)?.statusCode == 200 {
                count += 1
            }
        }
        return count
    }
    let duringReloads = try await run(rate: 700, seconds: 20)
    reloads.cancel()
    let reloadCount = await reloads.value
    try await Task.sleep(for: .seconds(1))
    report(
        "realistic during registry reloads (\(reloadCount) reloads, one every 2 s)", sent: duringReloads.sent,
        elapsed: duringReloads.elapsed)
}
/// Stops the service (the later phases measure the broker without it).
func stopService() {
    if service.isRunning { service.terminate() }
    if !echo { service.waitUntilExit() }
}
if latencyOnly {
    receiving.cancel()
    try await publisher.close()
    try await subscriber.close()
    try await admin.close()
    // exit skips the top-level defer: stop the service here.
    stopService()
    try? FileManager.default.removeItem(atPath: dataDir)
    exit(0)
}

/// What one flat-out phase did: published for 10 s as fast as the publisher goes, then waited
/// for arrivals on features.live to stop (caught up, or 60 s more).
struct FlatOut {
    var sent: Int
    var published: Double
    var arrived: Int
    var seconds: Double
    /// CPU seconds the process doing the hops (service or echo) used over the phase.
    var cpu: Double?
    var rate: Double { Double(arrived) / max(seconds, 1e-9) }
    /// That CPU per message handled, in µs: the throughput a process gets out of the cores it can have.
    var cpuPerMessage: String { cpu.map { String(format: "%.1f µs CPU per message", $0 / Double(max(arrived, 1)) * 1e6) } ?? "" }
}

/// User + system CPU seconds of a process so far (/proc/PID/stat, clock ticks of 10 ms).
func cpuSeconds(_ pid: Int32) -> Double? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return nil }
    // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// Publishes flat out into `routingKey`; counts the arrivals on features.live that carry one of
/// the phase's trace ids (a vector of the service, or an echoed body).
func flatOut(into routingKey: String, label: String, pid: Int32) async throws -> FlatOut {
    _ = book.take()
    let start = now()
    let cpuBefore = cpuSeconds(pid)
    let phase = try await run(rate: nil, seconds: 10, routingKey: routingKey)
    var settled = book.progress
    for _ in 0..<120 {
        try await Task.sleep(for: .milliseconds(500))
        let current = book.progress
        if current.count == settled.count && current.count > 0 { break }
        settled = current
    }
    let cpuAfter = cpuSeconds(pid)
    let result = FlatOut(
        sent: phase.sent, published: Double(phase.sent) / phase.elapsed, arrived: settled.count, seconds: settled.last - start,
        cpu: cpuBefore.flatMap { before in cpuAfter.map { $0 - before } })
    report(label, sent: phase.sent, elapsed: phase.elapsed)
    return result
}

/// Starts the echo process on `bench.echo` (a queue with the gateway's arguments, purged) and
/// waits until it consumes. It runs in a process of its own, as the service does (in this one it
/// would share the publisher's and subscriber's threads).
func startEchoProcess() async throws -> Process {
    try await adminChannel.queueDeclare("bench.echo", durable: true, arguments: BrokerLink.gatewayArguments)
    try await adminChannel.queuePurge("bench.echo")
    let echoProcess = Process()
    echoProcess.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    echoProcess.arguments = [url, "--echo-serve", "bench.echo"]
    let echoOutput = Pipe()
    echoProcess.standardOutput = echoOutput
    try echoProcess.run()
    print("echo pid \(echoProcess.processIdentifier)")
    _ = echoOutput.fileHandleForReading.availableData  // "echo ready": consuming
    return echoProcess
}

// `--cpu-at RATE`: the CPU each message costs at a steady RATE (msgs/s) both can keep up with —
// the service (a vector per update), then the echo process (the same two broker hops, nothing
// between) — and stop. Flat out, the CPU per message moves with how far behind a process falls
// (larger batches are cheaper) and with what the broker leaves it; at a fixed rate it does not.
if let index = CommandLine.arguments.firstIndex(of: "--cpu-at"), index + 1 < CommandLine.arguments.count,
    let rate = Double(CommandLine.arguments[index + 1])
{
    func steady(into routingKey: String, pid: Int32) async throws -> (cpu: Double, messages: Int) {
        _ = book.take()
        let before = cpuSeconds(pid) ?? 0
        let phase = try await run(rate: rate, seconds: 10, routingKey: routingKey)
        for _ in 0..<40 where book.progress.count < phase.sent { try await Task.sleep(for: .milliseconds(250)) }
        let cpu = (cpuSeconds(pid) ?? 0) - before
        report("steady \(Int(rate)) msgs/s into \(routingKey)", sent: phase.sent, elapsed: phase.elapsed)
        return (cpu, phase.sent)
    }
    let serviceCost = try await steady(into: "ws-gateway.orderbook", pid: service.processIdentifier)
    stopService()
    let echoProcess = try await startEchoProcess()
    let echoCost = try await steady(into: "bench.echo", pid: echoProcess.processIdentifier)
    echoProcess.terminate()
    echoProcess.waitUntilExit()
    try await adminChannel.queueDelete("bench.echo")
    let servicePer = serviceCost.cpu / Double(serviceCost.messages) * 1e6
    let echoPer = echoCost.cpu / Double(echoCost.messages) * 1e6
    print(
        String(
            format: "CPU per message at %.0f msgs/s: service %.1f µs (a vector per update), echo %.1f µs (two hops): service / echo %.2f",
            rate, servicePer, echoPer, servicePer / echoPer))
    exit(0)
}

// (a) The service, flat out: vectors back per second until it has caught up.
var serviceFlatOut: FlatOut?
if !echo {
    let result = try await flatOut(
        into: "ws-gateway.orderbook", label: "maximum (publish as fast as possible)", pid: service.processIdentifier)
    print(
        String(
            format: "service, flat out: %d published (%.0f/s), %d vectors back in %.1f s: %.0f msgs/s end to end; ",
            result.sent, result.published, result.arrived, result.seconds, result.rate) + result.cpuPerMessage)
    serviceFlatOut = result
    stopService()
    try await Task.sleep(for: .seconds(1))
}

// (b) The fair ceiling: the same two broker hops with no service. The same publisher and bodies
// into a queue with the gateway's arguments, echoed to features.live (acks with `multiple` at
// the service's commit interval, as its group commit) and counted by the same subscriber.
let echoProcess = try await startEchoProcess()
let echoed = try await flatOut(into: "bench.echo", label: "echo, flat out", pid: echoProcess.processIdentifier)
print(
    String(
        format:
            "broker ceiling, two hops (echo process, acks multiple at the commit interval): %d published (%.0f/s), %d back in %.1f s: %.0f msgs/s; ",
        echoed.sent, echoed.published, echoed.arrived, echoed.seconds, echoed.rate) + echoed.cpuPerMessage)
echoProcess.terminate()
echoProcess.waitUntilExit()
try await adminChannel.queueDelete("bench.echo")

// (c) The broker's one-hop ceiling: the same publisher and bodies into a queue with the gateway's
// arguments, drained by a plain consumer that acks each delivery (prefetch 2000, as the service)
// and does nothing else.
try await adminChannel.queueDeclare("bench.ceiling", durable: true, arguments: BrokerLink.gatewayArguments)
try await adminChannel.queuePurge("bench.ceiling")
final class Drain: @unchecked Sendable {
    let lock = NSLock()
    var count = 0
    var last = 0.0
    func got(_ t: Double) { lock.lock(); count += 1; last = t; lock.unlock() }
    var state: (count: Int, last: Double) { lock.lock(); defer { lock.unlock() }; return (count, last) }
}
let drain = Drain()
let plain = try await AMQPConnection.connect(configuration)
let plainChannel = try await plain.openChannel()
try await plainChannel.basicQos(prefetchCount: 2000)
let (_, plainDeliveries) = try await plainChannel.consume(queue: "bench.ceiling")
let draining = Task {
    do {
        for try await delivery in plainDeliveries {
            drain.got(now())
            delivery.channel.ack(deliveryTag: delivery.deliveryTag)
        }
    } catch {}
}
let ceilingStart = now()
let ceiling = try await run(rate: nil, seconds: 10, routingKey: "bench.ceiling")
for _ in 0..<120 where drain.state.count < ceiling.sent { try await Task.sleep(for: .milliseconds(500)) }
let drained = drain.state
let plainRate = Double(drained.count) / max(drained.last - ceilingStart, 1e-9)
print(
    String(
        format:
            "broker ceiling, one hop (plain consumer, acks each): %d published in %.1f s (%.0f msgs/s), %d consumed in %.1f s: %.0f msgs/s",
        ceiling.sent, ceiling.elapsed, Double(ceiling.sent) / ceiling.elapsed, drained.count, drained.last - ceilingStart, plainRate))
if let serviceFlatOut {
    print(
        String(
            format: "service / echo ceiling: %.2f   service / plain ceiling: %.2f   echo / plain: %.2f",
            serviceFlatOut.rate / echoed.rate, serviceFlatOut.rate / plainRate, echoed.rate / plainRate))
} else {
    print(String(format: "echo / plain: %.2f", echoed.rate / plainRate))
}
draining.cancel()
try await adminChannel.queueDelete("bench.ceiling")
try await plain.close()
receiving.cancel()
try await publisher.close()
try await subscriber.close()
try await admin.close()
