/// The bundled default registry. Kept identical to `config/feature-registry.yaml` (a test
/// checks it), embedded so that the engine needs no file access to start.
enum DefaultRegistry {
    static let yaml = #"""
        # The default feature registry (interfaces.md §4). The service embeds this same text
        # (FeatureEngine/Registry/DefaultRegistry.swift; a test keeps the two identical).
        # A new feature is a new entry here: pick a kind from features.md §3 and its parameters.
        version: "1.0.0"
        # A symbol silent for longer than this has no grid vectors until its next event (features.md §1).
        quiet_limit: 1h
        features:
          # Book, as of T
          - {name: mid_price, kind: mid_price, sources: [orderbook]}
          - {name: spread_abs, kind: spread_abs, sources: [orderbook]}
          - {name: spread_rel, kind: spread_rel, sources: [orderbook]}
          - {name: microprice, kind: microprice, sources: [orderbook]}
          - {name: depth_bid_top5, kind: depth_bid, levels: 5, sources: [orderbook]}
          - {name: depth_bid_top10, kind: depth_bid, levels: 10, sources: [orderbook]}
          - {name: depth_ask_top5, kind: depth_ask, levels: 5, sources: [orderbook]}
          - {name: depth_ask_top10, kind: depth_ask, levels: 10, sources: [orderbook]}
          - {name: depth_imbalance_top5, kind: depth_imbalance, levels: 5, sources: [orderbook]}
          # Book flow
          - {name: ofi_3s, kind: ofi, window: 3s, lookahead_forbidden: true, sources: [orderbook]}
          - {name: book_churn_3s, kind: book_churn, window: 3s, levels: 10, lookahead_forbidden: true, sources: [orderbook]}
          # Price dynamics
          - {name: return_1s, kind: return, window: 1s, lookahead_forbidden: true, sources: [orderbook]}
          - {name: return_3s, kind: return, window: 3s, lookahead_forbidden: true, sources: [orderbook]}
          - {name: return_1m, kind: return, window: 1m, lookahead_forbidden: true, sources: [orderbook]}
          - {name: volatility_1m, kind: volatility, window: 1m, lookahead_forbidden: true, sources: [orderbook]}
          - {name: volatility_5m, kind: volatility, window: 5m, lookahead_forbidden: true, sources: [orderbook]}
          - {name: zscore_1m, kind: zscore, window: 1m, lookahead_forbidden: true, sources: [orderbook]}
          # Trades
          - {name: vwap_3s, kind: vwap, window: 3s, lookahead_forbidden: true, max_lookback_days: 1, sources: [trade]}
          - {name: vwap_15s, kind: vwap, window: 15s, lookahead_forbidden: true, max_lookback_days: 1, sources: [trade]}
          - {name: vwap_1m, kind: vwap, window: 1m, lookahead_forbidden: true, max_lookback_days: 1, sources: [trade]}
          - {name: volume_3s, kind: volume, window: 3s, lookahead_forbidden: true, sources: [trade]}
          - {name: volume_15s, kind: volume, window: 15s, lookahead_forbidden: true, sources: [trade]}
          - {name: volume_1m, kind: volume, window: 1m, lookahead_forbidden: true, sources: [trade]}
          - {name: signed_volume_3s, kind: signed_volume, window: 3s, lookahead_forbidden: true, sources: [trade]}
          - {name: signed_volume_15s, kind: signed_volume, window: 15s, lookahead_forbidden: true, sources: [trade]}
          - {name: signed_volume_1m, kind: signed_volume, window: 1m, lookahead_forbidden: true, sources: [trade]}
          - {name: buy_sell_ratio_3s, kind: buy_sell_ratio, window: 3s, lookahead_forbidden: true, sources: [trade]}
          - {name: trade_count_3s, kind: trade_count, window: 3s, lookahead_forbidden: true, sources: [trade]}
          - {name: net_aggressor_pressure_3s, kind: net_aggressor_pressure, window: 3s, lookahead_forbidden: true, sources: [trade]}
          # Perpetual
          - {name: funding_rate, kind: funding_rate, sources: [ticker, funding]}
          - {name: time_to_funding, kind: time_to_funding, sources: [ticker, funding]}
          - {name: basis, kind: basis, sources: [ticker]}
          - {name: open_interest, kind: open_interest, sources: [ticker]}
          # Time
          - {name: time_of_day_sin, kind: time_of_day_sin}
          - {name: time_of_day_cos, kind: time_of_day_cos}
          # Position
          - {name: position_size, kind: position_size, sources: [position]}
          - {name: entry_price, kind: entry_price, sources: [position]}
          - {name: unrealized_pnl, kind: unrealized_pnl, sources: [position, orderbook]}
          - {name: exposure, kind: exposure, sources: [position, orderbook]}
        """#
}
