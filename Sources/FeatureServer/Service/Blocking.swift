import NIOPosix

/// Blocking work (fsync, file writes) off the cooperative thread pool and off the pipeline's
/// actor: it runs on NIO's shared blocking-I/O thread pool and is awaited.
enum Blocking {
    @discardableResult
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
