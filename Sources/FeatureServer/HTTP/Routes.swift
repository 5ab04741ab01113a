import FeatureEngine
import Foundation
public import Hummingbird
import Logging
public import MarketData
public import Metadata
import Quality
public import RawStore

/// What the HTTP layer needs from the running service.
public struct ServiceContext: Sendable {
    public let pipeline: LivePipeline
    public let store: RawStore?
    /// Where `reload` reads the registry from (nil: the bundled default).
    public let registryPath: String?
    public let latency: LatencyHistogram
    public let startedAt: Nanos
    /// Broker state for health: nil when no broker is configured.
    public let brokerStatus: @Sendable () async -> String?
    /// A vector is stale when the symbol's last event is older than this.
    public let staleAfter: Nanos
    /// Dataset build jobs (nil without a raw store).
    public let datasets: DatasetJobs?
    /// Where registry versions are recorded (nil: not recorded, health says so).
    public let metadata: MetadataStore?
    /// This instance's name in the metadata store.
    public let instance: String

    public init(pipeline: LivePipeline, store: RawStore?, registryPath: String?, latency: LatencyHistogram = LatencyHistogram(),
                startedAt: Nanos, staleAfter: Nanos = 5 * Time.nanosPerSecond, datasets: DatasetJobs? = nil,
                metadata: MetadataStore? = nil, instance: String = "local",
                brokerStatus: @escaping @Sendable () async -> String? = { nil }) {
        self.datasets = datasets
        self.metadata = metadata
        self.instance = instance
        self.pipeline = pipeline
        self.store = store
        self.registryPath = registryPath
        self.latency = latency
        self.startedAt = startedAt
        self.staleAfter = staleAfter
        self.brokerStatus = brokerStatus
    }
}

/// Wall-clock now in ns (the HTTP edge reads the clock; the core never does).
func wallClockNanos() -> Nanos { Nanos(Date().timeIntervalSince1970 * 1e9) }

/// Builds the router with every route of interfaces.md §5 that exists so far.
public enum APIRoutes {
    /// Paths reachable without an API key.
    public static let publicPaths: Set<String> = ["/health", "/openapi.json"]

    public static func router(_ service: ServiceContext, apiKeys: [String]) -> Router<ServiceRequestContext> {
        let router = Router(context: ServiceRequestContext.self)
        router.middlewares.add(TraceAndErrorMiddleware())
        router.middlewares.add(APIKeyMiddleware(keys: apiKeys, publicPaths: publicPaths))

        router.get("/health") { _, _ in try await health(service) }
        router.get("/openapi.json") { _, _ in JSONResponse.make(OpenAPIDocument.json) }
        router.get("/features/latest") { request, _ in try await latest(service, request) }
        router.get("/feature-registry") { _, _ in await registry(service) }
        router.post("/feature-registry/reload") { request, context in try await reload(service, request, logger: context.logger) }
        router.get("/feature-registry/validate") { _, _ in try validate(service) }
        router.get("/feature-registry/versions") { _, _ in try await versions(service) }
        router.post("/ingest") { request, _ in try await ingest(service, request) }
        router.get("/metrics") { _, _ in await metrics(service) }
        router.get("/data-quality/report") { request, _ in try await qualityReport(service, request) }
        DatasetRoutes.add(to: router, jobs: service.datasets)
        return router
    }

