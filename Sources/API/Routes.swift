import FeatureEngine
import Foundation
public import Hummingbird
import Logging
public import MarketData
public import Metadata
import Quality
public import RawStore
public import ServiceRuntime

/// What the HTTP layer needs from the running service.
public struct APIContext: Sendable {
    public let live: any LiveFeatures
    /// The one wall clock of the service.
    public let clock: any WallClock
    public let store: RawStore?
    /// Where `reload` reads the registry from (nil: the bundled default).
    public let registryPath: String?
    /// The Prometheus exposition of every metric at `now` (`GET /metrics`).
    public let metrics: @Sendable (_ now: Nanos) async -> String
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
    /// The shard that owns a symbol this instance does not know (nil: none, or not sharded).
    public let owner: @Sendable (_ symbol: String) async -> ShardOwner?
    /// Bounds the open `GET /features/stream` responses (shared by every router of this context).
    public let streams: StreamLimiter

    public init(
        live: any LiveFeatures, clock: any WallClock, store: RawStore?, registryPath: String?,
        metrics: @escaping @Sendable (_ now: Nanos) async -> String = { _ in "" },
        startedAt: Nanos, staleAfter: Nanos = 5 * Time.nanosPerSecond, datasets: DatasetJobs? = nil,
        metadata: MetadataStore? = nil, instance: String = "local",
        brokerStatus: @escaping @Sendable () async -> String? = { nil }, streams: StreamLimiter = StreamLimiter(limit: 32),
        owner: @escaping @Sendable (_ symbol: String) async -> ShardOwner? = { _ in nil }
    ) {
        self.owner = owner
        self.streams = streams
        self.datasets = datasets
        self.metadata = metadata
        self.instance = instance
        self.live = live
        self.clock = clock
        self.store = store
        self.registryPath = registryPath
        self.metrics = metrics
        self.startedAt = startedAt
        self.staleAfter = staleAfter
        self.brokerStatus = brokerStatus
    }
}

/// Builds the router with every route of interfaces.md §5 that exists so far.
public enum APIRoutes {
    /// Paths reachable without an API key.
    public static let publicPaths: Set<String> = ["/health", "/openapi.json"]

    /// The API's router; with `console`, also the web console's static files (public, like
    /// `/health`), so that the console's port answers the page and the API it calls.
    public static func router(_ service: APIContext, apiKeys: [String], console: ConsoleFiles? = nil) -> Router<ServiceRequestContext> {
        let router = Router(context: ServiceRequestContext.self)
        router.middlewares.add(TraceAndErrorMiddleware())
        // HTTP request counts and durations through swift-metrics (bootstrapped with the service's registry by `serve`).
        router.middlewares.add(MetricsMiddleware())
        let servesConsole = console != nil
        let isPublic: @Sendable (String) -> Bool = { path in
            publicPaths.contains(path) || (servesConsole && ConsoleFiles.isConsolePath(path))
        }
        router.middlewares.add(APIKeyMiddleware(keys: apiKeys, isPublic: isPublic))
        console?.add(to: router)

        router.get("/health") { _, context in try await health(service, detailed: context.authenticated) }
        router.get("/openapi.json") { _, _ in JSONResponse.make(OpenAPIDocument.json) }
        router.get("/features/latest") { request, _ in try await latest(service, request) }
        router.get("/features/symbols") { _, _ in try JSONResponse.encoded(SymbolsAnswer(symbols: await service.live.symbols())) }
        router.get("/features/book") { request, _ in try await LiveStream.book(service, request) }
        router.get("/features/stream") { request, _ in try await LiveStream.stream(service, request) }
        router.get("/feature-registry") { _, _ in try await registry(service) }
        router.post("/feature-registry/reload") { request, context in try await reload(service, request, logger: context.logger) }
        router.get("/feature-registry/validate") { _, _ in try validate(service) }
        router.post("/feature-registry/validate") { request, _ in try await validate(service, request) }
        router.get("/feature-registry/versions") { _, _ in try await versions(service) }
        router.post("/ingest") { request, context in try await ingest(service, request, logger: context.logger) }
        router.get("/metrics") { _, _ in await metrics(service) }
        router.get("/data-quality/report") { request, _ in try await qualityReport(service, request) }
        DatasetRoutes.add(to: router, jobs: service.datasets)
        return router
    }

