import Crypto

/// The SHA-256 digest of `bytes` (swift-crypto) as 64 lower-case hex digits: the form of
/// registry content hashes and checkpoint checksums, so stored values stay comparable.
public func sha256Hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(2 * SHA256.byteCount)
    for byte in SHA256.hash(data: bytes) {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: text, as: UTF8.self)
}
