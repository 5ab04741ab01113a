public import FeatureEngine
public import Logging
public import MarketData
public import Metadata

/// Registry versions in the metadata store: every content the service runs with, and when
/// each instance started with or reloaded to it.
public enum RegistryHistory {
    /// Records `registry` (whose source text is `text`) as in force on `instance`. Never throws:
    /// a metadata outage must not block a start or a reload; it is logged and reported as false.
    @discardableResult
    public static func record(_ registry: FeatureRegistry, text: String, in metadata: MetadataStore, instance: String,
                              reason: RegistryActivation.Reason, source: String, at now: Nanos, logger: Logger?) async -> Bool {
        let log = logger ?? Logger(label: "feature-service.registry")
        do {
            try await metadata.recordRegistry(version: registry.version, contentHash: registry.contentHash, featureCount: registry.features.count,
                                               document: text,
                                               activation: RegistryActivation(instance: instance, contentHash: registry.contentHash,
                                                                              activatedAt: now, reason: reason, source: source))
            let hashes = try await metadata.registryHashes(version: registry.version)
            if hashes.count > 1 {
                // Datasets name a registry by version: two contents under one name make that ambiguous.
                log.warning("registry version reused with different content: bump `version` when features change",
                            metadata: ["version": .string(registry.version), "contents": .stringConvertible(hashes.count)])
            }
            return true
        } catch {
            log.error("cannot record the registry version in the metadata store",
                      metadata: ["version": .string(registry.version), "error": .string("\(error)")])
            return false
        }
    }
}

/// Runs `body`, failing with `TimeoutError` if it takes longer than `limit`.
func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimeoutError(limit: limit)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// An operation did not finish in time.
struct TimeoutError: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "no answer within \(limit)" }
}
