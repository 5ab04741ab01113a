public import FeatureEngine
import Foundation
public import MarketData
import Parquet
public import RawStore

/// One independent piece of a build: the rows of one symbol whose times lie in
/// `[rowStart, rowEnd)`. Its rows depend only on stored events (a chunk starts from an engine
/// checkpoint, features.md §6), so tasks run anywhere, in any order, any number of times.
public struct DatasetTask: Codable, Sendable, Equatable {
    /// Position in the merge order: symbols as listed, then time.
    public var index: Int
    public var symbol: String
    public var rowStart: Nanos
    public var rowEnd: Nanos
    /// The symbol's first chunk: it also counts the events read before its range.
    public var first: Bool
    /// The symbol's last chunk: it also counts the events after its range and the rows dropped
    /// past the last stored event.
    public var last: Bool

    public init(index: Int, symbol: String, rowStart: Nanos, rowEnd: Nanos, first: Bool, last: Bool) {
        self.index = index
        self.symbol = symbol
        self.rowStart = rowStart
        self.rowEnd = rowEnd
        self.first = first
        self.last = last
    }

    enum CodingKeys: String, CodingKey {
        case index, symbol, first, last
        case rowStart = "row_start"
        case rowEnd = "row_end"
    }
}

/// Cuts a build into tasks: for each symbol (in the order listed), the rows' range in chunks of
/// `chunk`, rounded up to a whole number of `sample_every` so that each sampled row belongs to
/// exactly one chunk.
public enum DatasetPlan {
    /// The chunk length when none is configured: long enough that the warm-up of each chunk
    /// (at most the lookback plus one checkpoint interval) stays a few percent of its cost.
    public static let defaultChunk: Nanos = 6 * 3_600 * Time.nanosPerSecond

    public static func tasks(for config: DatasetConfig, chunk: Nanos = defaultChunk) -> [DatasetTask] {
        let (start, end) = config.rowRange
        let step = max(config.sampleEvery, 1)
        let length = max(step, (max(chunk, 1) + step - 1) / step * step)
        var tasks: [DatasetTask] = []
        for symbol in config.symbols {
            var a = start
            repeat {
                let b = end - a > length ? a + length : end
                tasks.append(DatasetTask(index: tasks.count, symbol: symbol, rowStart: a, rowEnd: b, first: a == start, last: b == end))
                a = b
            } while a < end
        }
        return tasks
    }

    /// Where task `index` of a dataset writes its part, inside the dataset's directory.
    public static func partPath(directory: String, index: Int) -> String {
        "\(directory)/parts/part-\(String(format: "%05d", index)).parquet"
    }
}

/// Runs one task and writes its rows and stats as one part file: Parquet with the dataset's
/// columns, the stats in the footer. The file appears whole or not at all (temporary name,
/// fsync, rename), and the same task always writes the same bytes: running a task twice
/// duplicates nothing.
public struct DatasetTaskRunner: Sendable {
    public let producer: DatasetRowProducer
    public let directory: String

    /// - Parameter directory: the dataset's directory (parts go to its `parts/`).
    public init(config: DatasetConfig, registry: FeatureRegistry, store: RawStore, directory: String) throws {
        producer = try DatasetRowProducer(config: config, registry: registry, store: store)
        self.directory = directory
    }

    static let statsKey = "feature_service.dataset_part"

    /// Computes the task's rows and writes its part; returns the part's stats.
    @discardableResult
    public func run(_ task: DatasetTask, isCancelled: () -> Bool = { false }) throws -> DatasetPartStats {
        let path = DatasetPlan.partPath(directory: directory, index: task.index)
        try FileManager.default.createDirectory(atPath: "\(directory)/parts", withIntermediateDirectories: true)
        var rows: [DatasetRow] = []
        let stats = try producer.run(task, isCancelled: isCancelled) { rows.append($0) }
        let layout = SplitSink.Layout(config: producer.config, registry: producer.registry)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let statsText = String(decoding: try encoder.encode(stats), as: UTF8.self)
        var options = ParquetWriterOptions()
        options.compression = .zstd
        let writer = try ParquetWriter(path: path, schema: layout.schema, options: options, keyValueMetadata: [Self.statsKey: statsText])
        var position = 0
        var nulls = Array(repeating: 0, count: layout.schema.columns.count)
        while position < rows.count {
            let batch = Array(rows[position..<min(rows.count, position + 8192)])
            try writer.write(layout.columns(batch, nullCounts: &nulls))
            position += batch.count
        }
        try writer.close()
        return stats
    }

    /// Reads a part back: its rows in order and its stats.
    public static func read(
        path: String, config: DatasetConfig, registry: FeatureRegistry
    ) throws -> (
        rows: [DatasetRow], stats: DatasetPartStats
    ) {
        let reader = try ParquetReader(path: path)
        guard let text = reader.keyValueMetadata[statsKey] else { throw DatasetPartError("\(path) is not a dataset part") }
        let stats = try JSONDecoder().decode(DatasetPartStats.self, from: Data(text.utf8))
        let layout = SplitSink.Layout(config: config, registry: registry)
        guard reader.schema.columns.map(\.name) == layout.schema.columns.map(\.name) else {
            throw DatasetPartError("\(path) has other columns than this build")
        }
        return (try layout.rows(reader.readAll()), stats)
    }
}

/// A part file that cannot be merged.
public struct DatasetPartError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
