import AMQP
import ArgumentParser
import FeatureServer
import Foundation
import Logging
import Routing
import ServiceLifecycle
import ServiceRuntime

struct Route: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Route the gateway's queues to shards by symbol (run one, plus a standby).",
        discussion: """
            Consumes the gateway's queues (interfaces.md §1) and republishes every message unchanged \
            (body, headers, properties) to the topic exchange feature-service.route with the routing key \
            {symbol}.{source queue}, with publisher confirms; a gateway message is acknowledged only once \
            its copy is confirmed, so a router killed at any moment loses nothing (what it had not acked \
            is redelivered; a copy sent twice is dropped by the shard's duplicate filter). \
            Each shard (`serve --shard NAME --symbols ...`) binds its own durable queue to its symbols. \
            A message no shard is bound for (a symbol nobody owns, a body without a symbol) waits in the \
            queue feature-service.unrouted, never dropped. \
            Start a second router on another machine as a hot standby: the queues are consumed \
            exclusively, so the broker refuses it until the active router's connection is gone, then it \
            takes over within --standby-retry-ms. Stops on SIGTERM/SIGINT (unacked messages go back).
            Environment: AMQP_URL, LOG_LEVEL (flags override them).
            """)

    @Option(name: .long, help: "Broker URL, amqp://user:pass@host:5672/vhost (env AMQP_URL).")
    var amqpURL: String?

    @Option(name: .long, help: "Gateway messages in flight (unacked, awaiting their copy's confirm).")
    var prefetch: UInt16 = 2000

    @Option(name: .long, help: "A standby retries taking the queues over at least this often (ms).")
    var standbyRetryMs: Int = 500

    @Option(name: .long, help: "Log the router's counters this often (seconds).")
    var reportSeconds: Int = 10

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Consume only these queues, comma-separated (default: every gateway queue).",
            discussion: "Several active routers can split the queues, e.g. one for ws-gateway.orderbook and one for the rest, "
                + "each with its own standby; the queues must exist."))
    var queues: String?

    func validate() throws {
        if standbyRetryMs < 10 { throw ValidationError("--standby-retry-ms must be at least 10") }
        if reportSeconds < 1 { throw ValidationError("--report-seconds must be at least 1") }
        if prefetch == 0 { throw ValidationError("--prefetch must be at least 1") }
        if let queues, queues.split(separator: ",").allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ValidationError("--queues needs at least one queue name")
        }
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let url = amqpURL ?? env["AMQP_URL"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw ValidationError("route needs a broker: set AMQP_URL or --amqp-url")
        }
        let amqp: AMQPConfiguration
        do { amqp = try AMQPConfiguration(url: url) } catch { throw ValidationError("AMQP_URL: \(error)") }
        let level = Logger.Level(rawValue: (env["LOG_LEVEL"] ?? "info").lowercased()) ?? .info
        LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level) }
        let logger = Logger(label: "feature-service.route")
        var options = SymbolRouter.Options()
        options.prefetch = prefetch
        options.standbyRetry = .milliseconds(standbyRetryMs)
        if let queues {
            options.queues = queues.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let router = SymbolRouter(configuration: amqp, options: options, logger: logger)
        logger.notice(
            "router starting", metadata: ["exchange": .string(SymbolRoute.exchange), "unrouted_queue": .string(SymbolRoute.unroutedQueue)])
        let service = RouterService(router: router, reportEvery: .seconds(reportSeconds), logger: logger)
        try await ServiceGroup(
            configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        ).run()
        let counters = router.snapshot
        logger.notice(
            "router stopped",
            metadata: ["routed": .stringConvertible(counters.routed), "failed": .stringConvertible(counters.failed)])
    }
}
