public import FeatureEngine
public import Logging
public import MarketData

/// Registry versions in the metadata store: every content the service runs with, and when
/// each instance started with or reloaded to it.
public enum RegistryHistory {
    /// Records `registry` (whose source text is `text`) as in force on `instance`. Never throws:
    /// a metadata outage must not block a start or a reload; it is logged and reported as false.
    @discardableResult
    public static func record(
        _ registry: FeatureRegistry, text: String, in metadata: MetadataStore, instance: String,
        reason: RegistryActivation.Reason, source: String, at now: Nanos, logger: Logger
    ) async -> Bool {
        do {
            try await metadata.recordRegistry(
                version: registry.version, contentHash: registry.contentHash, featureCount: registry.features.count,
                document: text,
                activation: RegistryActivation(
                    instance: instance, contentHash: registry.contentHash,
                    activatedAt: now, reason: reason, source: source))
            let hashes = try await metadata.registryHashes(version: registry.version)
            if hashes.count > 1 {
                // Datasets name a registry by version: two contents under one name make that ambiguous.
                logger.warning(
                    "registry version reused with different content: bump `version` when features change",
                    metadata: ["version": .string(registry.version), "contents": .stringConvertible(hashes.count)])
            }
            return true
        } catch {
            logger.error(
                "cannot record the registry version in the metadata store",
                metadata: ["version": .string(registry.version), "error": .string("\(error)")])
            return false
        }
    }
}
