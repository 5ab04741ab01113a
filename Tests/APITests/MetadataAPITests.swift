import API
import FeatureEngine
import FeatureServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Live
import Logging
import MarketData
import Metadata
import Offline
import ServiceRuntime
import ServiceTestSupport
import TestSupport
import Testing

/// The HTTP face of the metadata store: registry versions recorded on reload, health.
@Suite struct MetadataAPITests {
    func sqliteStore() async throws -> MetadataStore {
        try await MetadataStore.open(url: nil, dataDirectory: scratchDirectory(), logger: Logger(label: "test"), now: 0)
    }

    @Test func reloadsAreRecordedAndListedWithTheOneInForce() async throws {
        let metadata = try await sqliteStore()
        let (app, _) = try await makeAPI(metadata: metadata)
        let registry = "version: \"2.0\"\nfeatures:\n  - {name: mid, kind: mid_price}\n"
        try await app.test(.router) { client in
            try await client.execute(uri: "/feature-registry/reload", method: .post, headers: key, body: ByteBuffer(string: registry)) {
                response in
                #expect(response.status == .ok)
                let body = try json(response)
                #expect(body["recorded"] == .bool(true))
            }
            // A rejected registry is not recorded.
            try await client.execute(uri: "/feature-registry/reload", method: .post, headers: key, body: ByteBuffer(string: "version: 3\n"))
            { response in
                #expect(response.status == .unprocessableContent)
            }
            // Back to the bundled default (empty body, no registry file configured).
            try await client.execute(uri: "/feature-registry/reload", method: .post, headers: key) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/feature-registry/versions", method: .get, headers: key) { response in
                #expect(response.status == .ok)
                let body = try json(response)
                guard case .array(let versions)? = body["versions"] else { Issue.record("no versions"); return }
                #expect(versions.count == 2)
                #expect(versions.first?["content_hash"] == .string(FeatureRegistry.bundledDefault.contentHash))
                #expect(versions.first?["in_force"] == .bool(true))
                #expect(versions.last?["version"] == .string("2.0"))
                #expect(versions.last?["in_force"] == .bool(false))
            }
        }
        let activations = try await metadata.registryActivations()
        #expect(activations.map(\.reason) == [.reload, .reload])
        #expect(activations.map(\.instance) == ["test-node", "test-node"])
        #expect(activations.last?.source == "request body")
        // The recorded document is the text as given: it rebuilds the same registry.
        let document = try #require(try await metadata.registryDocument(contentHash: activations.last!.contentHash))
        #expect(try FeatureRegistry.parse(document).contentHash == activations.last!.contentHash)
    }

    @Test func healthReportsTheMetadataDatabaseAndItsOutage() async throws {
        let metadata = try await sqliteStore()
        let (app, _) = try await makeAPI(metadata: metadata)
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get, headers: key) { response in
                #expect(response.status == .ok)
                let body = try json(response)
                #expect(body["checks"]?["metadata"]?["status"] == .string("up"))
            }
            await metadata.close()
            try await client.execute(uri: "/health", method: .get, headers: key) { response in
                #expect(response.status == .serviceUnavailable)
                let body = try json(response)
                #expect(body["checks"]?["metadata"]?["status"] == .string("down"))
            }
            // Routes that need it answer 503 with the reason, never 500.
            try await client.execute(uri: "/feature-registry/versions", method: .get, headers: key) { response in
                #expect(response.status == .serviceUnavailable)
                let body = try json(response)
                #expect(body["error"]?["code"] == .string("metadata_unavailable"))
            }
            // A reload still happens; it reports that it could not be recorded.
            try await client.execute(uri: "/feature-registry/reload", method: .post, headers: key) { response in
                #expect(response.status == .ok)
                let body = try json(response)
                #expect(body["recorded"] == .bool(false))
            }
        }
    }

    @Test func withoutAMetadataStoreVersionsAnswer503() async throws {
        let (app, _) = try await makeAPI()
        try await app.test(.router) { client in
            try await client.execute(uri: "/feature-registry/versions", method: .get, headers: key) { response in
                #expect(response.status == .serviceUnavailable)
            }
        }
    }
}
