public import NIOCore

/// Runs tasks on a NIO event loop. NIO's loops serve actors as serial executors but are not task
/// executors; this lets a task (a consumer's or the publisher's loop) prefer the live path's event
/// loop, so that the broker connections, those tasks and the pipeline's actor hand batches to each
/// other on one thread, queued in the loop rather than woken across threads.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

extension EventLoop {
    /// Waits `duration` on this loop's own timer. A task that prefers this loop then wakes on it,
    /// with no dispatch timer thread and no cooperative thread woken (`Task.sleep` takes both).
    /// Throws when the loop has shut down.
    public func sleep(for duration: Duration) async throws {
        let (seconds, attoseconds) = duration.components
        try await scheduleTask(in: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)) {}.futureResult.get()
    }
}
