import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors of the raw store, with the path and the OS error where there is one.
public enum StoreError: Error, Sendable, CustomStringConvertible, Equatable {
    case io(String, Int32)
    case corrupt(String)
    case invalidArgument(String)
    case noData(String)

    public var description: String {
        switch self {
        case .io(let what, let code): "\(what): \(String(cString: strerror(code)))"
        case .corrupt(let what): "corrupt data: \(what)"
        case .invalidArgument(let what): what
        case .noData(let what): what
        }
    }
}

/// The few POSIX file operations the store needs for durability, with errors that say where.
enum FileSystem {
    static func createDirectory(_ path: String) throws(StoreError) {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw StoreError.io("mkdir \(path)", EIO)
        }
    }

    static func list(_ path: String) throws(StoreError) -> [String] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        do { return try FileManager.default.contentsOfDirectory(atPath: path) } catch { throw StoreError.io("list \(path)", EIO) }
    }

    static func readFile(_ path: String) throws(StoreError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw StoreError.io("read \(path)", ENOENT) }
        return [UInt8](data)
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(StoreError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw StoreError.io("write \(path)", errno)
            }
            offset += written
        }
    }

    /// Makes a directory entry change (create, rename, unlink) durable.
    static func syncDirectory(_ path: String) throws(StoreError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io("open directory \(path)", errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw StoreError.io("fsync directory \(path)", errno) }
    }

    static func remove(_ path: String) throws(StoreError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw StoreError.io("unlink \(path)", errno) }
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}

/// Durable whole-file writes for files that sit beside the raw data (engine checkpoints).
public enum DurableFile {
    /// Writes `bytes` to `path` atomically: a temporary file, fsync, rename, directory fsync.
    /// A crash leaves either the old file (or none) or the new one, never a torn one.
    public static func write(_ bytes: [UInt8], to path: String) throws(StoreError) {
        let directory = (path as NSString).deletingLastPathComponent
        try FileSystem.createDirectory(directory)
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io("create \(temporary)", errno) }
        do throws(StoreError) {
            try FileSystem.writeAll(fd, bytes, path: temporary)
            guard fsync(fd) == 0 else { throw StoreError.io("fsync \(temporary)", errno) }
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw StoreError.io("rename \(temporary)", errno) }
        try FileSystem.syncDirectory(directory)
    }

    public static func read(_ path: String) throws(StoreError) -> [UInt8] { try FileSystem.readFile(path) }

    public static func list(_ path: String) throws(StoreError) -> [String] { try FileSystem.list(path) }

    public static func remove(_ path: String) throws(StoreError) { try FileSystem.remove(path) }
}
