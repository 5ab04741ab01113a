import AMQP
import Foundation
import ServiceTestSupport
import TestSupport
import Testing

/// The broker these tests talk to: a real RabbitMQ started by `scripts/rabbitmq.sh start`
/// (scripts/test.sh does it and exports AMQP_TEST_URL).
func brokerURL() throws -> AMQPConfiguration {
    guard let url = ProcessInfo.processInfo.environment["AMQP_TEST_URL"] else {
        Issue.record("AMQP_TEST_URL is not set: run scripts/rabbitmq.sh start (scripts/test.sh does) and export its URL")
        throw AMQPError.invalidURL("AMQP_TEST_URL unset")
    }
    return try AMQPConfiguration(url: url)
}

func uniqueQueue(_ name: String) -> String { "test.\(name).\(UInt32.random(in: 0...UInt32.max))" }

/// The gateway's queue arguments (interfaces.md §1).
let gatewayArguments: AMQPTable = [
    "x-message-ttl": .int64(86_400_000), "x-max-length": .int64(100_000), "x-overflow": .string("drop-head"),
]

@Suite(.serialized) struct AMQPTests {
    @Test func parsesURLs() throws {
        let c = try AMQPConfiguration(url: "amqp://u%40x:p%3Ass@broker.local:5673/%2fprod?heartbeat=5")
        #expect(c.user == "u@x")
        #expect(c.password == "p:ss")
        #expect(c.host == "broker.local")
        #expect(c.port == 5673)
        #expect(c.vhost == "/prod")
        #expect(c.heartbeat == 5)
        #expect(try AMQPConfiguration(url: "amqp://localhost").vhost == "/")
        #expect(throws: AMQPError.self) { _ = try AMQPConfiguration(url: "http://localhost") }
    }

    @Test func publishWithConfirmsAndConsumeRoundTrip() async throws {
        let connection = try await AMQPConnection.connect(try brokerURL())
        let channel = try await connection.openChannel()
        let queue = uniqueQueue("roundtrip")
        try await channel.queueDeclare(queue, durable: true, arguments: gatewayArguments)
        try await channel.confirmSelect()
        let properties = AMQPProperties(
            contentType: "application/json", headers: ["trace_id": .string("t-1"), "n": .int64(7)],
            deliveryMode: 2, correlationId: "c-9", messageId: "m-1", timestamp: 1_764_000_000, appId: "tests")
        for i in 0..<50 { try await channel.publish(Array("{\"i\":\(i)}".utf8), routingKey: queue, properties: properties) }
        let consumer = try await connection.openChannel()
        let (tag, deliveries) = try await consumer.consume(queue: queue)
        var received = 0
        for try await delivery in deliveries {
            #expect(String(decoding: delivery.body, as: UTF8.self) == "{\"i\":\(received)}")
            #expect(delivery.properties == properties)
            #expect(delivery.routingKey == queue)
            #expect(delivery.exchange == "")  // the default exchange
            #expect(delivery.consumerTag == tag)
            #expect(!delivery.redelivered)
            delivery.channel.ack(deliveryTag: delivery.deliveryTag)
            received += 1
            if received == 50 { break }
        }
        #expect(received == 50)
        try await channel.queueDelete(queue)
        try await connection.close()
        #expect(!connection.isOpen)
    }

    @Test func aBatchGoesOutInOrderWithEachMessagesRoutingKeyAndProperties() async throws {
        let connection = try await AMQPConnection.connect(try brokerURL())
        let channel = try await connection.openChannel()
        let exchange = uniqueQueue("batch-exchange")
        let queue = uniqueQueue("batch")
        try await channel.exchangeDeclare(exchange, type: "topic", durable: false, autoDelete: true)
        try await channel.queueDeclare(queue, durable: false)
        try await channel.queueBind(queue: queue, exchange: exchange, routingKey: "#")
        let properties = AMQPProperties(contentType: "application/json", deliveryMode: 1)
        // Three bodies: small, empty, and one of several frames (the frame size is 128 KiB).
        let large = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var batch = (0..<200).map { AMQPChannel.Message(body: Array("{\"i\":\($0)}".utf8), exchange: exchange, routingKey: "S\($0 % 3)") }
        batch[5].body = []
        batch[6].body = large
        batch[7].properties = properties
        try channel.publish(batch: batch)
        try channel.publish(batch: [AMQPChannel.Message(body: Array("last".utf8), exchange: exchange, routingKey: "S0")])
        let (_, deliveries) = try await channel.consume(queue: queue, noAck: true)
        var received: [AMQPDelivery] = []
        for try await delivery in deliveries {
            received.append(delivery)
            if received.count == 201 { break }
        }
        #expect(received.map(\.body) == batch.map(\.body) + [Array("last".utf8)])
        #expect(received.prefix(200).map(\.routingKey) == batch.map(\.routingKey))
        #expect(received.allSatisfy { $0.exchange == exchange })
        #expect(received[7].properties == properties)
        // A channel in confirm mode refuses a batch (nobody would wait for its confirms).
        try await channel.confirmSelect()
        #expect(throws: AMQPError.self) { try channel.publish(batch: batch) }
        try await channel.queueDelete(queue)
        try await connection.close()
    }

