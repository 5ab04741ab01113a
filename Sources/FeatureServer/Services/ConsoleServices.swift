import API
import Hummingbird
import ServiceLifecycle

/// The web console's HTTP server on its own port: the console's static files and the same API
/// routes (same keys), so that the page calls the API with relative URLs.
struct ConsoleServerService: Service, CustomStringConvertible {
    let application: Application<RouterResponder<ServiceRequestContext>>
    /// Where the console's files are read from.
    let directory: String
    var description: String { "console-http" }

    func run() async throws { try await application.run() }
}