    /// Health: status for anyone (load balancers, probes); checks with their details (paths,
    /// database locations, errors) only for a caller with an API key.
    static func health(_ service: APIContext, detailed: Bool) async throws -> Response {
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
        var answer = HealthAnswer(status: healthy ? "ok" : "degraded")
        if detailed {
            answer.uptimeSeconds = Double(service.clock.now() - service.startedAt) / 1e9
            answer.checks = Dictionary(
                checks.map { ($0.0, HealthAnswer.Check(status: $0.1, detail: $0.2)) },
                uniquingKeysWith: { first, _ in first })
        }
        return try JSONResponse.encoded(answer, status: healthy ? .ok : .serviceUnavailable)
    }

    static func latest(_ service: APIContext, _ request: Request) async throws -> Response {
        guard let symbol = request.uri.queryParameters["symbol"].map(String.init), !symbol.isEmpty else {
            throw APIError.badRequest("query parameter 'symbol' is required, e.g. /features/latest?symbol=BTCUSDT")
        }
        guard Symbols.isValid(symbol) else { throw invalidSymbol(symbol) }
        guard let text = await vectorText(service, symbol: symbol, now: service.clock.now()) else {
            throw await LiveStream.unknown(service, symbol)
        }
        return JSONResponse.make(text)
    }

    /// The `/features/latest` answer of `symbol` at `now` (the vector with `stale` and
    /// `last_event_ts_ns`), nil for an unknown symbol.
    static func vectorText(_ service: APIContext, symbol: String, now: Nanos) async -> String? {
        guard let vector = await service.live.latest(symbol: symbol, now: now) else { return nil }
        let registry = await service.live.registry()
        let lastEvent = await service.live.lastEventAt(symbol: symbol)
        let stale = lastEvent.map { now - $0 > service.staleAfter } ?? true
        let extra: [(String, String)] = [("stale", stale ? "true" : "false"), ("last_event_ts_ns", lastEvent.map(String.init) ?? "null")]
        return FeatureMessage.encode(vector, names: registry.names, registryVersion: registry.version, traceId: nil, extra: extra)
    }

    static func invalidSymbol(_ symbol: String) -> APIError {
        .badRequest("'symbol' must be 1 to 40 upper-case letters, digits, '-' or '_' (e.g. BTCUSDT), got '\(Echo.prefix(symbol, 40))'")
    }

    static func registry(_ service: APIContext) async throws -> Response {
        try JSONResponse.encoded(RegistryAnswer(await service.live.registry()))
    }

    static func invalidRegistry(_ problems: [RegistryProblem]) -> APIError {
        .invalid(
            code: "invalid_registry", "the registry has \(problems.count) problem(s); the registry in force is unchanged",
            problems: problems.map { (path: $0.path, message: $0.message) })
    }

    /// The registry text to reload or validate: the request body if any, else the configured file.
    static func registryText(_ service: APIContext, body: ByteBuffer?) throws -> String? {
        if let body, body.readableBytes > 0 { return String(buffer: body) }
        guard let path = service.registryPath else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw APIError(.unprocessableContent, code: "registry_unreadable", "cannot read registry file '\(path)'")
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func reload(_ service: APIContext, _ request: Request, logger: Logger) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        let text = try registryText(service, body: body)
        let registry: FeatureRegistry
        if let text {
            do { registry = try FeatureRegistry.parse(text) } catch { throw invalidRegistry(error.problems) }
        } else {
            registry = .bundledDefault
        }
        let stats: ReloadSummary
        do {
            stats = try await service.live.reload(to: registry, now: service.clock.now())
        } catch let error as ReloadConflict {
            throw APIError(.conflict, code: "reload_in_progress", error.description)
        }
        logger.notice(
            "registry reloaded",
            metadata: [
                "version": .string(registry.version), "seconds": .stringConvertible(stats.seconds),
                "events_replayed": .stringConvertible(stats.replayed),
                "events_caught_up": .stringConvertible(stats.caughtUp),
            ])
        let source = body.readableBytes > 0 ? "request body" : (service.registryPath ?? "bundled")
        var recorded = false
        if let metadata = service.metadata {
            recorded = await RegistryHistory.record(
                registry, text: text ?? FeatureRegistry.bundledDefaultText, in: metadata, instance: service.instance,
                reason: .reload, source: source, at: service.clock.now(), logger: logger)
        }
        return try JSONResponse.encoded(ReloadAnswer(recorded: recorded, registry: RegistryAnswer(registry)))
    }

