public import MarketData
internal import Yams

/// One registry entry: a named feature of some kind with its parameters.
public struct FeatureDefinition: Sendable, Equatable {
    public var name: String
    public var kind: FeatureKind
    /// Lookback in ns, for windowed kinds.
    public var window: Nanos?
    /// Number of book levels, for kinds that read several.
    public var levels: Int?
    /// Always true in a valid registry: features read only the past.
    public var lookaheadForbidden: Bool
    /// Upper bound on the window, in days.
    public var maxLookbackDays: Double?
    /// Raw event types the feature reads (defaults to everything the kind can read).
    public var sources: [String]
    public var description: String?

    public init(
        name: String, kind: FeatureKind, window: Nanos? = nil, levels: Int? = nil, lookaheadForbidden: Bool = true,
        maxLookbackDays: Double? = nil, sources: [String]? = nil, description: String? = nil
    ) {
        self.name = name
        self.kind = kind
        self.window = window
        self.levels = levels
        self.lookaheadForbidden = lookaheadForbidden
        self.maxLookbackDays = maxLookbackDays
        self.sources = sources ?? kind.readableSources.sorted()
        self.description = description
    }
}

/// One problem found while validating a registry.
public struct RegistryProblem: Sendable, Equatable, CustomStringConvertible {
    /// Where: e.g. `features[3] (vwap_3s).window`.
    public var path: String
    public var message: String
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// A rejected registry, with every problem found.
public struct RegistryValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [RegistryProblem]
    public var description: String {
        "invalid feature registry (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
            + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// A validated, versioned feature registry: the one definition of what the engine computes,
/// online and offline alike.
public struct FeatureRegistry: Sendable, Equatable {
    /// The registry's own version string (`version:`).
    public var version: String
    /// Features in registry order: the order of vector values and dataset columns.
    public var features: [FeatureDefinition]
    /// SHA-256 of the canonical form (formatting and key order do not change it).
    public var contentHash: String
    /// A symbol silent for longer than this has no grid vectors until its next event
    /// (features.md §1, "Quiet symbols"); `quiet_limit`, default 1 h.
    public var quietLimit: Nanos

    /// The default `quiet_limit`, and the bounds a registry may set.
    public static let defaultQuietLimit: Nanos = 3_600 * Time.nanosPerSecond
    public static let quietLimitRange: ClosedRange<Nanos> = Time.nanosPerSecond...(7 * Time.nanosPerDay)

    /// Feature names in registry order.
    public var names: [String] { features.map(\.name) }

    /// W of features.md §6: the longest window plus 1 s (volatility returns and `return` read one
    /// grid step or one window further back). A vector at T depends on the events in (T - W, T]
    /// and the state they start from.
    public var lookback: Nanos { (features.compactMap(\.window).max() ?? 0) + Time.nanosPerSecond }

    /// Builds a registry from definitions, validating them.
    public init(version: String, features: [FeatureDefinition], quietLimit: Nanos = defaultQuietLimit) throws(RegistryValidationError) {
        var problems: [RegistryProblem] = []
        if version.isEmpty { problems.append(RegistryProblem(path: "version", message: "must not be empty")) }
        if !Self.quietLimitRange.contains(quietLimit) { problems.append(Self.quietLimitProblem) }
        var seen: Set<String> = []
        for (index, feature) in features.enumerated() {
            Self.check(feature, path: "features[\(index)] (\(feature.name))", seen: &seen, globalMaxDays: nil, into: &problems)
        }
        if features.isEmpty { problems.append(RegistryProblem(path: "features", message: "must list at least one feature")) }
        guard problems.isEmpty else { throw RegistryValidationError(problems: problems) }
        self.version = version
        self.features = features
        self.quietLimit = quietLimit
        self.contentHash = Self.hash(version: version, features: features, quietLimit: quietLimit)
    }

    static let quietLimitProblem = RegistryProblem(
        path: "quiet_limit", message: "must be a duration from 1s to 7d (forms: 30s, 10m, 1h, 1d)")

    /// The registry bundled with the service: every feature interfaces.md §4 requires.
    public static var bundledDefault: FeatureRegistry {
        // The bundled text is tested to be valid; failing here is a build defect.
        do { return try parse(DefaultRegistry.yaml) } catch { preconditionFailure("bundled registry is invalid: \(error)") }
    }

    /// The text of the bundled registry (`config/feature-registry.yaml`).
    public static var bundledDefaultText: String { DefaultRegistry.yaml }

    /// Parses and validates a registry given as YAML or JSON text; every problem is reported.
    public static func parse(_ text: String) throws(RegistryValidationError) -> FeatureRegistry {
        // Bounded cost before any YAML work: a registry is small, and aliases (which a composer
        // expands) have no use in one beyond a few.
        if let problem = boundsProblem(text) { throw RegistryValidationError(problems: [RegistryProblem(path: "", message: problem)]) }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw RegistryValidationError(problems: [RegistryProblem(path: "", message: "not valid YAML or JSON: \(error)")])
        }
        guard let node, case .mapping(let root) = node else {
            throw RegistryValidationError(problems: [RegistryProblem(path: "", message: "expected a mapping with 'version' and 'features'")]
            )
        }
        var problems: [RegistryProblem] = []
        var version = ""
        var globalMaxDays: Double?
        var quietLimit = defaultQuietLimit
        var featureNodes: [Node] = []
        var sawFeatures = false
        for (keyNode, value) in root {
            let key = keyNode.string ?? ""
            switch key {
            case "version":
                if let text = scalarText(value), !text.isEmpty {
                    version = text
                } else {
                    problems.append(RegistryProblem(path: "version", message: "must be a non-empty string"))
                }
            case "max_lookback_days":
                if let days = positiveNumber(value) {
                    globalMaxDays = days
                } else {
                    problems.append(RegistryProblem(path: "max_lookback_days", message: "must be a positive number"))
                }
            case "quiet_limit":
                if let text = scalarText(value), let limit = Time.parseDuration(text), quietLimitRange.contains(limit) {
                    quietLimit = limit
                } else {
                    problems.append(quietLimitProblem)
                }
            case "features":
                sawFeatures = true
                if case .sequence(let list) = value {
                    featureNodes = Array(list)
                } else {
                    problems.append(RegistryProblem(path: "features", message: "must be a list"))
                }
            case "description", "name": break
            default:
                problems.append(RegistryProblem(path: key, message: "unknown field"))
            }
        }
        if version.isEmpty && !problems.contains(where: { $0.path == "version" }) {
            problems.append(RegistryProblem(path: "version", message: "missing"))
        }
        if !sawFeatures {
            problems.append(RegistryProblem(path: "features", message: "missing"))
        } else if featureNodes.isEmpty && !problems.contains(where: { $0.path == "features" }) {
            problems.append(RegistryProblem(path: "features", message: "must list at least one feature"))
        }
        var features: [FeatureDefinition] = []
        var seen: Set<String> = []
        for (index, featureNode) in featureNodes.enumerated() {
            if let feature = parseFeature(featureNode, index: index, into: &problems) {
                check(feature, path: "features[\(index)] (\(feature.name))", seen: &seen, globalMaxDays: globalMaxDays, into: &problems)
                features.append(feature)
            } else if case .mapping(let map) = featureNode,
                let name = map.first(where: { $0.key.string == "name" }).flatMap({ scalarText($0.value) }), !name.isEmpty,
                !seen.insert(name).inserted
            {
                // An entry with other problems still takes part in the duplicate check.
                problems.append(RegistryProblem(path: "features[\(index)] (\(name)).name", message: "duplicate name '\(name)'"))
            }
        }
        if featureNodes.count > maxFeatures {
            let message = "lists \(featureNodes.count) features; at most \(maxFeatures) are accepted"
            problems.append(RegistryProblem(path: "features", message: message))
        }
        guard problems.isEmpty else {
            // Every problem is listed, up to a bound that keeps the answer small.
            guard problems.count > maxProblems else { throw RegistryValidationError(problems: problems) }
            let more = RegistryProblem(path: "", message: "\(problems.count - maxProblems) more problem(s) not listed")
            throw RegistryValidationError(problems: Array(problems.prefix(maxProblems)) + [more])
        }
        return FeatureRegistry(validated: version, features: features, quietLimit: quietLimit)
    }

    /// Bounds on a registry document.
    public static let maxAliases = 100
    public static let maxFeatures = 2_000
    public static let maxProblems = 200

    public static let maxNesting = 64

    /// What makes a text too costly to compose, found lexically in one pass: more than
    /// ``maxAliases`` alias uses (`*name` after a blank, a line start, `[`, `{`, `,` or `:`), or
    /// nesting (flow brackets, or `- ` entries opening on one line, or indentation) deeper
    /// than ``maxNesting``, which a recursive composer would pay for in stack.
    static func boundsProblem(_ text: String) -> String? {
        var aliases = 0
        var flowDepth = 0
        var lineStart = true
        var indent = 0
        var dashes = 0
        var previous: UInt8 = 0x0A
        for c in text.utf8 {
            if previous == UInt8(ascii: "*"), c != 0x20, c != 0x0A, c != 0x0D, c != 0x09 { aliases += 1 }
            switch c {
            case 0x0A: lineStart = true; indent = 0; dashes = 0
            case 0x20 where lineStart: indent += 1
            case UInt8(ascii: "-") where lineStart: dashes += 1
            case UInt8(ascii: "["), UInt8(ascii: "{"): flowDepth += 1; lineStart = false
            case UInt8(ascii: "]"), UInt8(ascii: "}"): flowDepth -= 1; lineStart = false
            default: lineStart = false
            }
            if c == UInt8(ascii: "*") {
                switch previous {
                case 0x20, 0x0A, 0x09, UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","), UInt8(ascii: ":"): break
                default: previous = 0; continue  // not an alias: `a*b`
                }
            }
            if flowDepth > maxNesting || dashes > maxNesting || indent > 4 * maxNesting {
                return "nesting deeper than \(maxNesting) levels (or indentation past \(4 * maxNesting) columns) is not accepted"
            }
            previous = c
        }
        return aliases > maxAliases ? "uses \(aliases) YAML aliases; at most \(maxAliases) are accepted" : nil
    }

