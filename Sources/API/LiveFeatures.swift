public import FeatureEngine
public import MarketData
public import Quality

/// What the HTTP API needs from the live side. The live pipeline implements it (the conformance
/// is in FeatureServer, which assembles the two), so the API links neither the pipeline nor the
/// broker, and its routes can be exercised against any implementation.
public protocol LiveFeatures: Sendable {
    /// The registry in force.
    func registry() async -> FeatureRegistry
    /// Symbols seen so far.
    func symbols() async -> [String]
    /// The vector of `symbol` from the live state at `now`, nil for an unknown symbol.
    func latest(symbol: String, now: Nanos) async -> FeatureVector?
    /// `recv_ts` of the last event of `symbol`, nil before any.
    func lastEventAt(symbol: String) async -> Nanos?
    /// Puts `registry` in force without stopping the live path; throws ``ReloadConflict`` while
    /// another reload runs.
    func reload(to registry: FeatureRegistry, now: Nanos) async throws -> ReloadSummary
    /// Ingests a batch of message bodies (a body with `refused` set is malformed without decoding).
    func ingest(
        batch: [(body: ArraySlice<UInt8>, refused: DecodeError?)], receivedAt: Nanos, reportLimit: Int,
        deadLetterLimit: Int
    ) async -> IngestOutcome
    /// Returns once everything ingested so far is durable.
    func makeDurable() async throws
    /// Data-quality buckets not yet handed to the metadata store (the current minute).
    func openQualityBuckets(symbol: String) async -> [QualityBucket]
    /// The top of `symbol`'s book (at most `levels` per side), nil for an unknown symbol. Costs
    /// O(levels) on the live side: the console's stream reads it every second.
    func bookTop(symbol: String, levels: Int) async -> BookTop?
}

/// The best levels of a book with its sync state, as the live side holds it now.
public struct BookTop: Sendable, Equatable {
    /// One price level.
    public struct Level: Sendable, Equatable {
        public var price: Double
        public var size: Double

        public init(price: Double, size: Double) {
            self.price = price
            self.size = size
        }
    }

    /// Best first (highest bid, lowest ask).
    public var bids: [Level]
    public var asks: [Level]
    /// Whether values may be read from the book (features are null while it is not).
    public var inSync: Bool
    /// `synced`, or why not: `awaiting_snapshot`, `sequence_gap`, `crossed_book`, `delta_before_snapshot`.
    public var state: String
    /// The last update id (`u`) applied, nil before any.
    public var lastUpdateId: Int64?

    public init(bids: [Level], asks: [Level], inSync: Bool, state: String, lastUpdateId: Int64?) {
        self.bids = bids
        self.asks = asks
        self.inSync = inSync
        self.state = state
        self.lastUpdateId = lastUpdateId
    }
}

/// What a `POST /ingest` batch did.
public struct IngestOutcome: Sendable {
    public var acceptedEvents: Int
    public var malformedLines: Int
    /// (index in the batch, error) of the first few malformed lines.
    public var errors: [(index: Int, error: DecodeError)]
    public var deadLettersKept: Int

    public init(acceptedEvents: Int, malformedLines: Int, errors: [(index: Int, error: DecodeError)], deadLettersKept: Int) {
        self.acceptedEvents = acceptedEvents
        self.malformedLines = malformedLines
        self.errors = errors
        self.deadLettersKept = deadLettersKept
    }
}

/// What a registry reload did.
public struct ReloadSummary: Sendable {
    public var seconds: Double
    public var replayed: Int
    public var caughtUp: Int

    public init(seconds: Double, replayed: Int, caughtUp: Int) {
        self.seconds = seconds
        self.replayed = replayed
        self.caughtUp = caughtUp
    }
}

/// A reload was asked for while another one runs.
public struct ReloadConflict: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
