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
import Metadata
import Offline
import RawStore
import ServiceLifecycle
import ServiceRuntime
import ServiceTestSupport
import Synchronization
import TestSupport
import Testing

@Suite struct DatasetAPITests {
    /// A service with a stored minute and a half of simulated market.
    func makeService() async throws -> (Application<RouterResponder<ServiceRequestContext>>, Nanos, String) {
        let (app, start, root, _) = try await makeServiceWithJobs()
        return (app, start, root)
    }

    func makeServiceWithJobs() async throws -> (Application<RouterResponder<ServiceRequestContext>>, Nanos, String, DatasetJobs) {
        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat())
        let pipeline = try LivePipeline(configuration: .init(registry: .bundledDefault), store: store)
        let envelopes = simulatedEnvelopes(count: 12_000, seed: 21)
        for (time, body) in envelopes { await pipeline.ingest(Array(body.utf8), receivedAt: time) }
        try await pipeline.sync()
        try store.flush()
        let metadata = try await MetadataStore.open(url: nil, dataDirectory: root, logger: Logger(label: "test"), now: 0)
        let jobs = try await DatasetJobs(
            directory: root + "/datasets", store: store, metadata: metadata, owner: "node-a",
            logger: Logger(label: "test"), clock: SystemClock(), registry: { .bundledDefault },
            notify: { _ in })
        // The job queue runs as a service does (here without a group: never shut down).
        Task { try await jobs.run() }
        let context = APIContext(
            live: pipeline, clock: SystemClock(), store: store, registryPath: nil, startedAt: 0, datasets: jobs, metadata: metadata)
        return (Application(router: APIRoutes.router(context, apiKeys: ["secret-key"])), envelopes[0].0, root, jobs)
    }

    func config(_ start: Nanos, split: String = "explicit") -> String {
        let iso = { (s: Int64) in Time.formatISO8601(start / Time.nanosPerSecond * Time.nanosPerSecond + s * Time.nanosPerSecond) }
        return """
            {"symbol": "BTCUSDT", "targets": {"types": ["return", "direction"], "horizons": ["5s"]},
             "splits": {"strategy": "\(split)", "periods": {"train": ["\(iso(5))", "\(iso(40))"], "validation": ["\(iso(40))",
              "\(iso(60))"]}}}
            """
    }

    @Test func buildPollDownloadAndList() async throws {
        let (app, start, _) = try await makeService()
        try await app.test(.router) { client in
            let id: String = try await client.execute(
                uri: "/dataset/build", method: .post, headers: key, body: ByteBuffer(string: config(start))
            ) { response in
                #expect(response.status == .accepted)
                guard case .string(let id)? = try json(response)["dataset_id"] else { Issue.record("no id"); return "" }
                return id
            }
            var status = ""
            for _ in 0..<200 {
                status = try await client.execute(uri: "/dataset/\(id)", method: .get, headers: key) { response in
                    guard case .string(let s)? = try json(response)["status"] else { return "" }
                    return s
                }
                if status == "ready" || status == "failed" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(status == "ready")
            try await client.execute(uri: "/dataset/\(id)", method: .get, headers: key) { response in
                let body = try json(response)
                #expect(body["splits_info"]?["train"]?["rows"] != nil)
                #expect(number(body["progress"]?["percent"]) == 100)
            }
            try await client.execute(uri: "/dataset/\(id)/download?split=train", method: .get, headers: key) { response in
                #expect(response.status == .ok)
                #expect(Array(response.body.readableBytesView.prefix(4)) == Array("PAR1".utf8))
                // Streamed from disk: the whole file arrives (Parquet ends with its magic too).
                #expect(Array(response.body.readableBytesView.suffix(4)) == Array("PAR1".utf8))
            }
            try await client.execute(uri: "/dataset/\(id)/download?split=all", method: .get, headers: key) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes % 512 == 0)
            }
            try await client.execute(uri: "/dataset/\(id)/download?split=test", method: .get, headers: key) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/dataset/\(id)/download", method: .get, headers: key) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/dataset/list?status=ready&symbol=BTCUSDT", method: .get, headers: key) { response in
                guard case .array(let list)? = try json(response)["datasets"] else { Issue.record("no list"); return }
                #expect(list.count == 1)
            }
            try await client.execute(uri: "/dataset/list?status=nonsense", method: .get, headers: key) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/dataset/\(id)/cancel", method: .post, headers: key) { response in
                #expect(response.status == .conflict)
            }
        }
    }

    @Test func badRequestsGetAReasonNeverA5xx() async throws {
        let (app, start, _) = try await makeService()
        try await app.test(.router) { client in
            try await client.execute(uri: "/dataset/build", method: .post, headers: key, body: ByteBuffer(string: "{oops")) { response in
                #expect(response.status == .unprocessableContent)
            }
            try await client.execute(
                uri: "/dataset/build", method: .post, headers: key, body: ByteBuffer(string: config(start, split: "random"))
            ) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains("allow_random_split"))
            }
            let empty = config(start - 86_400 * Time.nanosPerSecond * 300)
            try await client.execute(uri: "/dataset/build", method: .post, headers: key, body: ByteBuffer(string: empty)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains("periods with data"))
            }
            try await client.execute(uri: "/dataset/nope", method: .get, headers: key) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/dataset/build", method: .post, headers: key) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test func aBuildInterruptedByARestartIsMarkedFailedWithTheReason() async throws {
        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat())
        let metadata = try await MetadataStore.open(url: nil, dataDirectory: root, logger: Logger(label: "test"), now: 0)
        // Left running by this instance, and by another instance sharing the metadata database.
        try await metadata.save(
            DatasetRecord(
                id: "ds-x", owner: "node-a", symbol: "BTCUSDT", status: .running, createdAt: 1, progress: 0.4,
                rows: 10, configJSON: "{}", registryVersion: "1"))
        try await metadata.save(
            DatasetRecord(
                id: "ds-other", owner: "node-b", symbol: "BTCUSDT", status: .running, createdAt: 2,
                configJSON: "{}", registryVersion: "1"))
        let jobs = try await DatasetJobs(
            directory: root + "/datasets", store: store, metadata: metadata, owner: "node-a",
            logger: Logger(label: "test"), clock: SystemClock(), registry: { .bundledDefault }, notify: { _ in })
        let restored = await jobs.job("ds-x")
        #expect(restored?.status == .failed)
        #expect(restored?.error?.contains("restart") == true)
        #expect(try await metadata.dataset(id: "ds-x")?.status == .failed)
        // Another instance's build is neither listed nor touched.
        #expect(await jobs.job("ds-other") == nil)
        #expect(try await metadata.dataset(id: "ds-other")?.status == .running)
    }

    @Test func finishedBuildsAreInTheMetadataStoreAndSurviveARestart() async throws {
        let (app, start, root, jobs) = try await makeServiceWithJobs()
        let id: String = try await app.test(.router) { client in
            try await client.execute(uri: "/dataset/build", method: .post, headers: key, body: ByteBuffer(string: config(start))) {
                response in
                #expect(response.status == .accepted)
                guard case .string(let id)? = try json(response)["dataset_id"] else { Issue.record("no id"); return "" }
                return id
            }
        }
        for _ in 0..<600 where await jobs.job(id)?.status != .ready { try await Task.sleep(for: .milliseconds(50)) }
        let built = try #require(await jobs.job(id))
        #expect(built.status == .ready)
        let metadata = try await MetadataStore.open(url: nil, dataDirectory: root, logger: Logger(label: "test"), now: 0)
        let stored = try #require(try await metadata.dataset(id: id))
        #expect(stored.status == .ready)
        #expect(stored.splits.map(\.name) == built.splits.map(\.name))
        #expect(stored.splits.map(\.rows) == built.splits.map(\.rows))
        #expect(stored.rows == built.rows && stored.rows > 0)
        let store = try RawStore(root: root, format: ParquetFormat())
        let restarted = try await DatasetJobs(
            directory: root + "/datasets", store: store, metadata: metadata, owner: "node-a",
            logger: Logger(label: "test"), clock: SystemClock(), registry: { .bundledDefault }, notify: { _ in })
        #expect(await restarted.list().map(\.id) == [id])
        #expect(await restarted.job(id)?.splits == built.splits)
    }

    /// Builds are child tasks of the DatasetJobs service: a graceful shutdown cancels a running
    /// build, waits for it, and puts it back in the queue (to run again after the restart).
    @Test func aGracefulShutdownCancelsARunningBuildAndQueuesItAgain() async throws {
        let root = scratchDirectory()
        let store = try RawStore(root: root, format: ParquetFormat())
        let pipeline = try LivePipeline(configuration: .init(registry: .bundledDefault), store: store)
        let envelopes = simulatedEnvelopes(count: 3_000, seed: 5)
        for (time, body) in envelopes { await pipeline.ingest(Array(body.utf8), receivedAt: time) }
        try await pipeline.sync()
        try store.flush()
        let metadata = try await MetadataStore.open(url: nil, dataDirectory: root, logger: Logger(label: "test"), now: 0)
        // The first registry read (the request's check) answers; the build's own read waits until
        // cancelled, so the shutdown surely finds the build running.
        let reads = Mutex(0)
        let jobs = try await DatasetJobs(
            directory: root + "/datasets", store: store, metadata: metadata, owner: "node-a",
            logger: Logger(label: "test"), clock: SystemClock(),
            registry: {
                if reads.withLock({
                    $0 += 1; return $0
                }) > 1 {
                    try? await Task.sleep(for: .seconds(600))
                }
                return .bundledDefault
            }, notify: { _ in })
        let group = ServiceGroup(configuration: .init(services: [.init(service: jobs)], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        let start = envelopes[0].0
        let iso = { (s: Int64) in Time.formatISO8601(start / Time.nanosPerSecond * Time.nanosPerSecond + s * Time.nanosPerSecond) }
        let job = try await jobs.submit(
            configJSON: """
                {"symbol": "BTCUSDT", "targets": {"types": ["return"], "horizons": ["5s"]},
                 "splits": {"strategy": "explicit", "periods": {"train": ["\(iso(5))", "\(iso(30))"],
                  "validation": ["\(iso(30))", "\(iso(50))"]}}}
                """)
        for _ in 0..<500 where await jobs.job(job.id)?.status != .running { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await jobs.job(job.id)?.status == .running)
        await group.triggerGracefulShutdown()
        try await running.value
        // The group has returned: the build has stopped, and is queued again, in memory and in the store.
        #expect(await jobs.job(job.id)?.status == .queued)
        #expect(try await metadata.dataset(id: job.id)?.status == .queued)
        #expect(!FileManager.default.fileExists(atPath: await jobs.outputDirectory(job.id) + "/manifest.json"))
    }
}
