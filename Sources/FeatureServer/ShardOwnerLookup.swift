import API
import Metadata

/// Answers "which shard owns this symbol" from the metadata store's shard directory, for
/// `GET /features/latest` on a shard asked for a symbol it does not own.
struct ShardOwnerLookup: Sendable {
    let metadata: MetadataStore
    /// This shard's name; nil for a lone instance, which owns every symbol it knows.
    let shard: String?

    func owner(of symbol: String) async -> ShardOwner? {
        guard let shard, let record = try? await metadata.shard(owning: symbol), record.name != shard else { return nil }
        return ShardOwner(shard: record.name, url: record.url)
    }

    var owner: @Sendable (String) async -> ShardOwner? {
        { symbol in await owner(of: symbol) }
    }
}
