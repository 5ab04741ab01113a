import AMQP
import API
import FeatureEngine
import FeatureServer
import Foundation
import Live
import Logging
import MarketData
import Offline
import RawStore
import ServiceRuntime
import TestSupport
import Testing

/// The private test broker (scripts/rabbitmq.sh) with the service's queues declared and
/// purged, and an admin connection; nil (with an issue recorded) when it is not configured.
func openTestBroker() async throws -> (AMQPConfiguration, AMQPConnection, AMQPChannel)? {
    guard let url = ProcessInfo.processInfo.environment["AMQP_TEST_URL"] else {
        Issue.record("AMQP_TEST_URL is not set: run scripts/rabbitmq.sh start (scripts/test.sh does)")
        return nil
    }
    let configuration = try AMQPConfiguration(url: url)
    // Fresh queues: purge what earlier runs left.
    let admin = try await AMQPConnection.connect(configuration)
    let channel = try await admin.openChannel()
    try await BrokerLink.declareQueues(on: channel, purge: true)
    return (configuration, admin, channel)
}

/// End to end through a real RabbitMQ: a recording published into the gateway queues,
/// consumed by the live path, vectors collected from `features.live`; an offline rebuild
/// from the store equals them bit for bit.
@Suite(.serialized) struct BrokerIdentityTests {
    @Test func vectorsFromFeaturesLiveEqualAnOfflineRebuild() async throws {
        guard let (configuration, admin, adminChannel) = try await openTestBroker() else { return }
        let (_, live) = try await adminChannel.consume(queue: BrokerLink.liveQueue, noAck: true)

        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat())
        let registry = FeatureRegistry.bundledDefault
        let pipeline = try LivePipeline(configuration: .init(registry: registry), store: store)
        let link = BrokerLink(configuration: configuration, pipeline: pipeline, logger: Logger(label: "test"), clock: SystemClock())
        let service = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await link.runConsumer() }
                group.addTask { await link.runPublisher() }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(10))
                        await pipeline.tick(now: Nanos(Date().timeIntervalSince1970 * 1e9))
                    }
                }
            }
        }
        // Publish ~3.5 s of simulated market in real time through the gateway queues.
        let publisher = try await AMQPConnection.connect(configuration)
        let channel = try await publisher.openChannel()
        try await channel.confirmSelect()
        var simulator = MarketSimulator(seed: 33, start: Nanos(Date().timeIntervalSince1970 * 1e9), eventsPerSecond: 150, depth: 20)
        var sent = 0
        let end = Date().addingTimeInterval(3.5)
        while Date() < end {
            let (time, event) = simulator.nextEvent()
            let wait = Double(time) / 1e9 - Date().timeIntervalSince1970
            if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
            let body = GatewayEnvelope.encode(event, eventId: "e\(sent)")
            let queue = "ws-gateway.\(event.body.type == .orderbook ? "orderbook" : event.body.type.rawValue)"
            try await channel.publish(Array(body.utf8), routingKey: queue, properties: .persistentJSON)
            sent += 1
        }
        // Wait until everything is ingested and one more grid point has passed.
        for _ in 0..<200 {
            let counters = await pipeline.counters
            if counters.eventsByType.values.reduce(0, +) >= sent { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(1200))
        var received: [String: FeatureVector] = [:]
        let collector = Task { () async -> [String: FeatureVector] in
            var vectors: [String: FeatureVector] = [:]
            do {
                for try await delivery in live {
                    let (vector, _) = try FeatureMessage.decode(String(decoding: delivery.body, as: UTF8.self), names: registry.names)
                    vectors["\(vector.symbol)@\(vector.ts)"] = vector
                }
            } catch {}  // the stream ends with the admin connection's close
            return vectors
        }
        try await Task.sleep(for: .milliseconds(500))
        service.cancel()
        try await admin.close()
        received = await collector.value
        try await publisher.close()
        #expect(await pipeline.counters.eventsByType.values.reduce(0, +) == sent)
        #expect(received.count >= 6, "grid vectors for 3 symbols over several seconds")

        try store.flush()
        var compared = 0
        var lastEvent: [String: Nanos] = [:]
        for symbol in try store.layout.symbols() {
            var replay = try store.replay(symbol: symbol, from: .min, to: .max)
            while let event = try replay.next() { lastEvent[symbol] = event.recvTs }
            try OfflineEngine.rebuild(store: store, symbol: symbol, from: .min, to: .max, registry: registry) { vector in
                guard let online = received["\(vector.symbol)@\(vector.ts)"] else { return }
                #expect(online.isBitwiseEqual(to: vector), "\(symbol) at \(vector.ts)")
                compared += 1
            }
        }
        // Offline, grid point G is closed by the symbol's first later event; online, the clock
        // also closes the points after the last event. Every point both sides have is compared.
        let closable = received.values.filter { vector in lastEvent[vector.symbol].map { vector.ts < $0 } ?? false }
        #expect(compared == closable.count)
        #expect(compared >= 6)
    }

    /// `features.dataset.ready` goes out on one kept connection: messages arrive in order, and
    /// after the link closed it a later message opens a new one.
    @Test func datasetNotificationsArriveOnAKeptConnectionThatReopens() async throws {
        guard let (configuration, admin, adminChannel) = try await openTestBroker() else { return }
        try await adminChannel.queueDeclare(BrokerLink.datasetReadyQueue, durable: true)
        try await adminChannel.queuePurge(BrokerLink.datasetReadyQueue)
        let pipeline = try LivePipeline(configuration: .init(registry: .bundledDefault), store: nil)
        let link = BrokerLink(configuration: configuration, pipeline: pipeline, logger: Logger(label: "test"), clock: SystemClock())
        await link.publishDatasetReady(#"{"n":1}"#)
        await link.publishDatasetReady(#"{"n":2}"#)
        await link.close()
        await link.publishDatasetReady(#"{"n":3}"#)
        await link.close()
        let (_, deliveries) = try await adminChannel.consume(queue: BrokerLink.datasetReadyQueue, noAck: true)
        // Bounded: a lost message fails the test instead of hanging it.
        let bodies = try await withTimeout(.seconds(10)) {
            var bodies: [String] = []
            for try await delivery in deliveries {
                bodies.append(String(decoding: delivery.body, as: UTF8.self))
                if bodies.count == 3 { break }
            }
            return bodies
        }
        #expect(bodies == [#"{"n":1}"#, #"{"n":2}"#, #"{"n":3}"#])
        try await admin.close()
    }
}
