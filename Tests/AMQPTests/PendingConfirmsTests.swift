import Synchronization
import Testing

@testable import AMQP

/// Publisher confirms settle their publishes in order, singly or `multiple` up to a tag.
struct PendingConfirmsTests {
    /// Waiters that record which publish (by its index) was settled, and how.
    final class Log: Sendable {
        let entries = Mutex<[String]>([])
        func waiter(_ index: Int) -> AMQPConnection.ConfirmWaiter {
            .callback { result in
                self.entries.withLock {
                    switch result {
                    case .success: $0.append("\(index) ok")
                    case .failure(let error): $0.append("\(index) \(error)")
                    }
                }
            }
        }
        var all: [String] { entries.withLock { $0 } }
    }

    @Test func singleAndMultipleConfirmsSettleExactlyTheirPublishes() {
        let log = Log()
        var pending = PendingConfirms()
        for index in 1...6 { pending.append(log.waiter(index)) }
        #expect(pending.nextTag == 7)
        // Out of order singles, then a multiple that covers the rest up to 5.
        for waiter in pending.settle(2, multiple: false) { waiter.resolve(.success(())) }
        for waiter in pending.settle(1, multiple: false) { waiter.resolve(.success(())) }
        #expect(pending.firstTag == 3, "settled ones at the front are dropped")
        for waiter in pending.settle(5, multiple: true) { waiter.resolve(.success(())) }
        #expect(log.all == ["2 ok", "1 ok", "3 ok", "4 ok", "5 ok"])
        // A tag settled twice or unknown settles nothing.
        #expect(pending.settle(2, multiple: false).isEmpty)
        #expect(pending.settle(40, multiple: false).isEmpty)
        for waiter in pending.removeAll() { waiter.resolve(.failure(.connectionLost("gone"))) }
        #expect(log.all.last?.hasPrefix("6 ") == true)
        #expect(pending.isEmpty)
        #expect(pending.nextTag == 7, "the broker keeps numbering")
    }
}
