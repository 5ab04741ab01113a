import AMQP
import Testing

/// Acknowledgements of durable deliveries: one `multiple` ack only when nothing outstanding
/// below it is left out; otherwise one per delivery.
@Suite struct AMQPAckLedgerTests {
    @Test func aContiguousBatchIsOneMultipleAck() {
        var ledger = AMQPAckLedger()
        #expect(ledger.plan([1, 2, 3]) == .multiple(through: 3))
        #expect(ledger.plan([5, 4]) == .multiple(through: 5))
        #expect(ledger.settledThrough == 5)
    }

    @Test func aGapBelowTheBatchMeansOneAckEach() {
        var ledger = AMQPAckLedger()
        // Tag 2 is still being ingested (another queue): acking 3 with `multiple` would take it along.
        #expect(ledger.plan([1, 3, 4]) == .each([1, 3, 4]))
        #expect(ledger.settledThrough == 1)
        // Once 2 is durable, the gap is closed and what follows is contiguous again.
        #expect(ledger.plan([2]) == .each([2]))
        #expect(ledger.settledThrough == 4)
        #expect(ledger.plan([6, 5, 7]) == .multiple(through: 7))
    }

    @Test func tagsSettledEarlierCountAsCovered() {
        var ledger = AMQPAckLedger()
        #expect(ledger.plan([2, 3]) == .each([2, 3]))  // 1 outstanding
        // 1 arrives with 4 and 5: 2 and 3 are settled, so nothing outstanding lies below 5 but the batch.
        #expect(ledger.plan([1, 4, 5]) == .multiple(through: 5))
        #expect(ledger.settledThrough == 5)
    }

    @Test func rejectedTagsCloseGapsToo() {
        var ledger = AMQPAckLedger()
        ledger.settle([1, 2])  // nacked after a failed sync
        #expect(ledger.plan([3, 4]) == .multiple(through: 4))
    }

    @Test func aSingleDeliveryIsAnOrdinaryAck() {
        var ledger = AMQPAckLedger()
        #expect(ledger.plan([1]) == .each([1]))
        #expect(ledger.plan([]) == .each([]))
    }

    @Test func aGapThatNeverClosesFallsBackToSingleAcksForGood() {
        var ledger = AMQPAckLedger()
        // Tag 1 never comes back; more settled tags wait above it than deliveries can be in flight.
        var next: UInt64 = 2
        while !ledger.eachOnly {
            let batch = Array(next..<next + 1_000)
            #expect(ledger.plan(batch) == .each(batch))
            next += 1_000
        }
        #expect(ledger.plan([next, next + 1]) == .each([next, next + 1]))
    }
}
