import CSQLite
import Foundation
import NIOPosix

/// The embedded backend: one SQLite file (Debian's libsqlite3), WAL journal, full sync.
///
/// One connection serves the process; a gate serialises statements and transactions, which
/// is plenty for metadata (a few writes per dataset build or registry reload). Every SQLite
/// call blocks (file I/O, fsync, busy waits), so all of them run on one thread of the
/// database's own, never on Swift's cooperative pool.
public final class SQLiteDatabase: SQLDatabase, @unchecked Sendable {
    // @unchecked: `handle` is only touched on `thread`'s one thread, which orders all accesses.
    private var handle: OpaquePointer?
    private let gate = AsyncGate()
    /// The one thread every SQLite call runs on: started on open, shut down on close.
    private let thread = NIOThreadPool(numberOfThreads: 1)
    public let path: String
    public var dialect: SQLDialect { .sqlite }
    public var location: String { "sqlite:\(path)" }

    /// Opens (creating when missing) the database file at `path`.
    public init(path: String) async throws {
        self.path = path
        thread.start()
        do {
            try await onThread { database in try database.open() }
        } catch {
            try? await thread.shutdownGracefully()
            throw error
        }
    }

    deinit {
        // Not closed: the file is still closed on the database's thread, which then ends.
        let handle = Handle(pointer: handle)
        thread.submit { _ in sqlite3_close(handle.pointer) }
        thread.shutdownGracefully { _ in }
    }

    public func execute(_ sql: String, _ binds: [SQLValue]) async throws {
        try await gate.withLock { _ = try await self.onThread { try $0.run(sql, binds) } }
    }

    public func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        try await gate.withLock { try await self.onThread { try $0.run(sql, binds) } }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await gate.withLock {
            // IMMEDIATE takes the write lock now, so two writers never deadlock on upgrade.
            _ = try await self.onThread { try $0.run("BEGIN IMMEDIATE", []) }
            do {
                let result = try await body(InTransaction(database: self))
                _ = try await self.onThread { try $0.run("COMMIT", []) }
                return result
            } catch {
                _ = try? await self.onThread { try $0.run("ROLLBACK", []) }
                throw error
            }
        }
    }

    public func close() async {
        await gate.withLock {
            _ = try? await self.onThread { database in
                sqlite3_close(database.handle)
                database.handle = nil
            }
            // Later calls find the thread gone and fail with `MetadataError.closed`.
            try? await self.thread.shutdownGracefully()
        }
    }

    /// The executor handed to a transaction body: the gate is already held.
    private struct InTransaction: SQLExecutor {
        let database: SQLiteDatabase
        func execute(_ sql: String, _ binds: [SQLValue]) async throws { _ = try await database.onThread { try $0.run(sql, binds) } }
        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] { try await database.onThread { try $0.run(sql, binds) } }
    }

    /// A connection pointer that may cross to the database's thread (only that thread uses it).
    private struct Handle: @unchecked Sendable {
        let pointer: OpaquePointer?
    }

    /// Runs `body` on the database's thread and awaits it. A task's cancellation does not skip
    /// a statement (a skipped COMMIT or ROLLBACK would leave a transaction open); a closed
    /// database fails with `MetadataError.closed`.
    private func onThread<T: Sendable>(_ body: @escaping @Sendable (SQLiteDatabase) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            thread.submit { state in
                guard case .active = state else { return continuation.resume(throwing: MetadataError.closed) }
                continuation.resume(with: Result { try body(self) })
            }
        }
    }

    /// Opens the file and sets the connection up; on the database's thread.
    private func open() throws {
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

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Prepares, binds (`$1…` by name), steps and collects; several statements separated by
    /// `;` run in turn when there are no binds. On the database's thread only.
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
                    let rc: Int32 =
                        switch value {
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