    /// Validates without building: the list of problems (empty when valid).
    public static func validate(_ text: String) -> [RegistryProblem] {
        do { _ = try parse(text); return [] } catch { return error.problems }
    }

    private init(validated version: String, features: [FeatureDefinition], quietLimit: Nanos) {
        self.version = version
        self.features = features
        self.quietLimit = quietLimit
        self.contentHash = Self.hash(version: version, features: features, quietLimit: quietLimit)
    }

    private static let allowedKeys: Set<String> = [
        "name", "kind", "window", "levels", "lookahead_forbidden", "max_lookback_days",
        "sources", "description",
    ]

    private static func parseFeature(_ node: Node, index: Int, into problems: inout [RegistryProblem]) -> FeatureDefinition? {
        guard case .mapping(let map) = node else {
            problems.append(RegistryProblem(path: "features[\(index)]", message: "must be a mapping"))
            return nil
        }
        var values: [String: Node] = [:]
        for (keyNode, value) in map { values[keyNode.string ?? ""] = value }
        let name = values["name"].flatMap(scalarText) ?? ""
        let path = "features[\(index)]" + (name.isEmpty ? "" : " (\(name))")
        var ok = true
        func problem(_ field: String, _ message: String) {
            problems.append(RegistryProblem(path: field.isEmpty ? path : "\(path).\(field)", message: message))
            ok = false
        }
        for key in values.keys.sorted() where !allowedKeys.contains(key) { problem(key, "unknown field") }
        if name.isEmpty { problem("name", "missing") }
        var kind: FeatureKind?
        if let kindText = values["kind"].flatMap(scalarText) {
            kind = FeatureKind(rawValue: kindText)
            if kind == nil { problem("kind", "unknown kind '\(kindText)'") }
        } else {
            problem("kind", "missing")
        }
        var window: Nanos?
        if let node = values["window"] {
            if let text = scalarText(node), let parsed = Time.parseDuration(text) {
                window = parsed
            } else {
                problem("window", "malformed '\(scalarText(node) ?? "?")' (forms: 500ms, 3s, 1m, 1h, 1d)")
            }
        }
        var levels: Int?
        if let node = values["levels"] {
            if let text = scalarText(node), let parsed = Int(text) { levels = parsed } else { problem("levels", "must be an integer") }
        }
        var lookahead = true
        if let node = values["lookahead_forbidden"] {
            if case .scalar(let scalar) = node, let flag = Bool.construct(from: scalar), node.tag == Tag(.bool) {
                lookahead = flag
            } else {
                problem("lookahead_forbidden", "must be the boolean true")
            }
        }
        var maxDays: Double?
        if let node = values["max_lookback_days"] {
            if let days = positiveNumber(node) { maxDays = days } else { problem("max_lookback_days", "must be a positive number") }
        }
        var sources: [String]?
        if let node = values["sources"] {
            if case .sequence(let list) = node {
                sources = list.map { scalarText($0) ?? "" }
            } else {
                problem("sources", "must be a list of event types")
            }
        }
        let description = values["description"].flatMap(scalarText)
        guard ok, let kind else { return nil }
        return FeatureDefinition(
            name: name, kind: kind, window: window, levels: levels, lookaheadForbidden: lookahead,
            maxLookbackDays: maxDays, sources: sources, description: description)
    }