    static func health(_ service: ServiceContext) async throws -> Response {
        var checks: [(String, String, String)] = []
        if let broker = await service.brokerStatus() {
            checks.append(("broker", broker == "up" ? "up" : "down", broker))
        } else {
            checks.append(("broker", "disabled", "no AMQP_URL: simulated feed, replay or POST /ingest"))
        }
        if let store = service.store {
            let writable = FileManager.default.isWritableFile(atPath: store.layout.root)
            checks.append(("storage", writable ? "up" : "down", store.layout.root))
        } else {
            checks.append(("storage", "disabled", "no raw store"))
        }
        if let metadata = service.metadata {
            do {
                try await withTimeout(.seconds(2)) { try await metadata.ping() }
                checks.append(("metadata", "up", metadata.database.location))
            } catch {
                checks.append(("metadata", "down", "\(metadata.database.location): \(error)"))
            }
        } else {
            checks.append(("metadata", "disabled", "no metadata store"))
        }
        let healthy = !checks.contains { $0.1 == "down" }
        var body = "{\"status\":\"\(healthy ? "ok" : "degraded")\",\"uptime_seconds\":\(Double(wallClockNanos() - service.startedAt) / 1e9),\"checks\":{"
        body += checks.map { name, status, detail in
            var entry = "\"\(name)\":{\"status\":\"\(status)\",\"detail\":"
            JSONText.appendString(detail, to: &entry)
            return entry + "}"
        }.joined(separator: ",")
        body += "}}"
        return JSONResponse.make(body, status: healthy ? .ok : .serviceUnavailable)
    }

    static func latest(_ service: ServiceContext, _ request: Request) async throws -> Response {
        guard let symbol = request.uri.queryParameters["symbol"].map(String.init), !symbol.isEmpty else {
            throw APIError.badRequest("query parameter 'symbol' is required, e.g. /features/latest?symbol=BTCUSDT")
        }
        let now = wallClockNanos()
        guard let vector = await service.pipeline.latest(symbol: symbol, now: now) else {
            let known = await service.pipeline.symbols
            throw APIError.notFound("unknown symbol '\(symbol)'; known symbols: \(known.isEmpty ? "none yet" : known.joined(separator: ", "))")
        }
        let configuration = await service.pipeline.configuration
        let lastEvent = await service.pipeline.counters.lastEventAt[symbol]
        let stale = lastEvent.map { now - $0 > service.staleAfter } ?? true
        let extra: [(String, String)] = [("stale", stale ? "true" : "false"), ("last_event_ts_ns", lastEvent.map(String.init) ?? "null")]
        return JSONResponse.make(FeatureMessage.encode(vector, names: configuration.registry.names,
                                                       registryVersion: configuration.registry.version, traceId: nil, extra: extra))
    }

    static func registryJSON(_ registry: FeatureRegistry) -> String {
        var out = "{\"version\":"
        JSONText.appendString(registry.version, to: &out)
        out += ",\"content_hash\":\"\(registry.contentHash)\",\"features\":["
        out += registry.features.map { feature in
            var entry = "{\"name\":\"\(feature.name)\",\"kind\":\"\(feature.kind.rawValue)\""
            if let window = feature.window { entry += ",\"window\":\"\(Time.formatDuration(window))\"" }
            if let levels = feature.levels { entry += ",\"levels\":\(levels)" }
            entry += ",\"sources\":[" + feature.sources.map { "\"\($0)\"" }.joined(separator: ",") + "]}"
            return entry
        }.joined(separator: ",")
        return out + "]}"
    }

    static func registry(_ service: ServiceContext) async -> Response {
        JSONResponse.make(registryJSON(await service.pipeline.configuration.registry))
    }

    static func problemsResponse(_ problems: [RegistryProblem], status: HTTPResponse.Status) -> Response {
        var body = "{\"error\":{\"code\":\"invalid_registry\",\"message\":"
        JSONText.appendString("the registry has \(problems.count) problem(s); the registry in force is unchanged", to: &body)
        body += ",\"problems\":[" + problems.map { problem in
            var entry = "{\"path\":"
            JSONText.appendString(problem.path, to: &entry)
            entry += ",\"message\":"
            JSONText.appendString(problem.message, to: &entry)
            return entry + "}"
        }.joined(separator: ",") + "]}}"
        return JSONResponse.make(body, status: status)
    }

