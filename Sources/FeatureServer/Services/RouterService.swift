import AMQP
public import Logging
public import Routing
public import ServiceLifecycle

/// `feature-service route`: the symbol router (``SymbolRouter``) as a named service, with a line
/// of counters in the log every `reportEvery` while it routes.
public struct RouterService: Service, CustomStringConvertible {
    public let router: SymbolRouter
    public let reportEvery: Duration
    let logger: Logger
    public var description: String { "symbol-router" }

    public init(router: SymbolRouter, reportEvery: Duration = .seconds(10), logger: Logger) {
        self.router = router
        self.reportEvery = reportEvery
        self.logger = logger
    }

    public func run() async throws {
        try await runUntilShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await router.run() }
                group.addTask { await report() }
                await group.next()
                group.cancelAll()
            }
        }
    }

    private func report() async {
        var last = router.snapshot
        while !Task.isCancelled {
            try? await Task.sleep(for: reportEvery)
            let now = router.snapshot
            guard now != last else { continue }
            logger.info(
                "router counters",
                metadata: [
                    "active": .stringConvertible(now.active), "routed": .stringConvertible(now.routed),
                    "routed_since_last": .stringConvertible(now.routed - last.routed),
                    "without_symbol": .stringConvertible(now.withoutSymbol), "failed": .stringConvertible(now.failed),
                ])
            last = now
        }
    }
}
