/// One shard as it registered itself: its symbols and where its API answers.
public struct ShardRecord: Sendable, Equatable, Codable {
    public var name: String
    /// The symbols it owns, sorted.
    public var symbols: [String]
    /// Its API's base URL as it advertises it (nil: not advertised).
    public var url: String?
    /// The instance (host) that registered it last.
    public var instance: String
    /// When it registered last (ns since the epoch).
    public var updatedAt: Int64

    public init(name: String, symbols: [String], url: String?, instance: String, updatedAt: Int64) {
        self.name = name
        self.symbols = symbols.sorted()
        self.url = url
        self.instance = instance
        self.updatedAt = updatedAt
    }
}

extension ShardRecord {
    /// The shard of `shards` that owns `symbol`: the most recently registered one, should two claim it.
    public static func owner(of symbol: String, among shards: [ShardRecord]) -> ShardRecord? {
        shards.filter { $0.symbols.contains(symbol) }.max { $0.updatedAt < $1.updatedAt }
    }
}

extension MetadataStore {
    /// Records (or replaces) a shard's entry; returns the symbols its previous entry listed, which
    /// the shard no longer owns if they are not in `record` (their queue bindings go).
    @discardableResult
    public func registerShard(_ record: ShardRecord) async throws -> [String] {
        try await database.transaction { tx in
            let previous = try await tx.query("SELECT symbols FROM shards WHERE name = $1", [.text(record.name)]).first
            try await tx.execute(
                """
                INSERT INTO shards (name, symbols, url, instance, updated_at) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (name) DO UPDATE SET symbols = excluded.symbols, url = excluded.url,
                    instance = excluded.instance, updated_at = excluded.updated_at
                """,
                [
                    .text(record.name), .text(record.symbols.joined(separator: ",")), .text(record.url), .text(record.instance),
                    .int(record.updatedAt),
                ])
            return try previous.map { Self.symbols(try $0.text("symbols")) } ?? []
        }
    }

    /// Every registered shard, by name.
    public func shards() async throws -> [ShardRecord] {
        try await database.query("SELECT name, symbols, url, instance, updated_at FROM shards ORDER BY name").map { row in
            ShardRecord(
                name: try row.text("name"), symbols: Self.symbols(try row.text("symbols")), url: row["url"].text,
                instance: try row.text("instance"), updatedAt: try row.int("updated_at"))
        }
    }

    /// The shard that owns `symbol` (the most recently registered one, should two claim it).
    public func shard(owning symbol: String) async throws -> ShardRecord? {
        ShardRecord.owner(of: symbol, among: try await shards())
    }

    private static func symbols(_ text: String) -> [String] {
        text.split(separator: ",").map(String.init)
    }
}
