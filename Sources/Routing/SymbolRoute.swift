public import AMQP
import MarketData

/// How gateway messages reach the shard that owns their symbol, with the broker's own machinery
/// once the symbol is in the routing key: the router republishes each message to a topic
/// exchange with the key `{symbol}.{source queue}`; each shard's queue is bound with
/// `{symbol}.#` for each symbol it owns. A message no shard is bound for (a symbol nobody owns,
/// or a body without a symbol) goes, through the exchange's alternate exchange, to one durable
/// queue where it waits — never dropped.
public enum SymbolRoute {
    /// The topic exchange the router publishes to.
    public static let exchange = "feature-service.route"
    /// The alternate exchange (fanout) of ``exchange``: what no binding matched.
    public static let unroutedExchange = "feature-service.unrouted"
    /// Where unrouted messages wait, for inspection or to be shovelled back once a shard owns them.
    public static let unroutedQueue = "feature-service.unrouted"
    /// The routing-key word for a message whose symbol cannot be read (it would be a dead letter
    /// at any shard): no shard binds it, so it lands in ``unroutedQueue``.
    public static let noSymbol = "_nosymbol"

    /// The durable queue of shard `name`.
    public static func shardQueue(_ name: String) -> String { "feature-service.shard.\(name)" }

    /// The binding that takes every message of `symbol`, whatever queue it came from.
    public static func binding(_ symbol: String) -> String { "\(symbol).#" }

    /// The routing key for a message body that came from `source` (a gateway queue): the symbol
    /// of its events, or ``noSymbol`` when it has none or several.
    public static func routingKey(for body: some Collection<UInt8>, source: String) -> (key: String, symbol: String?) {
        let symbol = Self.symbol(of: body)
        // Routing keys are at most 255 bytes; the source only labels, the symbol routes.
        let word = symbol ?? noSymbol
        let label = String(source.utf8.prefix(200)) ?? "unknown"
        return ("\(word).\(label)", symbol)
    }

    /// The one symbol a message's events belong to (nil: malformed, no events, or mixed).
    public static func symbol(of body: some Collection<UInt8>) -> String? {
        guard case .success(let message) = EnvelopeDecoder.decodeResult(body), let first = message.events.first?.symbol else {
            return nil
        }
        return message.events.allSatisfy({ $0.symbol == first }) && !first.contains(".") ? first : nil
    }

    /// Declares the routing topology (idempotent): the topic exchange, its alternate exchange
    /// and the queue unrouted messages wait in.
    public static func declareTopology(on channel: AMQPChannel) async throws {
        try await channel.exchangeDeclare(unroutedExchange, type: "fanout", durable: true)
        try await channel.queueDeclare(unroutedQueue, durable: true)
        try await channel.queueBind(queue: unroutedQueue, exchange: unroutedExchange, routingKey: "")
        try await channel.exchangeDeclare(
            exchange, type: "topic", durable: true, arguments: ["alternate-exchange": .string(unroutedExchange)])
    }

    /// Declares shard `name`'s durable queue, bound for each of `symbols`; bindings for
    /// `released` (symbols it owned before and no longer does) are removed, so their messages
    /// go to their new owner or wait unrouted instead of reaching this shard.
    public static func declareShard(name: String, symbols: Set<String>, released: Set<String> = [], on channel: AMQPChannel) async throws {
        try await declareTopology(on: channel)
        let queue = shardQueue(name)
        try await channel.queueDeclare(queue, durable: true)
        for symbol in symbols.sorted() {
            try await channel.queueBind(queue: queue, exchange: exchange, routingKey: binding(symbol))
        }
        for symbol in released.subtracting(symbols).sorted() {
            try await channel.queueUnbind(queue: queue, exchange: exchange, routingKey: binding(symbol))
        }
    }
}

/// A shard: a named instance that owns some symbols and consumes only their messages, from its
/// own queue behind the router.
public struct ShardAssignment: Sendable, Equatable {
    /// The shard's name (its queue is ``SymbolRoute/shardQueue(_:)``).
    public var name: String
    /// The symbols it owns.
    public var symbols: Set<String>
    /// Symbols it owned before and gives up now (their bindings are removed at connect).
    public var released: Set<String>

    public init(name: String, symbols: Set<String>, released: Set<String> = []) {
        self.name = name
        self.symbols = symbols
        self.released = released
    }

    /// Whether `name` can name a shard (it becomes part of a queue name and of file paths).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
            }
    }
}
