import FeatureEngine
import Foundation
import Testing

@Suite struct RegistryTests {
    @Test func theBundledDefaultHasEveryRequiredFeature() {
        let registry = FeatureRegistry.bundledDefault
        let required = [
            "mid_price", "spread_abs", "spread_rel", "microprice", "return_1s", "return_3s", "return_1m",
            "vwap_3s", "vwap_15s", "vwap_1m", "volume_3s", "volume_15s", "volume_1m", "volatility_1m", "volatility_5m",
            "signed_volume_3s", "signed_volume_15s", "signed_volume_1m", "buy_sell_ratio_3s", "trade_count_3s",
            "net_aggressor_pressure_3s", "depth_bid_top5", "depth_bid_top10", "depth_ask_top5", "depth_ask_top10",
            "depth_imbalance_top5", "ofi_3s", "book_churn_3s", "zscore_1m", "funding_rate", "time_to_funding", "basis",
            "open_interest", "time_of_day_sin", "time_of_day_cos", "position_size", "entry_price", "unrealized_pnl", "exposure",
        ]
        #expect(Set(required).isSubset(of: Set(registry.names)))
        let churn = registry.features.first { $0.name == "book_churn_3s" }
        #expect(churn?.levels == 10)
        #expect(churn?.window == 3_000_000_000)
        #expect(registry.contentHash.count == 64)
    }

    @Test func theShippedFileIsTheEmbeddedDefault() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../config/feature-registry.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(try FeatureRegistry.parse(text) == FeatureRegistry.bundledDefault)
    }

    @Test func jsonIsAcceptedAndTheHashIgnoresFormatting() throws {
        let yaml = try FeatureRegistry.parse(
            """
            version: "2"
            features:
              - name: v
                kind: vwap
                window: 3s
            """)
        let json = try FeatureRegistry.parse(#"{"version": "2", "features": [{"kind": "vwap", "window": "3s", "name": "v"}]}"#)
        #expect(yaml.contentHash == json.contentHash)
        let other = try FeatureRegistry.parse(#"{"version": "2", "features": [{"kind": "vwap", "window": "4s", "name": "v"}]}"#)
        #expect(other.contentHash != yaml.contentHash)
    }

    /// FIPS 180-2 known answers (one block, empty, two blocks), in the lower-case hex form stored.
    @Test func sha256HexGivesTheKnownDigests() {
        #expect(sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(sha256Hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            sha256Hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func aBadRegistryIsRejectedWithEveryProblemListed() {
        let text = """
            version: "3"
            features:
              - {name: a, kind: vwap, window: 3s}
              - {name: a, kind: vwap, window: 4s}
              - {name: b, kind: telepathy}
              - {name: c, kind: volume}
              - {name: d, kind: volume, window: 3 seconds}
              - {name: e, kind: volume, window: 3s, lookahead_forbidden: false}
              - {name: f, kind: volume, window: 2d, max_lookback_days: 1}
              - {name: g, kind: volume, window: 3s, sources: [orderbook]}
              - {name: h, kind: depth_bid}
              - {name: i, kind: depth_bid, levels: 0}
              - {name: j, kind: mid_price, window: 3s}
              - {name: k, kind: mid_price, colour: blue}
              - {name: Bad-Name, kind: mid_price}
            """
        let problems = FeatureRegistry.validate(text)
        let rendered = problems.map(\.description)
        func has(_ fragment: String) -> Bool { rendered.contains { $0.contains(fragment) } }
        #expect(has("duplicate name 'a'"))
        #expect(has("unknown kind 'telepathy'"))
        #expect(has("(c).window: missing"))
        #expect(has("(d).window: malformed"))
        #expect(has("(e).lookahead_forbidden: must be true"))
        #expect(has("(f).window: 2d is longer than max_lookback_days"))
        #expect(has("(g).sources: kind 'volume' cannot read 'orderbook'"))
        #expect(has("(h).levels: missing"))
        #expect(has("(i).levels: must be between 1 and 1000"))
        #expect(has("(j).window: kind 'mid_price' takes no window"))
        #expect(has("(k).colour: unknown field"))
        #expect(has("(Bad-Name).name: must match"))
        #expect(problems.count == 12)
    }

    @Test func structuralProblems() {
        #expect(FeatureRegistry.validate("features: []").map(\.path).contains("version"))
        #expect(FeatureRegistry.validate("version: 1").map(\.path) == ["features"])
        #expect(!FeatureRegistry.validate("version: 1\nfeatures: {a: 1}").isEmpty)
        #expect(!FeatureRegistry.validate("[unclosed").isEmpty)
        #expect(!FeatureRegistry.validate("version: 1\nfeatures:\n  - just a string").isEmpty)
    }
}

/// A registry document costs what its size says: alias bombs and deep nesting are refused
/// lexically before any YAML work, and the problem list is bounded.
@Suite struct RegistryBoundsTests {
    @Test func aliasBombsAndDeepNestingAreRefusedCheaply() {
        var bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for index in 1...200 { bomb += "a\(index): &a\(index) [*a\(index - 1), *a\(index - 1), *a\(index - 1)]\n" }
        let problems = FeatureRegistry.validate(bomb + "version: \"1\"\nfeatures: []\n")
        #expect(problems.count == 1)
        #expect(problems.first?.message.contains("aliases") == true)
        for nested in [
            String(repeating: "[", count: 100_000), String(repeating: "- ", count: 10_000) + "x", String(repeating: "{a: ", count: 5_000),
        ] {
            #expect(FeatureRegistry.validate(nested).first?.message.contains("nesting") == true)
        }
        // A few aliases are fine (and `a*b` in text is not one).
        let fine = "version: \"1\"\ndescription: \"a*b\"\nfeatures:\n  - &m {name: mid, kind: mid_price}\n"
        #expect(FeatureRegistry.validate(fine).isEmpty)
    }

    @Test func theProblemListIsBounded() {
        let entries = (0..<500).map { "  - {name: f\($0), kind: no_such_kind}" }.joined(separator: "\n")
        let problems = FeatureRegistry.validate("version: \"1\"\nfeatures:\n" + entries)
        #expect(problems.count == FeatureRegistry.maxProblems + 1)
        #expect(problems.last?.message.contains("more problem") == true)
    }
}