    /// The registry text to reload or validate: the request body if any, else the configured file.
    static func registryText(_ service: ServiceContext, body: ByteBuffer?) throws -> String? {
        if let body, body.readableBytes > 0 { return String(buffer: body) }
        guard let path = service.registryPath else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw APIError(.unprocessableContent, code: "registry_unreadable", "cannot read registry file '\(path)'")
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func reload(_ service: ServiceContext, _ request: Request, logger: Logger) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        let text = try registryText(service, body: body)
        let registry: FeatureRegistry
        if let text {
            do { registry = try FeatureRegistry.parse(text) } catch { return problemsResponse(error.problems, status: .unprocessableContent) }
        } else {
            registry = .bundledDefault
        }
        try await service.pipeline.reload(registry: registry)
        let source = body.readableBytes > 0 ? "request body" : (service.registryPath ?? "bundled")
        var recorded = false
        if let metadata = service.metadata {
            recorded = await RegistryHistory.record(registry, text: text ?? FeatureRegistry.bundledDefaultText, in: metadata, instance: service.instance,
                                                    reason: .reload, source: source, at: wallClockNanos(), logger: logger)
        }
        return JSONResponse.make("{\"status\":\"reloaded\",\"recorded\":\(recorded),\"registry\":\(registryJSON(registry))}")
    }

    static func versions(_ service: ServiceContext) async throws -> Response {
        guard let metadata = service.metadata else {
            throw APIError(.serviceUnavailable, code: "metadata_unavailable", "no metadata store is configured")
        }
        let versions: [RegistryVersionRecord]
        do { versions = try await metadata.registryVersions() } catch {
            throw APIError(.serviceUnavailable, code: "metadata_unavailable", "the metadata store did not answer: \(error)")
        }
        let inForce = await service.pipeline.configuration.registry.contentHash
        var out = "{\"versions\":["
        out += versions.map { v in
            var entry = "{\"version\":"
            JSONText.appendString(v.version, to: &entry)
            entry += ",\"content_hash\":\"\(v.contentHash)\",\"feature_count\":\(v.featureCount),\"in_force\":\(v.contentHash == inForce)"
            entry += ",\"first_seen_at\":\"\(Time.formatISO8601(v.firstSeenAt))\",\"last_activated_at\":\"\(Time.formatISO8601(v.lastActivatedAt))\""
            return entry + ",\"activations\":\(v.activations)}"
        }.joined(separator: ",")
        return JSONResponse.make(out + "]}")
    }

    static func validate(_ service: ServiceContext) throws -> Response {
        guard let text = try registryText(service, body: nil) else {
            return JSONResponse.make("{\"valid\":true,\"source\":\"bundled default\",\"problems\":[]}")
        }
        let problems = FeatureRegistry.validate(text)
        guard problems.isEmpty else { return problemsResponse(problems, status: .unprocessableContent) }
        return JSONResponse.make("{\"valid\":true,\"source\":\"\(service.registryPath ?? "")\",\"problems\":[]}")
    }

