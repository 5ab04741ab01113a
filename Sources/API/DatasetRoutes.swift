import Datasets
import Foundation
import HTTPTypes
import Hummingbird

/// `/dataset/...` routes over ``DatasetJobs``.
enum DatasetRoutes {
    static func add(to router: Router<ServiceRequestContext>, jobs: DatasetJobs?) {
        @Sendable func require() throws -> DatasetJobs {
            guard let jobs else { throw APIError(.serviceUnavailable, code: "unavailable", "dataset builds need the raw store") }
            return jobs
        }
        router.post("/dataset/build") { request, _ in
            let jobs = try require()
            let body = try await request.body.collect(upTo: 1 << 20)
            guard body.readableBytes > 0 else { throw APIError.badRequest("a JSON body with the dataset configuration is required") }
            do {
                let job = try await jobs.submit(configJSON: String(buffer: body))
                return try JSONResponse.encoded(DatasetJobAnswer(job), status: .accepted)
            } catch let error as DatasetConfigError {
                throw APIError.invalid(
                    code: "invalid_dataset", "the dataset request has \(error.problems.count) problem(s)",
                    problems: error.problems.map(problem))
            } catch let error as DatasetBuildError {
                switch error {
                case .noData: throw APIError(.unprocessableContent, code: "no_data", error.description)
                case .registryMismatch: throw APIError(.conflict, code: "registry_mismatch", error.description)
                default: throw APIError(.unprocessableContent, code: "invalid_dataset", error.description)
                }
            }
        }
        router.get("/dataset/list") { request, _ in
            let jobs = try require()
            var status: DatasetJobs.Status?
            if let text = request.uri.queryParameters["status"].map(String.init) {
                guard let parsed = DatasetJobs.Status(rawValue: text) else {
                    throw APIError.badRequest("status must be one of queued, running, ready, failed, cancelled")
                }
                status = parsed
            }
            let symbol = request.uri.queryParameters["symbol"].map(String.init)
            let list = await jobs.list(status: status, symbol: symbol)
            return try JSONResponse.encoded(DatasetListAnswer(datasets: list.map(DatasetJobAnswer.init)))
        }
        router.get("/dataset/:id") { _, context in
            let jobs = try require()
            let id = try context.parameters.require("id")
            guard let job = await jobs.job(id) else { throw APIError.notFound("no dataset '\(id)'") }
            return try JSONResponse.encoded(DatasetJobAnswer(job))
        }
        router.post("/dataset/:id/cancel") { _, context in
            let jobs = try require()
            let id = try context.parameters.require("id")
            guard let job = await jobs.job(id) else { throw APIError.notFound("no dataset '\(id)'") }
            guard await jobs.cancel(id) else {
                throw APIError(.conflict, code: "not_running", "dataset '\(id)' is \(job.status.rawValue): nothing to cancel")
            }
            return try JSONResponse.encoded(DatasetCancelAnswer(datasetId: id))
        }
        router.get("/dataset/:id/download") { request, context in
            let jobs = try require()
            let id = try context.parameters.require("id")
            guard let job = await jobs.job(id) else { throw APIError.notFound("no dataset '\(id)'") }
            guard job.status == .ready else { throw APIError(.conflict, code: "not_ready", "dataset '\(id)' is \(job.status.rawValue)") }
            guard let split = request.uri.queryParameters["split"].map(String.init) else {
                throw APIError.badRequest("query parameter 'split' is required: \(job.splits.map(\.name).joined(separator: ", ")) or all")
            }
            let directory = await jobs.outputDirectory(id)
            if split == "all" {
                let files = job.splits.map(\.file) + ["manifest.json"]
                let archive = try Tar.archive(files.map { ($0, "\(directory)/\($0)") })
                return Response(
                    status: .ok,
                    headers: [
                        .contentType: "application/x-tar",
                        .contentDisposition: "attachment; filename=\"\(id).tar\"",
                    ],
                    body: .init(byteBuffer: ByteBuffer(bytes: archive)))
            }
            guard let entry = job.splits.first(where: { $0.name == split }) else {
                throw APIError.notFound(
                    "dataset '\(id)' has no split '\(split)'; splits: \(job.splits.map(\.name).joined(separator: ", "))")
            }
            let path = "\(directory)/\(entry.file)"
            guard FileManager.default.fileExists(atPath: path) else {
                throw APIError(.gone, code: "gone", "the file of split '\(split)' is missing")
            }
            // Streamed from disk in chunks on NIO's file I/O, not read into memory: splits can be large.
            let body = try await FileIO().loadFile(path: path, context: context)
            return Response(
                status: .ok,
                headers: [
                    .contentType: "application/vnd.apache.parquet",
                    .contentDisposition: "attachment; filename=\"\(id)-\(entry.file)\"",
                ],
                body: body)
        }
    }
}

/// A dataset problem (`splits.periods.train[0]: missing timestamp`) split into where it is and
/// what it is, so that a client can show it next to the field; one without a path keeps it empty.
func problem(_ text: String) -> (path: String, message: String) {
    guard let colon = text.range(of: ": ") else { return ("", text) }
    let path = text[..<colon.lowerBound]
    let isPath =
        !path.isEmpty && path.first!.isLetter
        && path.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.[]".contains($0)) }
    return isPath ? (String(path), String(text[colon.upperBound...])) : ("", text)
}

/// A minimal ustar writer for `download?split=all`.
enum Tar {
    static func archive(_ files: [(name: String, path: String)]) throws -> [UInt8] {
        var out: [UInt8] = []
        for (name, path) in files {
            guard let data = FileManager.default.contents(atPath: path) else { throw APIError(.gone, code: "gone", "missing file \(name)") }
            var header = [UInt8](repeating: 0, count: 512)
            func put(_ text: String, at offset: Int, width: Int) {
                for (i, byte) in text.utf8.prefix(width).enumerated() { header[offset + i] = byte }
            }
            func octal(_ value: Int, at offset: Int, width: Int) {
                let digits = String(value, radix: 8)
                put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
            }
            put(name, at: 0, width: 100)
            octal(0o644, at: 100, width: 8)
            octal(0, at: 108, width: 8)
            octal(0, at: 116, width: 8)
            octal(data.count, at: 124, width: 12)
            // The file's own modification time, as tar does (not the time of the download).
            let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? nil
            octal(Int(modified?.timeIntervalSince1970 ?? 0), at: 136, width: 12)
            put("        ", at: 148, width: 8)
            header[156] = UInt8(ascii: "0")
            put("ustar", at: 257, width: 6)
            put("00", at: 263, width: 2)
            let checksum = header.reduce(0) { $0 + Int($1) }
            octal(checksum, at: 148, width: 7)
            header[155] = 0x20
            out += header
            out += data
            out += [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
        }
        out += [UInt8](repeating: 0, count: 1024)
        return out
    }
}