    /// Semantic checks shared by parsed and programmatic registries.
    private static func check(
        _ feature: FeatureDefinition, path: String, seen: inout Set<String>, globalMaxDays: Double?,
        into problems: inout [RegistryProblem]
    ) {
        func problem(_ field: String, _ message: String) { problems.append(RegistryProblem(path: "\(path).\(field)", message: message)) }
        if !isValidName(feature.name) { problem("name", "must match [a-z][a-z0-9_]* (it becomes a column name)") }
        if !seen.insert(feature.name).inserted { problem("name", "duplicate name '\(feature.name)'") }
        let kind = feature.kind
        if kind.takesWindow {
            if feature.window == nil { problem("window", "missing (kind '\(kind.rawValue)' needs a window)") }
        } else if feature.window != nil {
            problem("window", "kind '\(kind.rawValue)' takes no window")
        }
        if kind.takesLevels {
            if let levels = feature.levels {
                if !(1...1000).contains(levels) { problem("levels", "must be between 1 and 1000, got \(levels)") }
            } else {
                problem("levels", "missing (kind '\(kind.rawValue)' needs levels)")
            }
        } else if feature.levels != nil {
            problem("levels", "kind '\(kind.rawValue)' takes no levels")
        }
        if !feature.lookaheadForbidden { problem("lookahead_forbidden", "must be true: features may read only the past") }
        let maxDays = feature.maxLookbackDays ?? globalMaxDays ?? defaultMaxLookbackDays
        if let window = feature.window, Double(window) > maxDays * Double(Time.nanosPerDay) {
            problem("window", "\(Time.formatDuration(window)) is longer than max_lookback_days (\(maxDays))")
        }
        let readable = kind.readableSources
        for source in feature.sources where !readable.contains(source) {
            let allowed = readable.isEmpty ? "none" : readable.sorted().joined(separator: ", ")
            problem("sources", "kind '\(kind.rawValue)' cannot read '\(source)' (readable: \(allowed))")
        }
    }

