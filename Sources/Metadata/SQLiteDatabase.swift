import CSQLite
import Foundation

/// The embedded backend: one SQLite file (Debian's libsqlite3), WAL journal, full sync.
///
/// One connection serves the process; a gate serialises statements and transactions, which
/// is plenty for metadata (a few writes per dataset build or registry reload). Statements are
/// short and run on the calling task.
public final class SQLiteDatabase: SQLDatabase, @unchecked Sendable {
    // @unchecked: `handle` is only used while holding `gate` (or during init/close).
    private var handle: OpaquePointer?
    private let gate = AsyncGate()
    public let path: String
    public var dialect: SQLDialect { .sqlite }
    public var location: String { "sqlite:\(path)" }

    /// Opens (creating when missing) the database file at `path`.
    public init(path: String) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        guard sqlite3_open_v2(path, &db, flags, nil) == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw MetadataError.connection("cannot open SQLite file '\(path)': \(message)")
        }
        handle = db
        // A second process on the same file waits instead of failing at once.
        sqlite3_busy_timeout(db, 5000)
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"] {
            _ = try run(pragma, [])
        }
    }

    deinit { sqlite3_close(handle) }

    public func execute(_ sql: String, _ binds: [SQLValue]) async throws {
        try await gate.withLock { _ = try self.run(sql, binds) }
    }

    public func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try await gate.withLock { try self.run(sql, binds) }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await gate.withLock {
            // IMMEDIATE takes the write lock now, so two writers never deadlock on upgrade.
            _ = try self.run("BEGIN IMMEDIATE", [])
            do {
                let result = try await body(InTransaction(database: self))
                _ = try self.run("COMMIT", [])
                return result
            } catch {
                _ = try? self.run("ROLLBACK", [])
                throw error
            }
        }
    }

    public func close() async {
        await gate.withLock {
            sqlite3_close(self.handle)
            self.handle = nil
        }
    }

    /// The executor handed to a transaction body: the gate is already held.
    private struct InTransaction: SQLExecutor {
        let database: SQLiteDatabase
        func execute(_ sql: String, _ binds: [SQLValue]) async throws { _ = try database.run(sql, binds) }
        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] { try database.run(sql, binds) }
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Prepares, binds (`$1…` by name), steps and collects; several statements separated by
    /// `;` run in turn when there are no binds.
    private func run(_ sql: String, _ binds: [SQLValue]) throws -> [SQLRow] {
        guard let db = handle else { throw MetadataError.closed }
        var rows: [SQLRow] = []
        try sql.withCString { start in
            var cursor: UnsafePointer<CChar>? = start
            while let current = cursor, current.pointee != 0 {
                var statement: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                guard sqlite3_prepare_v2(db, current, -1, &statement, &tail) == SQLITE_OK else {
                    throw MetadataError.statement(sql: sql, message: String(cString: sqlite3_errmsg(db)))
                }
                cursor = tail
                guard let statement else { continue }  // whitespace or a comment
                defer { sqlite3_finalize(statement) }
                for (offset, value) in binds.enumerated() {
                    let index = sqlite3_bind_parameter_index(statement, "$\(offset + 1)")
                    guard index > 0 else { continue }
                    let rc: Int32 = switch value {
                    case .null: sqlite3_bind_null(statement, index)
                    case .int(let v): sqlite3_bind_int64(statement, index, v)
                    case .double(let v): sqlite3_bind_double(statement, index, v)
                    case .text(let v): sqlite3_bind_text(statement, index, v, -1, Self.transient)
                    }
                    guard rc == SQLITE_OK else { throw MetadataError.statement(sql: sql, message: String(cString: sqlite3_errmsg(db))) }
                }
                let count = Int(sqlite3_column_count(statement))
                let columns = (0..<count).map { String(cString: sqlite3_column_name(statement, Int32($0))).lowercased() }
                while true {
                    let rc = sqlite3_step(statement)
                    if rc == SQLITE_DONE { break }
                    guard rc == SQLITE_ROW else { throw MetadataError.statement(sql: sql, message: String(cString: sqlite3_errmsg(db))) }
                    var values: [SQLValue] = []
                    values.reserveCapacity(count)
                    for column in 0..<Int32(count) {
                        switch sqlite3_column_type(statement, column) {
                        case SQLITE_INTEGER: values.append(.int(sqlite3_column_int64(statement, column)))
                        case SQLITE_FLOAT: values.append(.double(sqlite3_column_double(statement, column)))
                        case SQLITE_NULL: values.append(.null)
                        default:
                            let bytes = sqlite3_column_text(statement, column)
                            values.append(.text(bytes.map { String(cString: $0) } ?? ""))
                        }
                    }
                    rows.append(SQLRow(columns: columns, values: values))
                }
                if !binds.isEmpty { break }
            }
        }
        return rows
    }
}

/// A FIFO async mutual exclusion: holders may suspend while holding it (a transaction body
/// awaits), which a plain lock must not do.
final class AsyncGate: Sendable {
    private let state = GateState()

    func withLock<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        await state.acquire()
        do {
            let result = try await body()
            await state.release()
            return result
        } catch {
            await state.release()
            throw error
        }
    }

    private actor GateState {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []

        func acquire() async {
            if !held {
                held = true
                return
            }
            // Ownership passes directly to the waiter on release.
            await withCheckedContinuation { waiters.append($0) }
        }

        func release() {
            if waiters.isEmpty { held = false } else { waiters.removeFirst().resume() }
        }
    }
}
