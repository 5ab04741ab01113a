import Foundation
public import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// The production backend: PostgreSQL through PostgresNIO's connection pool.
///
/// The pool's `run()` loop lives in a task owned by this value and ends with ``close()``.
public final class PostgresDatabase: SQLDatabase, Sendable {
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger
    public let location: String
    public var dialect: SQLDialect { .postgres }

    /// Parsed `postgres://user:password@host:port/database?sslmode=disable|prefer|require`.
    public struct ConnectionURL: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String?
        public var sslMode: String

        public init(_ url: String) throws {
            guard let components = URLComponents(string: url), let scheme = components.scheme,
                ["postgres", "postgresql"].contains(scheme.lowercased())
            else {
                throw MetadataError.invalidURL("expected postgres://user:password@host:port/database, got '\(Self.redact(url))'")
            }
            guard let host = components.host, !host.isEmpty else { throw MetadataError.invalidURL("no host in '\(Self.redact(url))'") }
            guard let user = components.user, !user.isEmpty else { throw MetadataError.invalidURL("no user in '\(Self.redact(url))'") }
            self.host = host
            self.port = components.port ?? 5432
            self.username = user
            self.password = components.password
            let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            self.database = path.isEmpty ? nil : path
            let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer"
            guard ["disable", "prefer", "require"].contains(mode) else {
                throw MetadataError.invalidURL("sslmode must be disable, prefer or require, got '\(mode)'")
            }
            self.sslMode = mode
        }

        /// The URL without its password, for logs.
        public static func redact(_ url: String) -> String {
            guard var components = URLComponents(string: url), components.password != nil else { return url }
            components.password = "***"
            return components.string ?? "postgres://…"
        }
    }

    /// Connects once to check the server answers within `timeout` and accepts the login; a
    /// refused login or an unknown database fails at once with the server's reason.
    public init(url: String, logger: Logger, timeout: Duration = .seconds(10)) async throws {
        let parsed = try ConnectionURL(url)
        let location = "postgres://\(parsed.host):\(parsed.port)/\(parsed.database ?? parsed.username)"
        let sslContext: NIOSSLContext?
        do { sslContext = parsed.sslMode == "disable" ? nil : try NIOSSLContext(configuration: .makeClientConfiguration()) } catch {
            throw MetadataError.connection("\(location): TLS setup failed: \(error)")
        }
        // One direct connection first: the pool below retries failed logins in silence, this
        // surfaces the reason (wrong password, unknown database, refused connection).
        var probeConfiguration = PostgresConnection.Configuration(
            host: parsed.host, port: parsed.port, username: parsed.username, password: parsed.password, database: parsed.database,
            tls: sslContext.map { parsed.sslMode == "require" ? .require($0) : .prefer($0) } ?? .disable)
        probeConfiguration.options.connectTimeout = .nanoseconds(
            Int64(timeout.components.seconds) * 1_000_000_000
                + timeout.components.attoseconds / 1_000_000_000)
        do {
            let probe = try await PostgresConnection.connect(configuration: probeConfiguration, id: 0, logger: logger)
            try? await probe.close().get()
        } catch {
            throw MetadataError.connection("\(location): \(Self.message(error))")
        }
        let tls: PostgresClient.Configuration.TLS =
            switch parsed.sslMode {
            case "disable": .disable
            case "require": .require(.makeClientConfiguration())
            default: .prefer(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: parsed.host, port: parsed.port, username: parsed.username,
            password: parsed.password, database: parsed.database, tls: tls)
        configuration.options.maximumConnections = 4
        configuration.options.connectTimeout = timeout
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        self.location = location
        self.runner = Task { await client.run() }
    }

    public func execute(_ sql: String, _ binds: [SQLValue]) async throws {
        _ = try await Self.run(sql, binds) { try await client.query($0, logger: logger) }
    }

    public func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try await Self.run(sql, binds) { try await client.query($0, logger: logger) }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        let logger = self.logger
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await body(ConnectionExecutor(connection: connection, logger: logger))
            }
        } catch let error as PostgresTransactionError {
            // Report the body's own error (or the failed COMMIT) rather than the wrapper.
            if let closure = error.closureError { throw closure }
            throw MetadataError.statement(sql: "COMMIT", message: Self.message(error.commitError ?? error.beginError ?? error))
        }
    }

    public func close() async {
        runner.cancel()
        _ = await runner.value
    }

    /// Statements inside a transaction run on its leased connection.
    private struct ConnectionExecutor: SQLExecutor {
        let connection: PostgresConnection
        let logger: Logger
        func execute(_ sql: String, _ binds: [SQLValue]) async throws {
            _ = try await PostgresDatabase.run(sql, binds) { try await connection.query($0, logger: logger) }
        }
        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
            try await PostgresDatabase.run(sql, binds) { try await connection.query($0, logger: logger) }
        }
    }

    /// Binds, runs (on the pool or a leased connection) and collects the rows, with errors that
    /// carry the server's message.
    static func run(
        _ sql: String, _ binds: [SQLValue],
        on send: (PostgresQuery) async throws -> PostgresRowSequence
    ) async throws -> [SQLRow] {
        var bindings = PostgresBindings(capacity: binds.count)
        for value in binds {
            switch value {
            case .null: bindings.appendNull()
            case .int(let v): bindings.append(v)
            case .double(let v): bindings.append(v)
            case .text(let v): bindings.append(v)
            }
        }
        do {
            return try rows(try await send(PostgresQuery(unsafeSQL: sql, binds: bindings)).collect())
        } catch {
            throw wrap(error, sql: sql)
        }
    }

    static func rows(_ rows: [PostgresRow]) throws -> [SQLRow] {
        guard let first = rows.first else { return [] }
        let columns = first.map { $0.columnName.lowercased() }
        return try rows.map { row in
            SQLRow(
                columns: columns,
                values: try row.map { cell -> SQLValue in
                    guard cell.bytes != nil else { return .null }
                    switch cell.dataType {
                    case .int8, .int4, .int2: return .int(try cell.decode(Int64.self))
                    case .float8, .float4: return .double(try cell.decode(Double.self))
                    case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
                    default: return .text(try cell.decode(String.self))
                    }
                })
        }
    }

    static func wrap(_ error: any Error, sql: String) -> any Error {
        if error is MetadataError || error is CancellationError { return error }
        return MetadataError.statement(sql: sql, message: message(error))
    }

    /// PSQLError hides the server's message from `description`; surface it (it names the
    /// table or constraint, never a bound value).
    static func message(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let server = error.serverInfo, let message = server[.message] {
                return "\(message) (SQLSTATE \(server[.sqlState] ?? "?"))"
            }
            return "\(error.code)"
        }
        return "\(error)"
    }
}
