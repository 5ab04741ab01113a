import ArgumentParser
import FeatureServer
import Foundation
import Logging
import MarketData
import ServiceRuntime

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Take dataset build tasks from the broker (several machines share the work).",
        discussion: """
            A serve instance started with FEATURE_SERVICE_DATASET_WORKERS=broker cuts each dataset \
            build into tasks (symbol x time chunk of FEATURE_SERVICE_DATASET_CHUNK, default 6h), \
            records them in the metadata database and puts one message per task on the durable \
            queue feature-service.dataset.tasks. Each worker takes one task at a time, holds a \
            lease on it in the metadata database while it runs, writes the task's part under the \
            dataset's directory, marks it done, then acks the message. A worker killed mid-task \
            leaves its message unacked (the broker hands it to another worker) and its lease \
            expiring (the other worker takes the task over); a task that failed --max-attempts \
            times fails its dataset. SIGTERM gives the current task back and stops.
            Every worker must see the same data directory as serve (a shared filesystem) and the \
            same metadata database (PostgreSQL across machines).
            Environment: AMQP_URL, DATABASE_URL, FEATURE_SERVICE_DATA_DIR, FEATURE_SERVICE_INSTANCE, \
            LOG_LEVEL (flags override them).
            """)

    @Option(name: .long, help: "Broker: amqp://user:pass@host:5672/vhost (env AMQP_URL; required).")
    var amqpURL: String?

    @Option(
        name: .long,
        help:
            "Metadata database: postgres://user:pass@host:5432/db or sqlite:PATH (env DATABASE_URL, default: SQLite in the data directory)."
    )
    var databaseURL: String?

    @Option(name: .long, help: "The shared data directory (env FEATURE_SERVICE_DATA_DIR, default ./data).")
    var dataDir: String?

    @Option(name: .long, help: "This worker's name in the task table (env FEATURE_SERVICE_INSTANCE, default host-pid).")
    var instance: String?

    @Option(name: .long, help: "How long a task's claim holds without renewal; renewed every third of it.")
    var lease: String = "30s"

    @Option(name: .long, help: "Executions of one task before it fails its dataset.")
    var maxAttempts: Int = 3

    func validate() throws {
        guard let lease = Time.parseDuration(lease), lease >= Time.nanosPerSecond else {
            throw ValidationError("--lease must be a duration of at least 1s (e.g. 30s)")
        }
        if maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let amqpURL = amqpURL ?? env["AMQP_URL"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw ValidationError("the work queue is on the broker: give --amqp-url or set AMQP_URL")
        }
        let level: Logger.Level
        if let text = env["LOG_LEVEL"] {
            guard let parsed = Logger.Level(rawValue: text.lowercased()) else {
                throw ValidationError("LOG_LEVEL: unknown level '\(text)'")
            }
            level = parsed
        } else {
            level = .info
        }
        var configuration = DatasetWorker.Configuration(
            amqpURL: amqpURL, databaseURL: databaseURL ?? env["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 },
            dataDirectory: dataDir ?? env["FEATURE_SERVICE_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "./data",
            instance: instance ?? env["FEATURE_SERVICE_INSTANCE"].flatMap { $0.isEmpty ? nil : $0 }
                ?? "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)")
        configuration.lease = Time.parseDuration(lease) ?? 30 * Time.nanosPerSecond
        configuration.maxAttempts = maxAttempts
        if let hold = env["FEATURE_SERVICE_TEST_TASK_HOLD_MS"].flatMap(Int.init), hold > 0 {
            configuration.holdAfterWrite = .milliseconds(hold)
        }
        configuration.logLevel = level
        LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level) }
        let logger = Logger(label: "feature-service.worker")
        do {
            try await DatasetWorker(configuration: configuration, logger: logger).run()
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("Error: \(error.description)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
    }
}