    @Test func deliveriesTakenInBatchesKeepTheirOrderAndTheQueueEndsWithItsChannel() async throws {
        let connection = try await AMQPConnection.connect(try brokerURL())
        let channel = try await connection.openChannel()
        let queue = uniqueQueue("batches")
        try await channel.queueDeclare(queue, durable: false)
        try await channel.confirmSelect()
        for i in 0..<300 { try await channel.publish(Array("\(i)".utf8), routingKey: queue) }
        let consumer = try await connection.openChannel()
        try await consumer.basicQos(prefetchCount: 1000)
        let (tag, deliveries) = try await consumer.consumeInBatches(queue: queue)
        // Everything the broker sent while nobody took arrives together, at most `maximum` at a time.
        var bodies: [String] = []
        var sizes: [Int] = []
        while bodies.count < 300, let batch = try await deliveries.next(maximum: 128) {
            sizes.append(batch.count)
            bodies += batch.map { String(decoding: $0.body, as: UTF8.self) }
            for delivery in batch { delivery.channel.ack(deliveryTag: delivery.deliveryTag) }
            if sizes.count == 1 { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(bodies == (0..<300).map(String.init))
        #expect(sizes.allSatisfy { $0 <= 128 })
        #expect(sizes.count < 300, "batched: \(sizes)")
        // A cancelled consumer ends its queue cleanly; a taker then gets nil, not a hang.
        try await consumer.cancel(consumerTag: tag)
        #expect(try await deliveries.next() == nil)
        // A closed channel ends a live consumer's queue with the channel's error.
        let (_, other) = try await consumer.consumeInBatches(queue: queue)
        try await channel.queueDelete(queue)
        await #expect(throws: AMQPError.self) {
            while try await other.next() != nil {}
        }
        try await connection.close()
    }

    @Test func aMessageLargerThanAFrameIsSplitAndReassembled() async throws {
        let connection = try await AMQPConnection.connect(try brokerURL())
        let channel = try await connection.openChannel()
        let queue = uniqueQueue("large")
        try await channel.queueDeclare(queue, durable: false, autoDelete: false)
        try await channel.confirmSelect()
        let body = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await channel.publish(body, routingKey: queue, properties: .persistentJSON)
        let (_, deliveries) = try await channel.consume(queue: queue, noAck: true)
        for try await delivery in deliveries {
            #expect(delivery.body == body)
            break
        }
        try await channel.queueDelete(queue)
        try await connection.close()
    }

    @Test func qosLimitsUnackedDeliveriesAndNackRequeues() async throws {
        let connection = try await AMQPConnection.connect(try brokerURL())
        let channel = try await connection.openChannel()
        let queue = uniqueQueue("qos")
        try await channel.queueDeclare(queue, durable: false)
        try await channel.confirmSelect()
        for i in 0..<10 { try await channel.publish(Array("\(i)".utf8), routingKey: queue) }
        let consumer = try await connection.openChannel()
        try await consumer.basicQos(prefetchCount: 3)
        let (tag, deliveries) = try await consumer.consume(queue: queue)
        var iterator = deliveries.makeAsyncIterator()
        var held: [AMQPDelivery] = []
        for _ in 0..<3 { held.append(try #require(try await iterator.next())) }
        // With three unacked, the broker sends no fourth: the queue still holds 7 ready messages.
        try await Task.sleep(for: .milliseconds(300))
        let (_, ready, _) = try await channel.queueDeclare(queue, passive: true)
        #expect(ready == 7)
        // A nack with requeue comes back, flagged redelivered.
        consumer.nack(deliveryTag: held[0].deliveryTag, requeue: true)
        consumer.ack(deliveryTag: held[2].deliveryTag, multiple: true)
        var sawRedelivery = false
        for _ in 0..<8 {
            let next = try #require(try await iterator.next())
            if next.redelivered && String(decoding: next.body, as: UTF8.self) == "0" { sawRedelivery = true }
            consumer.ack(deliveryTag: next.deliveryTag)
        }
        #expect(sawRedelivery)
        try await consumer.cancel(consumerTag: tag)
        try await channel.queueDelete(queue)
        try await connection.close()
    }

    @Test func channelErrorsAreTypedAndDoNotHang() async throws {
        let connection = try await AMQPConnection.connect(try brokerURL())
        let channel = try await connection.openChannel()
        let queue = uniqueQueue("args")
        try await channel.queueDeclare(queue, durable: true, arguments: gatewayArguments)
        // Same queue, other arguments: 406 PRECONDITION_FAILED closes the channel.
        do {
            try await channel.queueDeclare(queue, durable: true, arguments: ["x-message-ttl": .int64(1000)])
            Issue.record("expected PRECONDITION_FAILED")
        } catch let AMQPError.channelClosed(code, text, classId, methodId) {
            #expect(code == 406)
            #expect(text.contains("PRECONDITION_FAILED"))
            #expect(classId == 50 && methodId == 10)
        }
        // The closed channel refuses further work at once.
        await #expect(throws: AMQPError.self) { try await channel.basicQos(prefetchCount: 1) }
        // Passive declare of a missing queue: 404 NOT_FOUND.
        let other = try await connection.openChannel()
        do {
            try await other.queueDeclare(uniqueQueue("missing"), passive: true)
            Issue.record("expected NOT_FOUND")
        } catch let AMQPError.channelClosed(code, _, _, _) {
            #expect(code == 404)
        }
        // The connection itself is fine.
        let third = try await connection.openChannel()
        try await third.queueDelete(queue)
        try await connection.close()
    }

    @Test func wrongCredentialsAreATypedError() async throws {
        var configuration = try brokerURL()
        configuration.password = "wrong"
        await #expect(throws: AMQPError.self) { _ = try await AMQPConnection.connect(configuration) }
    }

    @Test func aSilentBrokerIsDetectedByHeartbeats() async throws {
        guard let pid = ProcessInfo.processInfo.environment["AMQP_TEST_BROKER_PID"].flatMap({ Int32($0) }) else {
            Issue.record("AMQP_TEST_BROKER_PID is not set (scripts/test.sh exports it)")
            return
        }
        var configuration = try brokerURL()
        configuration.heartbeat = 1
        let connection = try await AMQPConnection.connect(configuration)
        let channel = try await connection.openChannel()
        let queue = uniqueQueue("hb")
        try await channel.queueDeclare(queue, durable: false, autoDelete: true)
        let (_, deliveries) = try await channel.consume(queue: queue, noAck: true)
        kill(pid, SIGSTOP)  // the broker freezes: no frames, no heartbeats
        defer { kill(pid, SIGCONT) }
        let started = Date()
        do {
            for try await _ in deliveries {}
            Issue.record("the stream ended without an error")
        } catch {
            #expect(error as? AMQPError == .heartbeatTimeout)
        }
        #expect(Date().timeIntervalSince(started) < 6)
        kill(pid, SIGCONT)
        #expect(connection.closeError == .heartbeatTimeout)
    }
}

func brokerControl(_ command: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [packageRoot.appendingPathComponent("scripts/rabbitmq.sh").path, command]
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
}

@Suite(.serialized) struct AMQPReconnectTests {
    /// The broker's application restarts mid-stream: the consumer reconnects, re-declares,
    /// re-consumes, and every message is delivered; none acked is lost.
    @Test func aBrokerRestartMidStreamLosesNoAckedMessage() async throws {
        let configuration = try brokerURL()
        let queue = uniqueQueue("restart")
        let publisher = try await AMQPConnection.connect(configuration)
        let channel = try await publisher.openChannel()
        try await channel.queueDeclare(queue, durable: true, arguments: gatewayArguments)
        try await channel.confirmSelect()
        for i in 0..<200 { try await channel.publish(Array("\(i)".utf8), routingKey: queue, properties: .persistentJSON) }
        try await publisher.close()

        let failures = NIOFailures()
        let consumer = AMQPReconnectingConsumer(
            configuration: configuration, queues: [queue], prefetch: 20,
            initialBackoff: .milliseconds(100), maximumBackoff: .seconds(1),
            onFailure: { _, _ in failures.increment() }
        ) { channel in
            try await channel.queueDeclare(queue, durable: true, arguments: gatewayArguments)
        }
        // The consuming loop runs in its own task so that a deadline can cancel it.
        let consuming = Task { () -> (acked: Set<String>, restarted: Bool) in
            var acked = Set<String>()
            var restarted = false
            for await delivery in consumer.deliveries() {
                let id = String(decoding: delivery.body, as: UTF8.self)
                if delivery.channel.ack(deliveryTag: delivery.deliveryTag) { acked.insert(id) }
                if acked.count == 50 && !restarted {
                    restarted = true
                    try? brokerControl("stop_app")
                    try? brokerControl("start_app")
                }
                if acked.count == 200 { break }
            }
            return (acked, restarted)
        }
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            consuming.cancel()
        }
        let (acked, restarted) = await consuming.value
        watchdog.cancel()
        #expect(restarted)
        #expect(failures.count >= 1)
        #expect(acked.count == 200, "every message acked once the broker came back")
        let cleanup = try await AMQPConnection.connect(configuration)
        try await cleanup.openChannel().queueDelete(queue)
        try await cleanup.close()
    }
}

/// A counter shared with the failure callback.
final class NIOFailures: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() { lock.lock(); value += 1; lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return value }
}
