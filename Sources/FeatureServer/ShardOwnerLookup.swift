import API
import MarketData
import Metadata
import ServiceRuntime
import Synchronization

/// Answers "which shard owns this symbol" from the metadata store's shard directory, for
/// `GET /features/latest` (and the console's book and stream) on a shard asked for a symbol it
/// does not own. The directory is read at most once per ``refreshEvery``: a stream of requests
/// for unknown symbols costs no query each.
final class ShardOwnerLookup: Sendable {
    let metadata: MetadataStore
    /// This shard's name; nil for a lone instance, which owns every symbol it knows.
    let shard: String?
    let clock: any WallClock
    static let refreshEvery: Nanos = 5 * Time.nanosPerSecond
    private let cache = Mutex<(at: Nanos, shards: [ShardRecord])?>(nil)

    init(metadata: MetadataStore, shard: String?, clock: any WallClock) {
        self.metadata = metadata
        self.shard = shard
        self.clock = clock
    }

    func owner(of symbol: String) async -> ShardOwner? {
        guard let shard else { return nil }
        let now = clock.now()
        var shards = cache.withLock { cached in cached.flatMap { now - $0.at < Self.refreshEvery ? $0.shards : nil } }
        if shards == nil {
            // An unreachable database answers "no owner known" (a plain 404), never an error.
            let fresh = (try? await metadata.shards()) ?? []
            cache.withLock { $0 = (now, fresh) }
            shards = fresh
        }
        guard let record = ShardRecord.owner(of: symbol, among: shards ?? []), record.name != shard else { return nil }
        return ShardOwner(shard: record.name, url: record.url)
    }

    var owner: @Sendable (String) async -> ShardOwner? {
        { symbol in await self.owner(of: symbol) }
    }
}