    static func versions(_ service: APIContext) async throws -> Response {
        guard let metadata = service.metadata else {
            throw APIError(.serviceUnavailable, code: "metadata_unavailable", "no metadata store is configured")
        }
        let versions: [RegistryVersionRecord]
        do { versions = try await metadata.registryVersions() } catch {
            throw APIError(.serviceUnavailable, code: "metadata_unavailable", "the metadata store did not answer: \(error)")
        }
        let inForce = await service.live.registry().contentHash
        return try JSONResponse.encoded(RegistryVersionsAnswer(versions: versions.map { .init($0, inForce: inForce) }))
    }

    /// `POST /feature-registry/validate`: checks the registry in the body (YAML or JSON) and lists
    /// every problem; nothing is applied or recorded.
    static func validate(_ service: APIContext, _ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        guard body.readableBytes > 0 else {
            throw APIError.badRequest("send the registry (YAML or JSON) as the body; GET validates the configured file")
        }
        let problems = FeatureRegistry.validate(String(buffer: body))
        guard problems.isEmpty else { throw invalidRegistry(problems) }
        return try JSONResponse.encoded(ValidationAnswer(source: "request body"))
    }

    static func validate(_ service: APIContext) throws -> Response {
        guard let text = try registryText(service, body: nil) else {
            return try JSONResponse.encoded(ValidationAnswer(source: "bundled default"))
        }
        let problems = FeatureRegistry.validate(text)
        guard problems.isEmpty else { throw invalidRegistry(problems) }
        return try JSONResponse.encoded(ValidationAnswer(source: service.registryPath ?? ""))
    }

    /// The largest `POST /ingest` body, and the longest line in it.
    static let ingestBodyLimit = 64 << 20
    static let ingestLineLimit = 1 << 20
    /// Malformed lines listed in an answer, and kept as dead letters, per request.
    static let ingestReportLimit = 10
    static let ingestDeadLetterLimit = 100

