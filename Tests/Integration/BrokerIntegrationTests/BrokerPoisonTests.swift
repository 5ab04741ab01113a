import AMQP
import API
import FeatureEngine
import FeatureServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Live
import Logging
import MarketData
import Offline
import RawStore
import ServiceRuntime
import ServiceTestSupport
import TestSupport
import Testing

/// Through a real RabbitMQ: the poison messages are dead-lettered and acked, consumption goes
/// on, and the good messages around them are stored and featured.
@Suite(.serialized) struct BrokerPoisonTests {
    @Test func poisonMessagesAreDeadLetteredAckedAndConsumptionGoesOn() async throws {
        guard let (configuration, admin, adminChannel) = try await openTestBroker() else { return }

        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat())
        let pipeline = try LivePipeline(configuration: .init(registry: .bundledDefault), store: store)
        let link = BrokerLink(configuration: configuration, pipeline: pipeline, logger: Logger(label: "test"), clock: SystemClock())
        let consumer = Task { await link.runConsumer() }
        // Up as soon as it consumes, before any delivery (an idle queue is not an outage).
        for _ in 0..<250 where link.status != "up" { try await Task.sleep(for: .milliseconds(20)) }
        #expect(link.status == "up")

        let publisher = try await AMQPConnection.connect(configuration)
        let channel = try await publisher.openChannel()
        try await channel.confirmSelect()
        var good = 0
        for (index, (body, _)) in Hostile.poison.enumerated() {
            let queue =
                body.contains("\"kline\"") ? "ws-gateway.kline" : body.contains("\"position\"") ? "ws-gateway.position" : "ws-gateway.trade"
            try await channel.publish(
                Array(Hostile.trade("ETHUSDT", time: "176406480\(index)000", id: "g\(index)").utf8),
                routingKey: "ws-gateway.trade", properties: .persistentJSON)
            try await channel.publish(Array(body.utf8), routingKey: queue, properties: .persistentJSON)
            good += 1
        }
        try await channel.publish(
            Array(Hostile.trade("ETHUSDT", time: "1764064809000", id: "last").utf8),
            routingKey: "ws-gateway.trade", properties: .persistentJSON)
        good += 1
        for _ in 0..<250 {
            let counters = await pipeline.counters
            if counters.malformed == Hostile.poison.count && counters.eventsByType[.trade] == good { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(300))  // a few commit rounds: acks go out after durability
        consumer.cancel()
        _ = await consumer.value
        try await Task.sleep(for: .milliseconds(300))
        let counters = await pipeline.counters
        #expect(counters.malformed == Hostile.poison.count)
        #expect(counters.eventsByType[.trade] == good)
        #expect(await pipeline.takeDeadLetters().count == Hostile.poison.count)
        // Acked: nothing comes back to the queues once the consumer is gone.
        for queue in ["ws-gateway.trade", "ws-gateway.kline", "ws-gateway.position"] {
            let (_, ready, _) = try await adminChannel.queueDeclare(queue, passive: true)
            #expect(ready == 0, "\(queue)")
        }
        try store.flush()
        #expect(try storedEvents(root).filter { $0.symbol == "ETHUSDT" }.count == good)
        #expect(await pipeline.latest(symbol: "ETHUSDT", now: Hostile.now)?.values.isEmpty == false)
        try await publisher.close()
        try await admin.close()
    }
}
