/// Nanoseconds since the Unix epoch, UTC. The one time unit of the service.
public typealias Nanos = Int64

/// Time constants and conversions. Pure arithmetic: no clock is read here.
public enum Time {
    public static let nanosPerMilli: Int64 = 1_000_000
    public static let nanosPerSecond: Int64 = 1_000_000_000
    public static let nanosPerDay: Int64 = 86_400 * nanosPerSecond

    /// The instants accepted from outside (messages, recordings, requests): 2000-01-01 (inclusive)
    /// to 2100-01-01 (exclusive) UTC. Within it every difference and sum of two instants, and an
    /// instant plus a few years, fits in Int64 nanoseconds, so nothing downstream can overflow.
    public static let acceptedRange: Range<Nanos> = 946_684_800_000_000_000..<4_102_444_800_000_000_000
    /// The same bounds in milliseconds since the epoch (exchange times).
    public static let acceptedMillis: Range<Int64> = 946_684_800_000..<4_102_444_800_000
    /// How a value outside ``acceptedRange`` is explained to the sender.
    public static let acceptedRangeText = "within 2000-01-01 and 2100-01-01 UTC"

    /// Whether an instant (ns) lies in ``acceptedRange``.
    @inlinable public static func isAccepted(_ nanos: Nanos) -> Bool { acceptedRange.contains(nanos) }

    /// An instant given by a person (query parameters, command-line options): ISO 8601 or ns
    /// since the epoch, within ``acceptedRange``; nil otherwise.
    public static func parseInstant(_ text: String) -> Nanos? {
        guard let value = Int64(text) ?? parseISO8601(text), isAccepted(value) else { return nil }
        return value
    }

    /// Parses an ISO-8601 timestamp such as `2026-11-24T10:15:03.124511`,
    /// `2026-11-24T10:15:03Z` or `2026-11-24T12:15:03.5+02:00` to nanoseconds (UTC).
    /// A timestamp without an offset is UTC. Up to nine fraction digits are kept exactly.
    public static func parseISO8601(_ text: String) -> Nanos? {
        var text = text
        return text.withUTF8 { parseISO8601(utf8: $0) }
    }

    /// ``parseISO8601(_:)`` on UTF-8 bytes (no `String` needed: the envelope decoder reads its
    /// timestamps straight from a message's bytes).
    public static func parseISO8601(utf8: UnsafeBufferPointer<UInt8>) -> Nanos? {
        if utf8.count < 19 { return nil }
        func digits(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= utf8.count else { return nil }
            var value: Int64 = 0
            for i in from..<(from + count) {
                let c = utf8[i]
                guard c >= 0x30, c <= 0x39 else { return nil }
                value = value * 10 + Int64(c - 0x30)
            }
            return value
        }
        guard let year = digits(0, 4), utf8[4] == UInt8(ascii: "-"),
            let month = digits(5, 2), utf8[7] == UInt8(ascii: "-"),
            let day = digits(8, 2), utf8[10] == UInt8(ascii: "T") || utf8[10] == UInt8(ascii: " "),
            let hour = digits(11, 2), utf8[13] == UInt8(ascii: ":"),
            let minute = digits(14, 2), utf8[16] == UInt8(ascii: ":"),
            let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var fraction: Int64 = 0
        if index < utf8.count, utf8[index] == UInt8(ascii: ".") {
            index += 1
            var count = 0
            while index < utf8.count, utf8[index] >= 0x30, utf8[index] <= 0x39 {
                if count < 9 { fraction = fraction * 10 + Int64(utf8[index] - 0x30) }
                count += 1
                index += 1
            }
            guard count > 0 else { return nil }
            for _ in min(count, 9)..<9 { fraction *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if index < utf8.count {
            let c = utf8[index]
            if c == UInt8(ascii: "Z") || c == UInt8(ascii: "z") {
                index += 1
            } else if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                let sign: Int64 = c == UInt8(ascii: "+") ? 1 : -1
                // Accept +HH:MM, +HHMM and +HH.
                guard let hh = digits(index + 1, 2) else { return nil }
                var mm: Int64 = 0
                if utf8.count >= index + 6, utf8[index + 3] == UInt8(ascii: ":") {
                    guard let parsed = digits(index + 4, 2) else { return nil }
                    mm = parsed
                    index += 6
                } else if let parsed = digits(index + 3, 2) {
                    mm = parsed
                    index += 5
                } else {
                    index += 3
                }
                offsetSeconds = sign * (hh * 3600 + mm * 60)
            } else {
                return nil
            }
        }
        guard index == utf8.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        let (product, overflow) = seconds.multipliedReportingOverflow(by: nanosPerSecond)
        guard !overflow else { return nil }
        return product + fraction
    }

    /// Formats nanoseconds as ISO-8601 UTC with nine fraction digits and a `Z`.
    public static func formatISO8601(_ nanos: Nanos) -> String {
        let seconds = floorDiv(nanos, nanosPerSecond)
        let fraction = nanos - seconds * nanosPerSecond
        let days = floorDiv(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilFromDays(days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        let time = "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(time).\(pad(fraction, 9))Z"
    }

    /// The UTC calendar date (`YYYY-MM-DD`) of an instant.
    public static func formatDate(_ nanos: Nanos) -> String {
        String(formatISO8601(nanos).prefix(10))
    }

    /// Floor division (rounds toward negative infinity).
    @inlinable public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01.
    public static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (month <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, month, day)
    }

    /// Parses a duration such as `500ms`, `3s`, `1m`, `1h` or `1d` to nanoseconds.
    /// Returns nil for anything else, including zero and negative values.
    public static func parseDuration(_ text: String) -> Nanos? {
        let units: [(String, Int64)] = [
            ("ms", nanosPerMilli), ("s", nanosPerSecond), ("m", 60 * nanosPerSecond),
            ("h", 3600 * nanosPerSecond), ("d", nanosPerDay),
        ]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(number), value > 0 else {
                return nil
            }
            let (product, overflow) = value.multipliedReportingOverflow(by: scale)
            return overflow ? nil : product
        }
        return nil
    }

    /// Formats nanoseconds as the shortest duration text `parseDuration` accepts.
    public static func formatDuration(_ nanos: Nanos) -> String {
        if nanos == 0 { return "0s" }
        let units: [(String, Int64)] = [
            ("d", nanosPerDay), ("h", 3600 * nanosPerSecond), ("m", 60 * nanosPerSecond),
            ("s", nanosPerSecond), ("ms", nanosPerMilli),
        ]
        for (suffix, scale) in units where nanos % scale == 0 { return "\(nanos / scale)\(suffix)" }
        return "\(nanos)ns"
    }
}
