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
