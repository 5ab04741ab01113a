// libFuzzer target: the dataset request parser (CLI file / POST /dataset/build body) and its checks.
import Datasets

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDataset(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    if let config = try? DatasetConfig.parse(json: text) {
        _ = config.validationProblems()
    }
    return 0
}
