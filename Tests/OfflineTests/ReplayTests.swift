import API
import FeatureEngine
import FeatureServer
import Foundation
import Live
import MarketData
import Offline
import ServiceRuntime
import ServiceTestSupport
import Testing

@Suite struct ReplayTests {
    // Skipped, not failed, in a clone without ../shared (third-party data, never copied here).
    @Test(
        .enabled(
            if: FileManager.default.fileExists(atPath: bybitEnvelopes),
            "missing \(bybitEnvelopes): real recordings live in ../shared/data beside the clone"))
    func realBybitRecordingReplaysWithBookInvariants() throws {
        let recording = try Recording.load(path: bybitEnvelopes)
        #expect(recording.lineCount == 50)
        #expect(recording.malformed.isEmpty)
        #expect(recording.events.count == 50)
        var state = SymbolFeatureState(plan: FeaturePlan(registry: .bundledDefault))
        var snapshots = 0
        for event in recording.events {
            let outcome = state.apply(event)
            if case .snapshot? = outcome { snapshots += 1 }
            guard case .desynced? = outcome else {
                #expect(state.book.isSynced, "continuous u: the book stays in sync")
                let bid = try #require(state.book.bids.bestPrice)
                let ask = try #require(state.book.asks.bestPrice)
                #expect(bid < ask, "never crossed while in sync")
                let mid = try #require(state.currentMid)
                #expect(bid < mid && mid < ask)
                // Book levels are strictly ordered and positive.
                let levels = state.book.bids.levelsBestFirst
                #expect(zip(levels, levels.dropFirst()).allSatisfy { $0.price > $1.price })
                #expect(levels.allSatisfy { $0.size > 0 })
                continue
            }
            Issue.record("unexpected desync at seq \(event.seq)")
        }
        #expect(snapshots == 1)
        #expect(state.book.bids.count > 100 && state.book.asks.count > 100)

        let output = try temporaryFile("out.csv")
        let summary = try ReplayRunner(options: .init(input: bybitEnvelopes, output: output, format: .csv, registry: .bundledDefault)).run()
        #expect(summary.eventsByType[.orderbook] == 50)
        #expect(summary.desyncs == 0)
        // Events span 00:00:00.693 to 00:00:05.4xx: grid points 1..5 s.
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1 + summary.vectorsWritten)
        #expect(summary.vectorsWritten == 5)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(header == ["ts_ns", "symbol"] + FeatureRegistry.bundledDefault.names)
        let first = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(first[0] == "1733011201000000000")
        let mid = try #require(Double(first[header.firstIndex(of: "mid_price")!]))
        let spread = try #require(Double(first[header.firstIndex(of: "spread_abs")!]))
        #expect(mid > 1.9 && mid < 2.0)
        #expect(spread > 0)
        #expect(first[header.firstIndex(of: "return_1s")!] == "")  // mid(0 s) unknown: null is an empty field
        #expect(first[header.firstIndex(of: "volume_3s")!] == "0.0")  // no trades in the book-only file
    }

    @Test func malformedLinesAreReportedWithLineNumbersAndSkipped() throws {
        let good =
            #"{"event_type":"trade","received_at":"2026-01-01T00:00:00.5","payload":{"s":"AAAUSDT","S":"Buy","v":"1","p":"10","i":"1"}}"#
        let late =
            #"{"event_type":"trade","received_at":"2026-01-01T00:00:02.5","payload":{"s":"AAAUSDT","S":"Sell","v":"2","p":"11","i":"2"}}"#
        let input = try temporaryFile(
            "in.jsonl",
            contents: [good, "{not json", #"{"event_type":"trade","payload":{"s":"AAAUSDT"}}"#, "", late].joined(separator: "\n"))
        let output = try temporaryFile("out.jsonl")
        var reports: [String] = []
        let summary = try ReplayRunner(options: .init(input: input, output: output, format: .jsonl, registry: .bundledDefault)).run {
            reports.append($0)
        }
        #expect(summary.malformed.map(\.line) == [2, 3])
        #expect(reports.count == 2)
        #expect(reports[0].hasPrefix("line 2: "))
        #expect(reports[1].contains("line 3: ") && reports[1].contains("payload.p"))
        #expect(summary.eventsByType[.trade] == 2)
        #expect(summary.vectorsWritten == 2)  // grid points 1 s and 2 s
        let rows = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map {
            try JSONParser.parse($0)
        }
        #expect(rows.count == 2)
        #expect(rows[0]["ts_ns"] == .number(String(Time.parseISO8601("2026-01-01T00:00:01")!)))
        #expect(rows[0]["symbol"] == .string("AAAUSDT"))
        #expect(rows[0]["vwap_3s"] == .number("10.0"))
        #expect(rows[0]["mid_price"] == .null)
        #expect(summary.description.contains("malformed lines: 2"))
    }

    @Test func explicitRecvTsWinsAndReceivedAtIsMadeNonDecreasing() throws {
        let lines = [
            #"{"event_type":"trade","received_at":"2026-01-01T00:00:03","payload":{"s":"AAAUSDT","S":"Buy","v":"1","p":"10","i":"1"}}"#,
            // received_at goes back: stamped at 3 s, not 1 s
            #"{"event_type":"trade","received_at":"2026-01-01T00:00:01","payload":{"s":"AAAUSDT","S":"Buy","v":"1","p":"10","i":"2"}}"#,
            #"{"recv_ts": 1767225605000000001, "#
                + #""event_type":"trade","received_at":"2026-01-01T00:00:00","payload":{"s":"AAAUSDT","#
                + #""S":"Buy","v":"1","p":"10","i":"3"}}"#,
        ]
        let input = try temporaryFile("in.jsonl", contents: lines.joined(separator: "\n") + "\n")
        let recording = try Recording.load(path: input)
        let t3 = Time.parseISO8601("2026-01-01T00:00:03")!
        #expect(recording.events.map(\.recvTs) == [t3, t3, 1767225605000000001])
        #expect(recording.events.map(\.seq) == [1, 2, 3])
    }

    @Test func symbolFilterKeepsOnlyTheNamedSymbols() throws {
        let lines = ["AAAUSDT", "BBBUSDT", "AAAUSDT"].enumerated().map { index, symbol in
            #"{"event_type":"trade","received_at":"2026-01-01T00:00:0\#(index)","#
                + #""payload":{"s":"\#(symbol)","S":"Buy","v":"1","p":"10","i":"\#(index)"}}"#
        }
        let input = try temporaryFile("in.jsonl", contents: lines.joined(separator: "\n"))
        let output = try temporaryFile("out.csv")
        let summary = try ReplayRunner(
            options: .init(
                input: input, output: output, format: .csv, registry: .bundledDefault,
                symbols: ["AAAUSDT"])
        ).run()
        #expect(summary.symbols == ["AAAUSDT"])
        #expect(summary.eventsByType[.trade] == 2)
    }
}
