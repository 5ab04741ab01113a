/// Prometheus text exposition helpers.
enum Prometheus {
    static func counter(_ name: String, _ help: String, _ samples: [(labels: String, value: Double)]) -> String {
        var out = "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
        for sample in samples { out += "\(name)\(sample.labels.isEmpty ? "" : "{\(sample.labels)}") \(format(sample.value))\n" }
        return out
    }

    static func gauge(_ name: String, _ help: String, _ samples: [(labels: String, value: Double)]) -> String {
        var out = "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
        for sample in samples { out += "\(name)\(sample.labels.isEmpty ? "" : "{\(sample.labels)}") \(format(sample.value))\n" }
        return out
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
