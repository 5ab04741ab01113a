/// The OpenAPI 3.0 description of the API, served at `/openapi.json`. Tests check that the
/// router and this document list the same routes, and that each response schema lists exactly
/// the keys its Codable answer type writes (and the required ones always).
public enum OpenAPIDocument {
    /// (method, path) of every documented operation.
    public static let operations: [(method: String, path: String)] = [
        ("get", "/health"), ("get", "/openapi.json"), ("get", "/features/latest"), ("get", "/features/symbols"), ("get", "/features/book"),
        ("get", "/features/stream"), ("get", "/feature-registry"), ("post", "/feature-registry/reload"),
        ("get", "/feature-registry/validate"), ("post", "/feature-registry/validate"),
        ("get", "/feature-registry/versions"), ("post", "/ingest"), ("get", "/metrics"),
        ("post", "/dataset/build"), ("get", "/dataset/list"), ("get", "/dataset/{id}"), ("get", "/dataset/{id}/download"),
        ("post", "/dataset/{id}/cancel"), ("get", "/data-quality/report"),
    ]

    public static let json: String = #"""
        {
          "openapi": "3.0.3",
          "info": {
            "title": "feature-service",
            "version": "0.1.0",
            "description": "Market data in, feature vectors out. Every route but /health and /openapi.json needs an API key \#
        (header X-API-Key or query api_key)."
          },
          "components": {
            "securitySchemes": {
              "header": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
              "query": {"type": "apiKey", "in": "query", "name": "api_key"}
            },
            "parameters": {
              "Symbol": {"name": "symbol", "in": "query", "required": true, "schema": {"$ref": "#/components/schemas/SymbolName"}},
              "BookLevels": {
                "name": "levels",
                "in": "query",
                "required": false,
                "schema": {"type": "integer", "minimum": 1, "maximum": 50}
              }
            },
            "schemas": {
              "SymbolName": {"type": "string", "minLength": 1, "maxLength": 40, "pattern": "^[A-Z0-9][A-Z0-9_-]{0,39}$"},
              "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                  "error": {
                    "type": "object",
                    "required": ["code", "message", "trace_id"],
                    "properties": {
                      "code": {"type": "string"},
                      "message": {"type": "string"},
                      "trace_id": {"type": "string"},
                      "problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}},
                      "owner": {"$ref": "#/components/schemas/ShardOwner"}
                    }
                  }
                }
              },
              "ShardOwner": {
                "type": "object",
                "required": ["shard"],
                "properties": {"shard": {"type": "string"}, "url": {"type": "string"}}
              },
              "Problem": {
                "type": "object",
                "required": ["path", "message"],
                "properties": {"path": {"type": "string"}, "message": {"type": "string"}}
              },
              "Vector": {
                "type": "object",
                "required": ["symbol", "timestamp", "ts_ns", "registry_version", "features"],
                "properties": {
                  "symbol": {"type": "string"},
                  "timestamp": {"type": "string"},
                  "ts_ns": {"type": "integer"},
                  "registry_version": {"type": "string"},
                  "features": {"type": "object", "additionalProperties": {"type": "number", "nullable": true}},
                  "trace_id": {"type": "string", "nullable": true},
                  "stale": {"type": "boolean"},
                  "last_event_ts_ns": {"type": "integer", "nullable": true}
                }
              },
              "Book": {
                "type": "object",
                "description": "best levels first; best_bid, best_ask, mid and spread are null while the book is out of sync",
                "required": [
                  "symbol",
                  "ts_ns",
                  "in_sync",
                  "state",
                  "last_update_id",
                  "bids",
                  "asks",
                  "best_bid",
                  "best_ask",
                  "mid",
                  "spread"
                ],
                "properties": {
                  "symbol": {"type": "string"},
                  "ts_ns": {"type": "integer"},
                  "in_sync": {"type": "boolean"},
                  "state": {
                    "type": "string",
                    "enum": ["synced", "awaiting_snapshot", "sequence_gap", "crossed_book", "delta_before_snapshot"]
                  },
                  "last_update_id": {"type": "integer", "nullable": true},
                  "bids": {"type": "array", "items": {"$ref": "#/components/schemas/Level"}},
                  "asks": {"type": "array", "items": {"$ref": "#/components/schemas/Level"}},
                  "best_bid": {"type": "number", "nullable": true},
                  "best_ask": {"type": "number", "nullable": true},
                  "mid": {"type": "number", "nullable": true},
                  "spread": {"type": "number", "nullable": true}
                }
              },
              "Symbols": {
                "type": "object",
                "required": ["symbols"],
                "properties": {"symbols": {"type": "array", "items": {"type": "string"}}}
              },
              "Level": {
                "type": "object",
                "required": ["price", "size"],
                "properties": {"price": {"type": "number"}, "size": {"type": "number"}}
              },
              "Health": {
                "type": "object",
                "required": ["status"],
                "description": "uptime_seconds and checks only for a caller with an API key",
                "properties": {
                  "status": {"type": "string", "enum": ["ok", "degraded"]},
                  "uptime_seconds": {"type": "number"},
                  "checks": {
                    "type": "object",
                    "description": "by dependency: broker, storage, metadata",
                    "additionalProperties": {
                      "type": "object",
                      "required": ["status", "detail"],
                      "properties": {
                        "status": {"type": "string", "enum": ["up", "down", "disabled"]},
                        "detail": {"type": "string"}
                      }
                    }
                  }
                }
              },
              "Registry": {
                "type": "object",
                "required": ["version", "content_hash", "quiet_limit", "features"],
                "properties": {
                  "version": {"type": "string"},
                  "content_hash": {"type": "string"},
                  "quiet_limit": {"type": "string"},
                  "features": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": ["name", "kind", "sources"],
                      "properties": {
                        "name": {"type": "string"},
                        "kind": {"type": "string"},
                        "window": {"type": "string"},
                        "levels": {"type": "integer"},
                        "sources": {"type": "array", "items": {"type": "string"}}
                      }
                    }
                  }
                }
              },
              "Reload": {
                "type": "object",
                "required": ["status", "recorded", "registry"],
                "properties": {
                  "status": {"type": "string", "enum": ["reloaded"]},
                  "recorded": {"type": "boolean"},
                  "registry": {"$ref": "#/components/schemas/Registry"}
                }
              },
              "Validation": {
                "type": "object",
                "required": ["valid", "source", "problems"],
                "properties": {
                  "valid": {"type": "boolean"},
                  "source": {"type": "string"},
                  "problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}}
                }
              },
              "Versions": {
                "type": "object",
                "required": ["versions"],
                "properties": {
                  "versions": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": [
                        "version",
                        "content_hash",
                        "feature_count",
                        "in_force",
                        "first_seen_at",
                        "last_activated_at",
                        "activations"
                      ],
                      "properties": {
                        "version": {"type": "string"},
                        "content_hash": {"type": "string"},
                        "feature_count": {"type": "integer"},
                        "in_force": {"type": "boolean"},
                        "first_seen_at": {"type": "string"},
                        "last_activated_at": {"type": "string"},
                        "activations": {"type": "integer"}
                      }
                    }
                  }
                }
              },
              "Ingest": {
                "type": "object",
                "required": [
                  "lines",
                  "accepted_events",
                  "malformed_lines",
                  "dead_lettered",
                  "malformed",
                  "malformed_not_listed"
                ],
                "properties": {
                  "lines": {"type": "integer"},
                  "accepted_events": {"type": "integer"},
                  "malformed_lines": {"type": "integer"},
                  "dead_lettered": {"type": "integer"},
                  "malformed_not_listed": {"type": "integer"},
                  "malformed": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": ["line", "error"],
                      "properties": {"line": {"type": "integer"}, "error": {"type": "string"}}
                    }
                  }
                }
              },
              "Split": {
                "type": "object",
                "required": ["rows", "start", "end"],
                "properties": {
                  "rows": {"type": "integer"},
                  "start": {"type": "string", "nullable": true},
                  "end": {"type": "string", "nullable": true}
                }
              },
              "Dataset": {
                "type": "object",
                "required": [
                  "dataset_id",
                  "symbol",
                  "status",
                  "created_at",
                  "started_at",
                  "finished_at",
                  "progress",
                  "registry_version",
                  "config",
                  "splits_info"
                ],
                "properties": {
                  "dataset_id": {"type": "string"},
                  "symbol": {"type": "string"},
                  "status": {"type": "string", "enum": ["queued", "running", "ready", "failed", "cancelled"]},
                  "created_at": {"type": "string"},
                  "started_at": {"type": "string", "nullable": true},
                  "finished_at": {"type": "string", "nullable": true},
                  "progress": {
                    "type": "object",
                    "required": ["percent", "rows", "eta_seconds"],
                    "properties": {
                      "percent": {"type": "number"},
                      "rows": {"type": "integer"},
                      "eta_seconds": {"type": "number", "nullable": true}
                    }
                  },
                  "registry_version": {"type": "string"},
                  "config": {"type": "object", "nullable": true},
                  "splits_info": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Split"}},
                  "error": {"type": "string"}
                }
              },
              "DatasetList": {
                "type": "object",
                "required": ["datasets"],
                "properties": {"datasets": {"type": "array", "items": {"$ref": "#/components/schemas/Dataset"}}}
              },
              "DatasetCancel": {
                "type": "object",
                "required": ["dataset_id", "status"],
                "properties": {"dataset_id": {"type": "string"}, "status": {"type": "string", "enum": ["cancelling"]}}
              },
              "Latency": {
                "type": "object",
                "required": ["count", "negative", "min", "p50", "p99", "max", "mean"],
                "properties": {
                  "count": {"type": "integer"},
                  "negative": {"type": "integer"},
                  "min": {"type": "number", "nullable": true},
                  "p50": {"type": "number", "nullable": true},
                  "p99": {"type": "number", "nullable": true},
                  "max": {"type": "number", "nullable": true},
                  "mean": {"type": "number", "nullable": true}
                }
              },
              "QualityMinute": {
                "type": "object",
                "required": ["start", "coverage", "orderbook", "events", "sequence_gaps", "desyncs", "resyncs", "anomalies"],
                "properties": {
                  "start": {"type": "string"},
                  "coverage": {"type": "number", "description": "fraction of the minute's seconds with any event"},
                  "orderbook": {"type": "number", "description": "fraction of the minute's seconds with an order-book message"},
                  "events": {"type": "integer"},
                  "sequence_gaps": {"type": "integer"},
                  "desyncs": {"type": "integer"},
                  "resyncs": {"type": "integer"},
                  "anomalies": {"type": "integer"}
                }
              },
              "QualityReport": {
                "type": "object",
                "required": [
                  "symbol",
                  "from",
                  "to",
                  "resolution",
                  "events",
                  "total_events",
                  "minutes_with_data",
                  "missing_rate",
                  "coverage",
                  "missing_periods",
                  "sequence_gaps",
                  "desync_events",
                  "resyncs",
                  "anomalies",
                  "latency_skew_ms"
                ],
                "properties": {
                  "symbol": {"type": "string"},
                  "from": {"type": "string"},
                  "to": {"type": "string"},
                  "resolution": {"type": "string"},
                  "events": {"type": "object", "additionalProperties": {"type": "integer"}},
                  "total_events": {"type": "integer"},
                  "minutes_with_data": {"type": "integer"},
                  "missing_rate": {"type": "number"},
                  "coverage": {
                    "type": "object",
                    "required": ["orderbook", "trade", "any"],
                    "properties": {"orderbook": {"type": "number"}, "trade": {"type": "number"}, "any": {"type": "number"}}
                  },
                  "missing_periods": {
                    "type": "object",
                    "required": ["count", "listed"],
                    "properties": {
                      "count": {"type": "integer"},
                      "listed": {
                        "type": "array",
                        "items": {
                          "type": "object",
                          "required": ["from", "to", "seconds"],
                          "properties": {"from": {"type": "string"}, "to": {"type": "string"}, "seconds": {"type": "integer"}}
                        }
                      }
                    }
                  },
                  "sequence_gaps": {"type": "integer"},
                  "desync_events": {
                    "type": "object",
                    "required": ["total", "by_reason"],
                    "properties": {
                      "total": {"type": "integer"},
                      "by_reason": {"type": "object", "additionalProperties": {"type": "integer"}}
                    }
                  },
                  "resyncs": {"type": "integer"},
                  "anomalies": {
                    "type": "object",
                    "required": ["total", "by_kind"],
                    "properties": {
                      "total": {"type": "integer"},
                      "by_kind": {"type": "object", "additionalProperties": {"type": "integer"}}
                    }
                  },
                  "latency_skew_ms": {
                    "type": "object",
                    "required": ["exchange_to_service", "gateway_to_service"],
                    "properties": {
                      "exchange_to_service": {"$ref": "#/components/schemas/Latency"},
                      "gateway_to_service": {"$ref": "#/components/schemas/Latency"}
                    }
                  },
                  "minutes": {
                    "type": "array",
                    "description": "only with minutes=true: each minute of the range that has data, oldest first",
                    "items": {"$ref": "#/components/schemas/QualityMinute"}
                  }
                }
              }
            },
            "responses": {
              "UnknownSymbol": {
                "description": "Unknown symbol",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
              },
              "Unauthorized": {
                "description": "Missing or invalid API key",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
              },
              "BadRequest": {
                "description": "Invalid request",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
              },
              "Invalid": {
                "description": "Invalid registry: every problem listed; the registry in force is unchanged",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
              },
              "TooLarge": {
                "description": "Request body over the route's limit (the limit is in the message)",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
              }
            }
          },
          "security": [{"header": []}, {"query": []}],
          "paths": {
            "/health": {
              "get": {
                "summary": "Liveness and readiness: status for anyone; with an API key also each check (broker, storage, \#
        metadata) with its detail",
                "security": [],
                "responses": {
                  "200": {
                    "description": "Healthy",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}
                  },
                  "503": {
                    "description": "A dependency is down",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}
                  }
                }
              }
            },
            "/openapi.json": {
              "get": {
                "summary": "This document",
                "security": [],
                "responses": {
                  "200": {"description": "OpenAPI document", "content": {"application/json": {"schema": {"type": "object"}}}}
                }
              }
            },
            "/features/latest": {
              "get": {
                "summary": "The latest feature vector of a symbol, computed from the live state at request time",
                "parameters": [
                  {"$ref": "#/components/parameters/Symbol"}
                ],
                "responses": {
                  "200": {
                    "description": "Vector",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Vector"}}}
                  },
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "404": {
                    "description": "Unknown symbol; on a shard, a symbol another shard owns (error.owner names it)",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  }
                }
              }
            },
            "/features/symbols": {
              "get": {
                "summary": "The symbols seen so far, sorted",
                "responses": {
                  "200": {
                    "description": "Symbols",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Symbols"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"}
                }
              }
            },
            "/features/book": {
              "get": {
                "summary": "The best levels of a symbol's book (at most 50 per side), its sync state, mid and spread",
                "parameters": [
                  {"$ref": "#/components/parameters/Symbol"},
                  {"$ref": "#/components/parameters/BookLevels"}
                ],
                "responses": {
                  "200": {"description": "Book", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Book"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "404": {"$ref": "#/components/responses/UnknownSymbol"}
                }
              }
            },
            "/features/stream": {
              "get": {
                "summary": "Server-Sent Events, every second: event 'vector' (a Vector, as /features/latest) then event 'book' \#
        (a Book, as /features/book), read at the same instant. The key may go in query api_key (EventSource sends no headers). \#
        A stream ends after an hour (EventSource reconnects); at most 32 are open at once.",
                "parameters": [
                  {"$ref": "#/components/parameters/Symbol"},
                  {"$ref": "#/components/parameters/BookLevels"}
                ],
                "responses": {
                  "200": {"description": "Event stream", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "404": {"$ref": "#/components/responses/UnknownSymbol"},
                  "503": {
                    "description": "Too many streams open",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  }
                }
              }
            },
            "/feature-registry": {
              "get": {
                "summary": "The registry in force",
                "responses": {
                  "200": {
                    "description": "Registry",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Registry"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"}
                }
              }
            },
            "/feature-registry/reload": {
              "post": {
                "summary": "Reload the registry from the request body (YAML or JSON) or, with an empty body, from the configured file",
                "requestBody": {
                  "required": false,
                  "content": {
                    "application/yaml": {"schema": {"type": "string"}},
                    "application/json": {"schema": {"type": "object"}}
                  }
                },
                "responses": {
                  "200": {
                    "description": "Reloaded",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Reload"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "409": {
                    "description": "Another reload is in progress",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "413": {"$ref": "#/components/responses/TooLarge"},
                  "422": {"$ref": "#/components/responses/Invalid"}
                }
              }
            },
            "/feature-registry/validate": {
              "get": {
                "summary": "Validate the configured registry file without applying it",
                "responses": {
                  "200": {
                    "description": "Valid",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Validation"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "422": {"$ref": "#/components/responses/Invalid"}
                }
              },
              "post": {
                "summary": "Validate the registry in the body (YAML or JSON, at most 1 MiB) without applying or recording it; \#
        a 422 lists every problem",
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/yaml": {"schema": {"type": "string"}},
                    "application/json": {"schema": {"type": "object"}}
                  }
                },
                "responses": {
                  "200": {
                    "description": "Valid",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Validation"}}}
                  },
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "413": {"$ref": "#/components/responses/TooLarge"},
                  "422": {"$ref": "#/components/responses/Invalid"}
                }
              }
            },
            "/feature-registry/versions": {
              "get": {
                "summary": "Every registry content this service (or any instance sharing its metadata database) has run with, \#
        most recently activated first",
                "responses": {
                  "200": {
                    "description": "Versions",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Versions"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "503": {
                    "description": "No metadata store, or it did not answer",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  }
                }
              }
            },
            "/ingest": {
              "post": {
                "summary": "Push gateway envelopes (JSON Lines, at most 64 MiB, lines at most 1 MiB); answered once they are \#
        durable; malformed lines counted, the first 10 listed",
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/x-ndjson": {"schema": {"type": "string"}},
                    "text/plain": {"schema": {"type": "string"}}
                  }
                },
                "responses": {
                  "200": {
                    "description": "Accepted (malformed lines listed)",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Ingest"}}}
                  },
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "413": {"$ref": "#/components/responses/TooLarge"},
                  "422": {
                    "description": "Every line malformed",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Ingest"}}}
                  }
                }
              }
            },
            "/dataset/build": {
              "post": {
                "summary": "Start a dataset build (answered at once with the job)",
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "type": "object",
                        "description": "symbol or symbols; with symbols, rows by symbol as listed, then time",
                        "properties": {
                          "symbol": {"$ref": "#/components/schemas/SymbolName"},
                          "symbols": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 100,
                            "uniqueItems": true,
                            "items": {"$ref": "#/components/schemas/SymbolName"}
                          },
                          "sample_every": {"type": "string"},
                          "leakage_check": {"type": "boolean"},
                          "allow_random_split": {"type": "boolean"},
                          "registry_version": {"type": "string"},
                          "targets": {"type": "object"},
                          "splits": {"type": "object"}
                        }
                      }
                    }
                  }
                },
                "responses": {
                  "202": {
                    "description": "Queued",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dataset"}}}
                  },
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "409": {
                    "description": "Registry version mismatch",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "413": {"$ref": "#/components/responses/TooLarge"},
                  "422": {
                    "description": "Invalid or leaky request, or no data in the period (the periods with data are named)",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  }
                }
              }
            },
            "/data-quality/report": {
              "get": {
                "summary": "Missing rate and coverage (by second), missing periods, sequence gaps, desync events, anomalies and \#
        latency skew of a symbol over [from, to)",
                "parameters": [
                  {"$ref": "#/components/parameters/Symbol"},
                  {
                    "name": "from",
                    "in": "query",
                    "required": false,
                    "description": "ISO 8601 or ns since the epoch, within 2000-01-01 and 2100-01-01; default: 24 h before to",
                    "schema": {"type": "string", "maxLength": 40}
                  },
                  {
                    "name": "to",
                    "in": "query",
                    "required": false,
                    "description": "ISO 8601 or ns since the epoch, within 2000-01-01 and 2100-01-01; default: now",
                    "schema": {"type": "string", "maxLength": 40}
                  },
                  {
                    "name": "minutes",
                    "in": "query",
                    "required": false,
                    "description": "true: also each minute with data (coverage, counters); the range is then at most 24 h",
                    "schema": {"type": "boolean"}
                  }
                ],
                "responses": {
                  "200": {
                    "description": "Report",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QualityReport"}}}
                  },
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "404": {
                    "description": "No data-quality record of this symbol",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "503": {
                    "description": "The metadata store did not answer",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  }
                }
              }
            },
            "/dataset/list": {
              "get": {
                "summary": "Datasets with split metadata",
                "parameters": [
                  {
                    "name": "status",
                    "in": "query",
                    "required": false,
                    "schema": {"type": "string", "enum": ["queued", "running", "ready", "failed", "cancelled"]}
                  },
                  {"name": "symbol", "in": "query", "required": false, "schema": {"type": "string"}}
                ],
                "responses": {
                  "200": {
                    "description": "Datasets",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DatasetList"}}}
                  },
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"}
                }
              }
            },
            "/dataset/{id}": {
              "get": {
                "summary": "Periods, row counts, registry version, target config, progress",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {
                  "200": {
                    "description": "Dataset",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dataset"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "404": {
                    "description": "Unknown dataset",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  }
                }
              }
            },
            "/dataset/{id}/download": {
              "get": {
                "summary": "A split's Parquet file, or all files and the manifest as a tar",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                  {"name": "split", "in": "query", "required": true, "schema": {"type": "string"}}
                ],
                "responses": {
                  "200": {
                    "description": "File",
                    "content": {
                      "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
                      "application/x-tar": {"schema": {"type": "string", "format": "binary"}}
                    }
                  },
                  "400": {"$ref": "#/components/responses/BadRequest"},
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "404": {
                    "description": "Unknown dataset or split",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "409": {
                    "description": "Not ready",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "410": {
                    "description": "File missing",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  }
                }
              }
            },
            "/dataset/{id}/cancel": {
              "post": {
                "summary": "Stop a queued or running build",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {
                  "200": {
                    "description": "Cancelling",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DatasetCancel"}}}
                  },
                  "401": {"$ref": "#/components/responses/Unauthorized"},
                  "404": {
                    "description": "Unknown dataset",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  },
                  "409": {
                    "description": "Already finished",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  }
                }
              }
            },
            "/metrics": {
              "get": {
                "summary": "Prometheus metrics",
                "responses": {
                  "200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}},
                  "401": {"$ref": "#/components/responses/Unauthorized"}
                }
              }
            }
          }
        }
        """#
}
