import AMQP
import Testing

@Suite struct OutboxTests {
    @Test func takesWhatWaitsInOrderInBatchesOfAtMostTheMaximum() async {
        let outbox = Outbox<Int>(limit: 100)
        for i in 0..<10 { #expect(outbox.push(i)) }
        #expect(await outbox.take(maximum: 4) == [0, 1, 2, 3])
        #expect(await outbox.take(maximum: 100) == [4, 5, 6, 7, 8, 9])
        #expect(outbox.takeWaiting(maximum: 100) == nil)
        outbox.push(10)
        #expect(outbox.takeWaiting(maximum: 100) == [10])
    }

    @Test func aFullOutboxDropsItsOldestAndSaysSo() async {
        let outbox = Outbox<Int>(limit: 3)
        #expect(outbox.push(1) && outbox.push(2) && outbox.push(3))
        #expect(!outbox.push(4))
        #expect(!outbox.push(5))
        #expect(outbox.count == 3)
        #expect(await outbox.take(maximum: 10) == [3, 4, 5])
    }

    @Test func aWaitingTakerIsWokenByAPushAndTheSequenceEndsAfterFinish() async {
        let outbox = Outbox<Int>(limit: 10)
        let taker = Task { await outbox.take(maximum: 10) }
        // The taker may or may not be waiting yet: either way it gets the element.
        outbox.push(7)
        #expect(await taker.value == [7])
        for i in 0..<5_000 { outbox.push(i) }
        outbox.finish()
        #expect(outbox.push(-1))  // nothing dropped, and nothing appended after finish
        var all: [Int] = []
        for await element in outbox { all.append(element) }
        #expect(all == Array(4_990..<5_000))
        #expect(await outbox.take(maximum: 10) == nil)
    }

    @Test func aCancelledTakerGetsNil() async {
        let outbox = Outbox<Int>(limit: 10)
        let taker = Task { await outbox.take(maximum: 10) }
        taker.cancel()
        #expect(await taker.value == nil)
        // The outbox still works for the next taker.
        outbox.push(1)
        #expect(await outbox.take(maximum: 10) == [1])
    }

    @Test func manyElementsTakenInSmallBatchesStayInOrder() async {
        let outbox = Outbox<Int>(limit: 100_000)
        let producer = Task {
            for i in 0..<50_000 { outbox.push(i) }
            outbox.finish()
        }
        var next = 0
        while let batch = await outbox.take(maximum: 7) {
            #expect(batch.count <= 7)
            #expect(batch == Array(next..<(next + batch.count)))
            next += batch.count
        }
        await producer.value
        #expect(next == 50_000)
    }
}
