import API
import FeatureServer
import Foundation
import Live
import MarketData
import Offline
import ServiceRuntime
import ServiceTestSupport
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `GET /health` on loopback: the status code and body.
func getHealth(port: Int) async throws -> (status: Int, body: String) {
    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/health")!)
    request.timeoutInterval = 10
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? -1, String(decoding: data, as: UTF8.self))
}

@Suite(.serialized) struct ServeReplayTests {
    static let environment = ["FEATURE_SERVICE_API_KEYS": "replay-key", "LOG_LEVEL": "notice"]

    /// A finished replay is not a failed service: the API keeps answering, and SIGTERM still
    /// stops it cleanly.
    @Test func aFinishedReplayLeavesTheAPIServing() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the executable first (scripts/test.sh does)")
        let (recording, _) = try writeRecording(events: 2_000, seed: 17)
        let data = scratchDirectory()
        let service = try ServiceProcess(
            [
                "serve", "--replay", recording, "--speed", "0", "--host", "127.0.0.1", "--port", "0",
                "--console-port", "0", "--data-dir", data,
            ], environment: Self.environment, scratch: data)
        let listening = try await service.waitForLog("HTTP API listening")
        let port = try #require(
            listening?["port"].flatMap { value -> Int? in
                if case .string(let text) = value { return Int(text) } else { return nil }
            }, "\(service.standardError)")
        let finished = try await service.waitForLog("replay finished")
        #expect(finished?["lines"] == .string("2000"), "\(service.standardError)")
        // Long enough for a service that stops after its feed to have gone.
        try await Task.sleep(for: .seconds(1))
        #expect(service.process.isRunning, "\(service.standardError)")
        let health = try await getHealth(port: port)
        #expect(health.status == 200, "\(health.body)")
        #expect(!service.standardError.contains("ServiceGroupError"), "\(service.standardError)")
        kill(service.process.processIdentifier, SIGTERM)
        #expect(try await service.waitForExit() == 0, "\(service.standardError)")
        #expect(try await service.waitForLog("feature-service stopped; raw store flushed") != nil)
    }

    /// `--exit-after-replay`: the service stops by itself once the recording is played, as on
    /// SIGTERM (store flushed), with exit status 0.
    @Test func exitAfterReplayStopsGracefullyWithStatusZero() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the executable first (scripts/test.sh does)")
        let (recording, events) = try writeRecording(events: 2_000, seed: 18)
        let data = scratchDirectory()
        let service = try ServiceProcess(
            [
                "serve", "--replay", recording, "--speed", "0", "--exit-after-replay", "--host", "127.0.0.1",
                "--port", "0", "--no-console", "--data-dir", data,
            ], environment: Self.environment, scratch: data)
        #expect(try await service.waitForExit() == 0, "\(service.standardError)")
        #expect(try await service.waitForLog("replay finished") != nil, "\(service.standardError)")
        #expect(try await service.waitForLog("feature-service stopped; raw store flushed") != nil, "\(service.standardError)")
        // Flushed: everything played is in Parquet, the log holds nothing unconverted.
        #expect(try storedEvents(data).count == events.count)
    }

    @Test func exitAfterReplayWithoutReplayIsAUsageError() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build the executable first (scripts/test.sh does)")
        let service = try ServiceProcess(["serve", "--exit-after-replay"], environment: Self.environment)
        let status = try await service.waitForExit()
        #expect(status != 0 && status != nil)
        #expect(service.standardError.contains("--exit-after-replay needs --replay FILE"), "\(service.standardError)")
    }
}