    static func ingest(_ service: ServiceContext, _ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 << 20)
        let bytes = Array(buffer: body)
        var accepted = 0
        var malformed: [(Int, String)] = []
        var lineNumber = 0
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            switch await service.pipeline.ingest(line, receivedAt: wallClockNanos()) {
            case .accepted(let events): accepted += events
            case .malformed(let error): malformed.append((lineNumber, error.description))
            }
        }
        if lineNumber == 0 || (accepted == 0 && malformed.isEmpty) && bytes.isEmpty {
            throw APIError.badRequest("empty body: send JSON Lines, one gateway envelope per line")
        }
        try await service.pipeline.sync()
        var out = "{\"accepted_events\":\(accepted),\"malformed\":["
        out += malformed.map { line, error in
            var entry = "{\"line\":\(line),\"error\":"
            JSONText.appendString(error, to: &entry)
            return entry + "}"
        }.joined(separator: ",")
        out += "]}"
        return JSONResponse.make(out, status: malformed.isEmpty ? .ok : (accepted > 0 ? .ok : .unprocessableContent))
    }

    /// The longest range a report may cover (the raw data is kept 90 days by default).
    static let maxQualityRange = 92 * Time.nanosPerDay

    static func qualityReport(_ service: ServiceContext, _ request: Request) async throws -> Response {
        guard let symbol = request.uri.queryParameters["symbol"].map(String.init), !symbol.isEmpty else {
            throw APIError.badRequest("query parameter 'symbol' is required, e.g. /data-quality/report?symbol=BTCUSDT")
        }
        func time(_ name: Substring) throws -> Nanos? {
            guard let text = request.uri.queryParameters[name].map(String.init), !text.isEmpty else { return nil }
            if let ns = Int64(text) { return ns }
            guard let parsed = Time.parseISO8601(text) else {
                throw APIError.badRequest("'\(name)' must be ISO 8601 (2026-11-25T00:00:00Z) or ns since the epoch, got '\(text)'")
            }
            return parsed
        }
        let to = try time("to") ?? wallClockNanos()
        let from = try time("from") ?? to - Time.nanosPerDay
        guard from < to else { throw APIError.badRequest("'from' must be before 'to'") }
        guard to - from <= maxQualityRange else { throw APIError.badRequest("a report covers at most 92 days; ask for a shorter range") }
        let open = await service.pipeline.openQualityBuckets(symbol: symbol)
        var stored: [QualityBucket] = []
        if let metadata = service.metadata {
            do { stored = try await QualityHistory(metadata: metadata).stored(symbol: symbol, from: from, to: to) } catch {
                throw APIError(.serviceUnavailable, code: "metadata_unavailable", "the metadata store did not answer: \(error)")
            }
        }
        if open.isEmpty && stored.isEmpty, !(await service.pipeline.symbols.contains(symbol)) {
            throw APIError.notFound("no data-quality record of '\(symbol)' in this range, and the symbol is not live here")
        }
        return JSONResponse.make(QualityReport(symbol: symbol, from: from, to: to, buckets: stored + open).json)
    }

    static func metrics(_ service: ServiceContext) async -> Response {
        let counters = await service.pipeline.counters
        let resyncs = await service.pipeline.resyncDurations
        var out = Prometheus.counter("feature_service_events_total", "Events accepted, by type.",
                                     EventType.allCases.map { ("type=\"\($0.rawValue)\"", Double(counters.eventsByType[$0] ?? 0)) })
        out += Prometheus.counter("feature_service_malformed_total", "Malformed messages (counted, dead-lettered, acked).", [("", Double(counters.malformed))])
        out += Prometheus.counter("feature_service_duplicates_total", "Redelivered duplicates dropped.", [("", Double(counters.duplicates))])
        out += Prometheus.counter("feature_service_book_desyncs_total", "Order book desyncs (gap, crossed, delta before snapshot).", [("", Double(counters.desyncs))])
        out += Prometheus.counter("feature_service_book_resyncs_total", "Order books restored by a snapshot after a desync.", [("", Double(resyncs.count))])
        out += Prometheus.gauge("feature_service_book_resync_seconds_max", "Longest detection-to-restore time of a book resync.",
                                [("", Double(resyncs.max() ?? 0) / 1e9)])
        out += Prometheus.counter("feature_service_vectors_published_total", "Feature vectors queued for features.live.", [("", Double(counters.vectorsPublished))])
        out += service.latency.render(name: "feature_service_ingest_to_vector_seconds",
                                      help: "From a message's receipt to the vector it triggered being handed to the publisher.")
        let now = wallClockNanos()
        out += Prometheus.gauge("feature_service_last_event_age_seconds", "Seconds since the last event, per symbol.",
                                counters.lastEventAt.sorted { $0.key < $1.key }.map { ("symbol=\"\($0.key)\"", Double(now - $0.value) / 1e9) })
        return JSONResponse.text(out, contentType: "text/plain; version=0.0.4")
    }
}
