/// A value bound to or read from a SQL statement. The metadata schema uses only these four
/// types so that one set of statements runs unchanged on PostgreSQL and SQLite.
public enum SQLValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case int(Int64)
    case double(Double)
    case text(String)

    public var description: String {
        switch self {
        case .null: "NULL"
        case .int(let v): "\(v)"
        case .double(let v): "\(v)"
        case .text(let v): "'\(v)'"
        }
    }

    public var int: Int64? { if case .int(let v) = self { v } else { nil } }
    public var double: Double? {
        switch self {
        case .double(let v): v
        case .int(let v): Double(v)
        default: nil
        }
    }
    public var text: String? { if case .text(let v) = self { v } else { nil } }

    /// An optional Swift value: nil binds NULL.
    public static func int<I: BinaryInteger>(_ value: I?) -> SQLValue { value.map { .int(Int64($0)) } ?? .null }
    public static func text(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
    public static func double(_ value: Double?) -> SQLValue { value.map { .double($0) } ?? .null }
}

/// One result row: values by column name (lower case, as both backends report them).
public struct SQLRow: Sendable {
    public let columns: [String]
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    public subscript(_ column: String) -> SQLValue {
        guard let index = columns.firstIndex(of: column) else { return .null }
        return values[index]
    }

    /// A required column, with an error that names it when absent, null or of the wrong type.
    public func int(_ column: String) throws -> Int64 {
        guard let v = self[column].int else { throw MetadataError.decoding(column: column, value: self[column]) }
        return v
    }
    public func text(_ column: String) throws -> String {
        guard let v = self[column].text else { throw MetadataError.decoding(column: column, value: self[column]) }
        return v
    }
    public func double(_ column: String) throws -> Double {
        guard let v = self[column].double else { throw MetadataError.decoding(column: column, value: self[column]) }
        return v
    }
}

/// The SQL dialects the metadata store speaks. Statements use `$1, $2, …` placeholders,
/// which both understand; the few differences (locking) are handled by the backends.
public enum SQLDialect: String, Sendable {
    case postgres
    case sqlite
}

/// Runs statements. Inside ``SQLDatabase/transaction(_:)`` the executor given to the body
/// runs them in that transaction.
public protocol SQLExecutor: Sendable {
    /// Runs a statement that returns no rows (or whose rows are not needed).
    func execute(_ sql: String, _ binds: [SQLValue]) async throws
    /// Runs a query and returns all its rows.
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
}

/// A SQL database the metadata store runs on: PostgreSQL (``PostgresDatabase``) or SQLite
/// (``SQLiteDatabase``).
public protocol SQLDatabase: SQLExecutor {
    var dialect: SQLDialect { get }
    /// A human-readable location without credentials, for logs and health.
    var location: String { get }
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    /// Transactions on one database are serialised against each other for writes.
    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    /// Closes connections; further calls fail.
    func close() async
}

extension SQLExecutor {
    public func execute(_ sql: String) async throws { try await execute(sql, []) }
    public func query(_ sql: String) async throws -> [SQLRow] { try await query(sql, []) }
}

/// Errors of the metadata store, each with a message a user can act on.
public enum MetadataError: Error, Sendable, CustomStringConvertible, Equatable {
    case invalidURL(String)
    case connection(String)
    case statement(sql: String, message: String)
    case decoding(column: String, value: SQLValue)
    case schemaTooNew(database: Int, known: Int)
    case migrationChanged(version: Int, name: String)
    case closed

    public var description: String {
        switch self {
        case .invalidURL(let message): "invalid database URL: \(message)"
        case .connection(let message): "cannot reach the metadata database: \(message)"
        case .statement(let sql, let message): "metadata statement failed: \(message) (in: \(sql.prefix(120)))"
        case .decoding(let column, let value): "metadata column '\(column)' holds \(value), which is not the expected type"
        case .schemaTooNew(let database, let known):
            "the metadata database is at schema version \(database) but this build knows only up to \(known): upgrade "
                + "the service before pointing it at this database"
        case .migrationChanged(let version, let name):
            "migration \(version) (\(name)) differs from the one applied to this database: migrations are "
                + "append-only, add a new one instead"
        case .closed: "the metadata database is closed"
        }
    }
}
