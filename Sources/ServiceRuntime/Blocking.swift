import NIOPosix
import Synchronization

/// Blocking work (fsync, file writes) off the cooperative thread pool and off the pipeline's
/// actor: it runs on NIO's shared blocking-I/O thread pool and is awaited.
public enum Blocking {
    @discardableResult
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}

extension Blocking {
    /// Long blocking work that can stop early: `body` polls the flag it is given, which turns
    /// true when the awaiting task is cancelled (graceful shutdown), so shutdown does not wait
    /// for the whole job.
    public static func runCancellable<T: Sendable>(
        _ body: @escaping @Sendable (_ isCancelled: @escaping @Sendable () -> Bool) throws -> T
    )
        async throws -> T
    {
        let flag = StopFlag()
        return try await withTaskCancellationHandler {
            try await run { try body { flag.isSet } }
        } onCancel: {
            flag.set()
        }
    }
}

/// A one-way flag shared between a task and blocking work.
public final class StopFlag: Sendable {
    public init() {}
    private let value = Mutex(false)
    public var isSet: Bool { value.withLock { $0 } }
    public func set() { value.withLock { $0 = true } }
}
