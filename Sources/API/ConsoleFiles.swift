public import Foundation
import HTTPTypes
import Hummingbird

/// The web console's static files (`Console/` in the repository: HTML, ES modules, CSS; no
/// build step), served at `/` (index.html) and `/console/{file}` on the console port beside the
/// API routes, so the page calls the API with relative URLs and the same key.
///
/// Only a plain file name directly in the folder is served: one path segment of letters,
/// digits, `.`, `_` and `-`, not starting with a dot, with a known extension, so no request
/// can name a path outside the folder (`..`, `/`, `%2F` and hidden files are refused with 404).
public struct ConsoleFiles: Sendable {
    /// The folder with `index.html`.
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// Content types by file extension; a file with another extension is not served.
    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
        "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon", "json": "application/json; charset=utf-8",
        "txt": "text/plain; charset=utf-8", "md": "text/markdown; charset=utf-8",
    ]

    /// The page may load and call only its own origin (no CDN, no external URL), and no other site may frame it.
    static let securityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    /// The content type of `name` when it is a file name the console serves, nil otherwise.
    static func contentType(of name: String) -> String? {
        guard (1...100).contains(name.utf8.count), name.first != ".",
            name.utf8.allSatisfy({ byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }),
            let dot = name.lastIndex(of: ".")
        else { return nil }
        return contentTypes[String(name[name.index(after: dot)...]).lowercased()]
    }

    /// Whether `path` is one of the console's own (public) paths.
    static func isConsolePath(_ path: String) -> Bool { path == "/" || path == "/index.html" || path.hasPrefix("/console/") }

    func add(to router: Router<ServiceRequestContext>) {
        router.get("/") { _, context in try await serve("index.html", context: context) }
        router.get("/index.html") { _, context in try await serve("index.html", context: context) }
        router.get("/console/:file") { _, context in try await serve(try context.parameters.require("file"), context: context) }
    }

    func serve(_ name: String, context: ServiceRequestContext) async throws -> Response {
        guard let type = Self.contentType(of: name) else { throw APIError.notFound("no console file '\(Echo.prefix(name, 40))'") }
        let path = "\(directory)/\(name)"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw APIError.notFound("no console file '\(Echo.prefix(name, 40))'")
        }
        // Read on NIO's file I/O, not on the event loop or a cooperative thread.
        let body = try await FileIO().loadFile(path: path, context: context)
        return Response(
            status: .ok,
            headers: [
                .contentType: type, .cacheControl: "no-cache", HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                .contentSecurityPolicy: Self.securityPolicy,
            ],
            body: body)
    }

    /// The console folder: `FEATURE_SERVICE_CONSOLE_DIR` when set, else the first `Console`
    /// folder holding `index.html` found beside the executable or above it (the repository of a
    /// `.build/<config>/feature-service`), in the working directory, or in the source tree this
    /// binary was built from. Nil when there is none.
    public static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment, executable: String? = CommandLine.arguments.first,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) -> String? {
        if let configured = environment["FEATURE_SERVICE_CONSOLE_DIR"], !configured.isEmpty { return configured }
        var candidates: [URL] = []
        if let executable {
            var directory = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<5 {
                candidates.append(directory.appendingPathComponent("Console"))
                candidates.append(directory.appendingPathComponent("share/feature-service/console"))
                directory = directory.deletingLastPathComponent()
            }
        }
        candidates.append(URL(fileURLWithPath: workingDirectory).appendingPathComponent("Console"))
        // Sources/API/ConsoleFiles.swift → the repository's Console/.
        candidates.append(
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Console"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("index.html").path) }?.standardized
            .path
    }
}
