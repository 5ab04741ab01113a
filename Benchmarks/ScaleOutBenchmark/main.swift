// Scale-out throughput: `swift build -c release && swift run -c release ScaleOutBenchmark [AMQP_URL] [MESSAGES]`.
// The same N gateway-shaped messages (6 symbols, every type the simulator makes) are put into the
// gateway's queues before each phase, then drained by:
//   0. a plain consumer that acks each message (the broker's own ceiling on this machine);
//   1. the router alone (`SymbolRouter`, in this process), republishing with confirms into a sink queue;
//   2. one lone `feature-service serve` (release, child process) consuming the gateway queues directly;
//   3. `feature-service route` + two shards (child processes), three symbols each.
// A phase's rate is N over the time from its first message taken (ready counts by passive declare
// every 50 ms) until all N are done: acked (plain consumer), in the sink (router alone), or
// taken by the instances (their /metrics: events accepted + duplicates + malformed).
import AMQP
import Foundation
import Live
import Logging
import MarketData
import Offline
import Routing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Prints a line unbuffered: a run cut short still shows the phases it finished.
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

let arguments = CommandLine.arguments
let url = arguments.count > 1 ? arguments[1] : (ProcessInfo.processInfo.environment["AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5673/")
let count = arguments.count > 2 ? Int(arguments[2]) ?? 100_000 : 100_000
let configuration = try AMQPConfiguration(url: url)
let binary = URL(fileURLWithPath: arguments[0]).deletingLastPathComponent().appendingPathComponent("feature-service").path
let symbolsA = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
let symbolsB = ["XRPUSDT", "DOGEUSDT", "ADAUSDT"]
func now() -> Double { Date().timeIntervalSince1970 }

// The messages, made once.
let symbols = (symbolsA + symbolsB).enumerated().map { ($0.element, price: 10.0 * Double($0.offset + 1), tick: 0.01) }
var simulator = MarketSimulator(seed: 5, symbols: symbols, start: Nanos(now() * 1e9), eventsPerSecond: 100, depth: 20)
let messages: [(queue: String, body: [UInt8])] = (0..<count).map { index in
    let (_, event) = simulator.nextEvent()
    let queue = "ws-gateway.\(event.body.type == .orderbook ? "orderbook" : event.body.type.rawValue)"
    return (queue, Array(GatewayEnvelope.encode(event, eventId: "b\(index)").utf8))
}

let admin = try await AMQPConnection.connect(configuration)
let channel = try await admin.openChannel()

/// Purges the gateway, shard, sink and unrouted queues.
func reset() async throws {
    try await BrokerLink.declareQueues(on: channel, purge: true)
    try await SymbolRoute.declareTopology(on: channel)
    try await channel.queuePurge(SymbolRoute.unroutedQueue)
    for name in ["a", "b"] { try await channel.queueDelete(SymbolRoute.shardQueue(name)) }
    try await channel.queueDelete("bench.sink")
    try await channel.queueDelete("bench.plain")
}

/// Publishes every message (pipelined confirms), to its gateway queue or to `only`.
func fill(only: String? = nil) async throws -> Double {
    let connection = try await AMQPConnection.connect(configuration)
    let publisher = try await connection.openChannel()
    try await publisher.confirmSelect()
    let start = now()
    let confirmed = AsyncStream.makeStream(of: Void.self)
    for (queue, body) in messages {
        try publisher.publish(body, routingKey: only ?? queue, properties: .persistentJSON) { _ in confirmed.continuation.yield() }
    }
    var received = 0
    for await _ in confirmed.stream {
        received += 1
        if received == messages.count { break }
    }
    let elapsed = now() - start
    try await connection.close()
    return Double(messages.count) / elapsed
}

/// Ready messages in the queues.
func ready(_ queues: [String]) async throws -> Int {
    var total = 0
    for queue in queues { total += Int(try await channel.queueDeclare(queue, passive: true).messages) }
    return total
}

/// Messages the instances on `ports` took so far (their /metrics): events accepted, plus
/// duplicates dropped (the simulator repeats an identical kline now and then) and malformed ones.
func accepted(ports: [Int]) async -> Int {
    var total = 0
    for port in ports {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        request.setValue("bench", forHTTPHeaderField: "X-API-Key")
        guard let (data, _) = try? await URLSession.shared.data(for: request) else { continue }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n")
        where line.hasPrefix("feature_service_events_total") || line.hasPrefix("feature_service_duplicates_total")
            || line.hasPrefix("feature_service_malformed_total")
        {
            total += Int(Double(line.split(separator: " ").last ?? "") ?? 0)
        }
    }
    return total
}

/// Seconds from the first message taken from `source` until `done()` says all are through.
func drainTime(source: [String], timeout: Double = 600, done: () async throws -> Bool) async throws -> Double {
    let full = try await ready(source)
    var started: Double?
    let deadline = now() + timeout
    while now() < deadline {
        if started == nil, try await ready(source) < full { started = now() }
        if let started, try await done() { return now() - started }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw AMQPError.protocolError("not drained within \(timeout) s")
}

/// Whether a queue exists (a passive declare of a missing one closes its channel: a scratch one).
func exists(_ queue: String) async -> Bool {
    guard let probe = try? await admin.openChannel() else { return false }
    guard (try? await probe.queueDeclare(queue, passive: true)) != nil else { return false }
    try? await probe.close()
    return true
}

func child(_ args: [String], data: String) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = args
    var environment = ProcessInfo.processInfo.environment
    environment["LOG_LEVEL"] = "warning"
    environment["FEATURE_SERVICE_API_KEYS"] = "bench"
    environment["FEATURE_SERVICE_DATA_DIR"] = data
    process.environment = environment
    process.standardError = FileHandle(forWritingAtPath: "/dev/null")
    process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
    try process.run()
    return process
}

func stop(_ processes: [Process]) {
    for process in processes where process.isRunning { process.terminate() }
    for process in processes { process.waitUntilExit() }
}

func line(_ label: String, _ seconds: Double) -> Double {
    let rate = Double(count) / seconds
    say(String(format: "%@: %d messages in %.2f s: %.0f msgs/s", label as NSString, count, seconds, rate))
    return rate
}

say("ScaleOutBenchmark: \(count) messages, 6 symbols, \(ProcessInfo.processInfo.activeProcessorCount) cores")

// A shard or router left running by an interrupted run would take messages of this one: refuse.
try await reset()
try await Task.sleep(for: .seconds(2))
for queue in [SymbolRoute.shardQueue("a"), SymbolRoute.shardQueue("b")] + GatewayQueues.required where await exists(queue) {
    let consumers = try await channel.queueDeclare(queue, passive: true).consumers
    if consumers > 0 {
        say("\(queue) has \(consumers) consumer(s) from an earlier run: stop them (pkill -f 'feature-service (serve|route)') and retry")
        exit(1)
    }
}

// 0. The broker's ceiling: one queue, a plain consumer acking each message.
try await reset()
try await channel.queueDeclare("bench.plain", durable: true)
say(String(format: "publish with confirms (pipelined, one channel): %.0f msgs/s", try await fill(only: "bench.plain")))
final class Acked: @unchecked Sendable {
    let lock = NSLock()
    var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
let acked = Acked()
let plain = try await AMQPConnection.connect(configuration)
let plainChannel = try await plain.openChannel()
try await plainChannel.basicQos(prefetchCount: 2000)
let (_, plainDeliveries) = try await plainChannel.consume(queue: "bench.plain")
let acker = Task {
    for try await delivery in plainDeliveries {
        delivery.channel.ack(deliveryTag: delivery.deliveryTag)
        acked.add()
    }
}
let ceiling = line(
    "0. broker ceiling (plain consumer, acks each)", try await drainTime(source: ["bench.plain"]) { acked.value >= count })
acker.cancel()
try await plain.close()

// 1. The router alone, into a sink queue bound to every routing key.
try await reset()
try await channel.queueDeclare("bench.sink", durable: true)
try await channel.queueBind(queue: "bench.sink", exchange: SymbolRoute.exchange, routingKey: "#")
_ = try await fill()
let router = SymbolRouter(configuration: configuration, logger: Logger(label: "bench"))
let routing = Task { await router.run() }
let routed = line(
    "1. router alone into one sink queue (republish with confirms, ack after confirm)",
    try await drainTime(source: GatewayQueues.required) { try await ready(["bench.sink"]) >= count })
routing.cancel()
_ = await routing.value
let sunk = try await ready(["bench.sink"])
say("   sink holds \(sunk) of \(count) (router counters: \(router.snapshot.routed) routed, \(router.snapshot.failed) failed)")
try await channel.queueDelete("bench.sink")

// 1b. The peer: RabbitMQ's own shovel (ack-mode on-confirm) from each gateway queue into the same
// sink. It cannot route by symbol (the symbol is in the body): it measures what the broker itself
// achieves republishing with confirms, over its internal connections.
func rabbitmq(_ arguments: [String]) -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = ["scripts/rabbitmq.sh"] + arguments
    process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
    process.standardError = FileHandle(forWritingAtPath: "/dev/null")
    guard (try? process.run()) != nil else { return false }
    process.waitUntilExit()
    return process.terminationStatus == 0
}
var shovelRate: Double?
if rabbitmq(["plugins", "enable", "--online", "rabbitmq_shovel"]) {
    try await reset()
    try await channel.queueDeclare("bench.sink", durable: true)
    try await channel.queueBind(queue: "bench.sink", exchange: SymbolRoute.exchange, routingKey: "#")
    _ = try await fill()
    // Timed from the first message the shovels take: the clock starts before they are declared.
    async let shovelled = drainTime(source: GatewayQueues.required) { try await ready(["bench.sink"]) >= count }
    for queue in GatewayQueues.required {
        let definition =
            #"{"src-protocol":"amqp091","src-uri":"amqp://","src-queue":"\#(queue)","dest-protocol":"amqp091","dest-uri":"amqp://","#
            + #""dest-exchange":"\#(SymbolRoute.exchange)","dest-exchange-key":"shovel.x","ack-mode":"on-confirm","#
            + #""src-prefetch-count":2000}"#
        _ = rabbitmq(["ctl", "set_parameter", "shovel", "bench-\(queue)", definition])
    }
    shovelRate = line("1b. peer: RabbitMQ shovel into the same sink queue (ack-mode on-confirm, no routing by symbol)", try await shovelled)
    for queue in GatewayQueues.required { _ = rabbitmq(["ctl", "clear_parameter", "shovel", "bench-\(queue)"]) }
    try await channel.queueDelete("bench.sink")
} else {
    say("1b. skipped: cannot enable rabbitmq_shovel through scripts/rabbitmq.sh (run from the repository root)")
}

// 1c. The router into two queues bound by symbol, as two shards bind theirs (RabbitMQ runs each
// queue in one Erlang process: one sink queue is itself a ceiling).
try await reset()
for (name, symbols) in [("bench.sink.a", symbolsA), ("bench.sink.b", symbolsB)] {
    try await channel.queueDelete(name)
    try await channel.queueDeclare(name, durable: true)
    for symbol in symbols {
        try await channel.queueBind(queue: name, exchange: SymbolRoute.exchange, routingKey: SymbolRoute.binding(symbol))
    }
}
_ = try await fill()
let router2 = SymbolRouter(configuration: configuration, logger: Logger(label: "bench"))
let routing2 = Task { await router2.run() }
let routedTwo = line(
    "1c. router alone into two queues bound by symbol",
    try await drainTime(source: GatewayQueues.required) { try await ready(["bench.sink.a", "bench.sink.b"]) >= count })
routing2.cancel()
_ = await routing2.value
for name in ["bench.sink.a", "bench.sink.b"] { try await channel.queueDelete(name) }

// 2. One lone instance consuming the gateway queues.
try await reset()
_ = try await fill()
let loneData = FileManager.default.temporaryDirectory.appendingPathComponent("scaleout-lone-\(UUID().uuidString)").path
let lone = try child(["serve", "--port", "4601", "--no-console", "--no-simulator", "--amqp-url", url], data: loneData)
let loneRate = line(
    "2. one instance (consumes the gateway queues)",
    try await drainTime(source: GatewayQueues.required) { await accepted(ports: [4601]) >= count })
stop([lone])
try? FileManager.default.removeItem(atPath: loneData)

// 3. Router + two shards sharing one data directory.
try await reset()
_ = try await fill()
let sharedData = FileManager.default.temporaryDirectory.appendingPathComponent("scaleout-shards-\(UUID().uuidString)").path
let shards = [("a", symbolsA, 4602), ("b", symbolsB, 4603)].map { name, symbols, port in
    try! child(
        [
            "serve", "--port", "\(port)", "--no-console", "--no-simulator", "--amqp-url", url, "--shard", name, "--symbols",
            symbols.joined(separator: ","),
        ],
        data: sharedData)
}
// The shards' queues and bindings exist before the router routes (else messages wait unrouted).
for name in ["a", "b"] {
    while !(await exists(SymbolRoute.shardQueue(name))) { try await Task.sleep(for: .milliseconds(100)) }
}
try await Task.sleep(for: .milliseconds(500))
let routeProcess = try child(["route", "--amqp-url", url], data: sharedData)
let routeStarted = now()
let shardedRate = line(
    "3. router + 2 shards (3 symbols each)",
    try await drainTime(source: GatewayQueues.required) { await accepted(ports: [4602, 4603]) >= count })
let unrouted = try await ready([SymbolRoute.unroutedQueue])
// The router's CPU time (user + system, from /proc).
if let stat = try? String(contentsOfFile: "/proc/\(routeProcess.processIdentifier)/stat", encoding: .utf8),
    let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 13,
    let user = Double(fields[11]), let system = Double(fields[12])
{
    let cpu = (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    say(
        String(
            format: "   router process: %.1f s CPU over %.1f s since its start (%.0f %% of one core)", cpu, now() - routeStarted,
            100 * cpu / (now() - routeStarted)))
}
stop([routeProcess] + shards)
try? FileManager.default.removeItem(atPath: sharedData)
say("   unrouted: \(unrouted)")

// 4. Failover: two `route` processes, the active one killed with SIGKILL; how long until the
// standby has routed messages published right after the kill (default --standby-retry-ms 500).
try await reset()
try await channel.queueDeclare("bench.sink", durable: true)
try await channel.queueBind(queue: "bench.sink", exchange: SymbolRoute.exchange, routingKey: "#")
let routerData = FileManager.default.temporaryDirectory.appendingPathComponent("scaleout-route-\(UUID().uuidString)").path
var takeovers: [Double] = []
for _ in 0..<3 {
    let active = try child(["route", "--amqp-url", url], data: routerData)
    try await Task.sleep(for: .seconds(1))
    let standby = try child(["route", "--amqp-url", url], data: routerData)
    try await Task.sleep(for: .seconds(2))
    try await channel.queuePurge("bench.sink")
    kill(active.processIdentifier, SIGKILL)
    active.waitUntilExit()
    let killed = now()
    let connection = try await AMQPConnection.connect(configuration)
    let publisher = try await connection.openChannel()
    try await publisher.confirmSelect()
    for (queue, body) in messages.prefix(100) { try await publisher.publish(body, routingKey: queue, properties: .persistentJSON) }
    try await connection.close()
    while try await ready(["bench.sink"]) < 100 && now() - killed < 30 { try await Task.sleep(for: .milliseconds(10)) }
    takeovers.append(now() - killed)
    stop([standby])
}
say(
    "4. failover: standby routing \(takeovers.map { String(format: "%.2f s", $0) }.joined(separator: ", ")) after SIGKILL of the active router"
)
try await channel.queueDelete("bench.sink")

say(String(format: "router (two queues) / broker ceiling: %.2f", routedTwo / ceiling))
if let shovelRate { say(String(format: "router / RabbitMQ shovel: %.2f", routed / shovelRate)) }
say(String(format: "router + 2 shards / one instance: %.2f", shardedRate / loneRate))
try await reset()
try await admin.close()
