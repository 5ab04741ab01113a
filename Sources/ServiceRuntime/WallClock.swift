public import MarketData
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The service's one source of wall-clock time (ns since the epoch). Every edge that needs "now"
/// is handed one, so that tests can set and advance time instead of sleeping; the core never
/// reads a clock (time comes in as data).
public protocol WallClock: Sendable {
    /// Now, in ns since the Unix epoch.
    func now() -> Nanos
}

/// The system's real-time clock.
public struct SystemClock: WallClock {
    public init() {}

    public func now() -> Nanos {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Nanos(spec.tv_sec) * Time.nanosPerSecond + Nanos(spec.tv_nsec)
    }
}

/// A clock that moves only when told to: for tests and deterministic runs.
public final class ManualClock: WallClock {
    private let current: Mutex<Nanos>

    /// - Parameter start: the instant the clock shows first (ns since the epoch).
    public init(start: Nanos) { current = Mutex(start) }

    public func now() -> Nanos { current.withLock { $0 } }

    /// Moves the clock by `nanos` (negative to step back, as wall clocks sometimes do).
    public func advance(by nanos: Nanos) { current.withLock { $0 += nanos } }

    /// Sets the clock to `instant`.
    public func set(_ instant: Nanos) { current.withLock { $0 = instant } }
}