    /// Longest lookback when neither the entry nor the registry sets `max_lookback_days`.
    public static let defaultMaxLookbackDays = 7.0

    private static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first >= 0x61, first <= 0x7A, name.utf8.count <= 128 else { return false }
        return name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "_") }
    }

    private static func scalarText(_ node: Node) -> String? {
        if case .scalar(let scalar) = node { return scalar.string }
        return nil
    }

    private static func positiveNumber(_ node: Node) -> Double? {
        guard let text = scalarText(node), let value = Double(text), value > 0, value.isFinite else { return nil }
        return value
    }

    /// The canonical JSON form the content hash is computed over. Hand-written on purpose: its
    /// bytes are the hash input, recorded in metadata and manifests, and must not move with an
    /// encoder's escaping or number format.
    public var canonicalJSON: String { Self.canonical(version: version, features: features, quietLimit: quietLimit) }

    private static func canonical(version: String, features: [FeatureDefinition], quietLimit: Nanos) -> String {
        var out = "{\"features\":["
        for (index, feature) in features.enumerated() {
            if index > 0 { out += "," }
            out += "{\"kind\":"
            JSONText.appendString(feature.kind.rawValue, to: &out)
            if let levels = feature.levels { out += ",\"levels\":\(levels)" }
            out += ",\"lookahead_forbidden\":\(feature.lookaheadForbidden)"
            if let days = feature.maxLookbackDays { out += ",\"max_lookback_days\":\(days)" }
            out += ",\"name\":"
            JSONText.appendString(feature.name, to: &out)
            out += ",\"sources\":[" + feature.sources.sorted().map { "\"\($0)\"" }.joined(separator: ",") + "]"
            if let window = feature.window { out += ",\"window_ns\":\(window)" }
            out += "}"
        }
        out += "],\"quiet_limit_ns\":\(quietLimit),\"version\":"
        JSONText.appendString(version, to: &out)
        return out + "}"
    }

    private static func hash(version: String, features: [FeatureDefinition], quietLimit: Nanos) -> String {
        sha256Hex(Array(canonical(version: version, features: features, quietLimit: quietLimit).utf8))
    }
}
