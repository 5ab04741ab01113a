import Foundation
import Parquet
import TestSupport
import Testing

/// Reads everything a reader offers; any failure must be a thrown error.
func readFully(_ bytes: [UInt8]) throws {
    let reader = try ParquetReader(bytes: bytes)
    for index in reader.rowGroups.indices { _ = try reader.readRowGroup(index) }
}

@Suite struct RobustnessTests {
    func validFile() throws -> [UInt8] {
        let (schema, columns) = sampleTable(rows: 300)
        var options = ParquetWriterOptions()
        options.rowGroupRows = 100
        options.pageRows = 50
        options.compression = .snappy
        let (path, _) = try roundTrip(schema, columns, options: options)
        return try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test func truncatedFilesAreErrorsAtEveryCutPoint() throws {
        let bytes = try validFile()
        var errors = 0
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 400)) {
            do { try readFully(Array(bytes[0..<cut])) } catch is ParquetError { errors += 1 }
        }
        #expect(errors > 0)
        // Every cut must be an error (a cut file has no valid footer at its end).
        #expect(errors == Array(stride(from: 0, to: bytes.count, by: max(1, bytes.count / 400))).count)
    }

    @Test func flippedBytesNeverCrash() throws {
        let bytes = try validFile()
        var state: UInt64 = 42
        var outcomes = (errors: 0, readable: 0)
        for _ in 0..<600 {
            var copy = bytes
            for _ in 0..<3 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let position = Int(state >> 33) % copy.count
                copy[position] ^= UInt8(truncatingIfNeeded: state >> 17) | 1
            }
            do { try readFully(copy); outcomes.readable += 1 } catch is ParquetError { outcomes.errors += 1 }
        }
        #expect(outcomes.errors + outcomes.readable == 600)
        #expect(outcomes.errors > 0)
    }

    @Test func lyingLengthsAreRejected() throws {
        var bytes = try validFile()
        let n = bytes.count
        // Footer length larger than the file.
        var lying = bytes
        lying[n - 8] = 0xFF; lying[n - 7] = 0xFF; lying[n - 6] = 0xFF; lying[n - 5] = 0x7F
        #expect(throws: ParquetError.self) { try readFully(lying) }
        // Bad magic.
        bytes[0] = UInt8(ascii: "X")
        #expect(throws: ParquetError.self) { try readFully(bytes) }
        #expect(throws: ParquetError.self) { try readFully(Array("PAR1PAR1".utf8)) }
        #expect(throws: ParquetError.self) { try readFully([]) }
    }

    @Test func aPageHeaderClaimingHugeSizesIsAnErrorNotAnAllocation() throws {
        let bytes = try validFile()
        // The first page header follows the magic: corrupt its uncompressed size varint to ~2^31.
        var copy = bytes
        // Field 2 (uncompressed size) header byte is 0x15 after field 1 (0x15 = delta 1, type i32).
        if let index = copy[4..<40].firstIndex(of: 0x15).map({ $0 + 1 }) ?? nil, index + 4 < copy.count {
            copy.replaceSubrange(index..<(index + 1), with: [0xFE, 0xFF, 0xFF, 0xFF, 0x0F])
            #expect(throws: ParquetError.self) { try readFully(copy) }
        }
    }
}