    /// `POST /ingest`: JSON Lines read as a stream, ingested a chunk at a time, answered once
    /// durable. Cost is bounded whatever the body holds: malformed lines are counted, the first
    /// few listed by line number, at most ``ingestDeadLetterLimit`` kept, one log line per request.
    static func ingest(_ service: APIContext, _ request: Request, logger: Logger) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > ingestBodyLimit {
            throw APIError(
                .contentTooLarge, code: "body_too_large",
                "the request body (\(length) bytes) is larger than the limit of \(ingestBodyLimit) bytes: send it in parts")
        }
        var splitter = LineSplitter(maxLineBytes: ingestLineLimit)
        var totals = IngestOutcome(acceptedEvents: 0, malformedLines: 0, errors: [], deadLettersKept: 0)
        var errors: [(line: Int, error: DecodeError)] = []
        var received = 0
        var lines = 0
        var overLimit = false
        func process(_ batch: [LineSplitter.Line]) async {
            guard !batch.isEmpty else { return }
            lines = batch.last!.number
            let outcome = await service.live.ingest(
                batch: batch.map { ($0.body, $0.refused) }, receivedAt: service.clock.now(),
                reportLimit: ingestReportLimit - errors.count, deadLetterLimit: ingestDeadLetterLimit - totals.deadLettersKept)
            totals.acceptedEvents += outcome.acceptedEvents
            totals.malformedLines += outcome.malformedLines
            totals.deadLettersKept += outcome.deadLettersKept
            errors += outcome.errors.map { (batch[$0.index].number, $0.error) }
        }
        for try await chunk in request.body {
            received += chunk.readableBytes
            if received > ingestBodyLimit { overLimit = true; break }
            await process(chunk.withUnsafeReadableBytes { splitter.feed($0) })
        }
        if !overLimit { await process(splitter.finish()) }
        if received == 0 || (totals.acceptedEvents == 0 && totals.malformedLines == 0 && !overLimit) {
            throw APIError.badRequest("empty body: send JSON Lines, one gateway envelope per line")
        }
        try await service.live.makeDurable()
        logger.info(
            "ingest",
            metadata: [
                "lines": .stringConvertible(lines), "accepted_events": .stringConvertible(totals.acceptedEvents),
                "malformed_lines": .stringConvertible(totals.malformedLines),
                "dead_lettered": .stringConvertible(totals.deadLettersKept),
            ])
        if overLimit {
            throw APIError(
                .contentTooLarge, code: "body_too_large",
                "the request body is larger than the limit of \(ingestBodyLimit) bytes; the \(lines) line(s) before the limit were "
                    + "processed (\(totals.acceptedEvents) events accepted and durable): send the rest in another request")
        }
        let answer = IngestAnswer(
            lines: lines, acceptedEvents: totals.acceptedEvents, malformedLines: totals.malformedLines,
            deadLettered: totals.deadLettersKept,
            malformed: errors.map { .init(line: $0.line, error: Echo.prefix($0.error.description, 200)) },
            malformedNotListed: totals.malformedLines - errors.count)
        return try JSONResponse.encoded(
            answer, status: totals.acceptedEvents == 0 && totals.malformedLines > 0 ? .unprocessableContent : .ok)
    }

    /// The longest range a report may cover (the raw data is kept 90 days by default).
    static let maxQualityRange = 92 * Time.nanosPerDay

    static func qualityReport(_ service: APIContext, _ request: Request) async throws -> Response {
        guard let symbol = request.uri.queryParameters["symbol"].map(String.init), !symbol.isEmpty else {
            throw APIError.badRequest("query parameter 'symbol' is required, e.g. /data-quality/report?symbol=BTCUSDT")
        }
        guard Symbols.isValid(symbol) else { throw invalidSymbol(symbol) }
        func time(_ name: Substring) throws -> Nanos? {
            guard let text = request.uri.queryParameters[name].map(String.init), !text.isEmpty else { return nil }
            guard let parsed = Time.parseInstant(text) else {
                throw APIError.badRequest(
                    "'\(name)' must be ISO 8601 (2026-11-25T00:00:00Z) or ns since the epoch, \(Time.acceptedRangeText); "
                        + "got '\(Echo.prefix(text, 40))'")
            }
            return parsed
        }
        let to = try time("to") ?? service.clock.now()
        let from = try time("from") ?? to - Time.nanosPerDay
        guard from < to else { throw APIError.badRequest("'from' must be before 'to'") }
        guard to - from <= maxQualityRange else { throw APIError.badRequest("a report covers at most 92 days; ask for a shorter range") }
        let minutes: Bool
        switch request.uri.queryParameters["minutes"].map(String.init) {
        case nil, "false": minutes = false
        case "true": minutes = true
        case let other?: throw APIError.badRequest("'minutes' must be true or false, got '\(Echo.prefix(other, 20))'")
        }
        if minutes && to - from > Time.nanosPerDay {
            throw APIError.badRequest("with minutes=true a report covers at most 24 h; ask for a shorter range")
        }
        let open = await service.live.openQualityBuckets(symbol: symbol)
        var stored: [QualityBucket] = []
        if let metadata = service.metadata {
            do { stored = try await QualityHistory(metadata: metadata).stored(symbol: symbol, from: from, to: to) } catch {
                throw APIError(.serviceUnavailable, code: "metadata_unavailable", "the metadata store did not answer: \(error)")
            }
        }
        if open.isEmpty && stored.isEmpty, !(await service.live.symbols().contains(symbol)) {
            throw APIError.notFound("no data-quality record of '\(symbol)' in this range, and the symbol is not live here")
        }
        let report = QualityReport(symbol: symbol, from: from, to: to, buckets: stored + open)
        return try JSONResponse.encoded(
            QualityReportAnswer(
                report: QualityReportDocument(report), minutes: minutes ? QualityMinute.series(stored + open, from: from, to: to) : nil))
    }

    static func metrics(_ service: APIContext) async -> Response {
        JSONResponse.text(await service.metrics(service.clock.now()), contentType: "text/plain; version=0.0.4")
    }
}
