import Live
import Logging
import ServiceLifecycle
import ServiceRuntime

/// The built-in simulated market, in real time (no broker configured and no replay).
struct SimulatedFeedService: Service, CustomStringConvertible {
    let pipeline: LivePipeline
    let symbols: Set<String>?
    let clock: any WallClock
    let logger: Logger
    var description: String { "simulated-feed" }

    func run() async throws {
        try await runUntilShutdown {
            try await Feeds.simulate(into: pipeline, symbols: symbols, clock: clock, logger: logger)
        }
        // No symbol of the simulator is ours (or shutdown): nothing to feed, the API keeps
        // serving. A service that returns early would stop the group as failed.
        try await gracefulShutdown()
    }
}

/// A recording played at its recorded pace (or faster) into the pipeline. With
/// `exitAfterReplay` the group is configured to shut down when it returns; otherwise it waits
/// for shutdown once played.
struct ReplayFeedService: Service, CustomStringConvertible {
    let pipeline: LivePipeline
    let path: String
    let speed: Double
    let exitAfterReplay: Bool
    let clock: any WallClock
    let logger: Logger
    var description: String { "replay-feed" }

    func run() async throws {
        try await runUntilShutdown {
            try await Feeds.replay(path: path, speed: speed, into: pipeline, clock: clock, logger: logger)
        }
        if exitAfterReplay {
            logger.notice("replay done: stopping (--exit-after-replay)")
        } else {
            logger.notice("replay done: the API keeps serving until SIGINT/SIGTERM")
            try await gracefulShutdown()
        }
    }
}
