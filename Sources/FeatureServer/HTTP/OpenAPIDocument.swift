/// The OpenAPI 3.0 description of the API, served at `/openapi.json`. A test checks that the
/// router and this document list the same routes.
public enum OpenAPIDocument {
    /// (method, path) of every documented operation.
    public static let operations: [(method: String, path: String)] = [
        ("get", "/health"), ("get", "/openapi.json"), ("get", "/features/latest"), ("get", "/feature-registry"),
        ("post", "/feature-registry/reload"), ("get", "/feature-registry/validate"),
        ("get", "/feature-registry/versions"), ("post", "/ingest"), ("get", "/metrics"),
        ("post", "/dataset/build"), ("get", "/dataset/list"), ("get", "/dataset/{id}"), ("get", "/dataset/{id}/download"),
        ("post", "/dataset/{id}/cancel"),
    ]

    public static let json: String = #"""
    {
      "openapi": "3.0.3",
      "info": {"title": "feature-service", "version": "0.1.0",
               "description": "Market data in, feature vectors out. Every route but /health and /openapi.json needs an API key (header X-API-Key or query api_key)."},
      "components": {
        "securitySchemes": {
          "header": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
          "query": {"type": "apiKey", "in": "query", "name": "api_key"}
        },
        "schemas": {
          "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message", "trace_id"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "trace_id": {"type": "string"},
                           "problems": {"type": "array", "items": {"type": "object", "properties": {"path": {"type": "string"}, "message": {"type": "string"}}}}}}}},
          "Vector": {"type": "object", "required": ["symbol", "timestamp", "ts_ns", "registry_version", "features"],
            "properties": {"symbol": {"type": "string"}, "timestamp": {"type": "string"}, "ts_ns": {"type": "integer"},
                           "registry_version": {"type": "string"}, "features": {"type": "object", "additionalProperties": {"type": "number", "nullable": true}},
                           "trace_id": {"type": "string", "nullable": true}, "stale": {"type": "boolean"}, "last_event_ts_ns": {"type": "integer", "nullable": true}}},
          "Dataset": {"type": "object", "properties": {"dataset_id": {"type": "string"}, "status": {"type": "string"},
            "progress": {"type": "object"}, "splits_info": {"type": "object"}}},
          "Registry": {"type": "object", "properties": {"version": {"type": "string"}, "content_hash": {"type": "string"},
            "features": {"type": "array", "items": {"type": "object"}}}}
        },
        "responses": {
          "Unauthorized": {"description": "Missing or invalid API key", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "BadRequest": {"description": "Invalid request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "Invalid": {"description": "Invalid registry: every problem listed; the registry in force is unchanged",
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
      },
      "security": [{"header": []}, {"query": []}],
      "paths": {
        "/health": {"get": {"summary": "Liveness and readiness of broker, storage and metadata", "security": [],
          "responses": {"200": {"description": "Healthy", "content": {"application/json": {"schema": {"type": "object"}}}},
                        "503": {"description": "A dependency is down", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/openapi.json": {"get": {"summary": "This document", "security": [],
          "responses": {"200": {"description": "OpenAPI document", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/features/latest": {"get": {"summary": "The latest feature vector of a symbol, computed from the live state at request time",
          "parameters": [{"name": "symbol", "in": "query", "required": true, "schema": {"type": "string"}}],
          "responses": {"200": {"description": "Vector", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Vector"}}}},
                        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                        "404": {"description": "Unknown symbol", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
        "/feature-registry": {"get": {"summary": "The registry in force",
          "responses": {"200": {"description": "Registry", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Registry"}}}},
                        "401": {"$ref": "#/components/responses/Unauthorized"}}}},
        "/feature-registry/reload": {"post": {"summary": "Reload the registry from the request body (YAML or JSON) or, with an empty body, from the configured file",
          "requestBody": {"required": false, "content": {"application/yaml": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "object"}}}},
          "responses": {"200": {"description": "Reloaded", "content": {"application/json": {"schema": {"type": "object"}}}},
                        "401": {"$ref": "#/components/responses/Unauthorized"}, "422": {"$ref": "#/components/responses/Invalid"}}}},
        "/feature-registry/validate": {"get": {"summary": "Validate the configured registry file without applying it",
          "responses": {"200": {"description": "Valid", "content": {"application/json": {"schema": {"type": "object"}}}},
                        "401": {"$ref": "#/components/responses/Unauthorized"}, "422": {"$ref": "#/components/responses/Invalid"}}}},
        "/feature-registry/versions": {"get": {"summary": "Every registry content this service (or any instance sharing its metadata database) has run with, most recently activated first",
          "responses": {"200": {"description": "Versions", "content": {"application/json": {"schema": {"type": "object",
                          "properties": {"versions": {"type": "array", "items": {"type": "object"}}}}}}},
                        "401": {"$ref": "#/components/responses/Unauthorized"},
                        "503": {"description": "No metadata store, or it did not answer", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/ingest": {"post": {"summary": "Push gateway envelopes (JSON Lines); answered once they are durable",
          "requestBody": {"required": true, "content": {"application/x-ndjson": {"schema": {"type": "string"}}, "text/plain": {"schema": {"type": "string"}}}},
          "responses": {"200": {"description": "Accepted (malformed lines listed)", "content": {"application/json": {"schema": {"type": "object"}}}},
                        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                        "422": {"description": "Every line malformed", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/dataset/build": {"post": {"summary": "Start a dataset build (answered at once with the job)",
          "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object",
            "properties": {"symbol": {"type": "string"}, "sample_every": {"type": "string"}, "leakage_check": {"type": "boolean"},
                           "allow_random_split": {"type": "boolean"}, "registry_version": {"type": "string"},
                           "targets": {"type": "object"}, "splits": {"type": "object"}}}}}},
          "responses": {"202": {"description": "Queued", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dataset"}}}},
                        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                        "409": {"description": "Registry version mismatch", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                        "422": {"description": "Invalid or leaky request, or no data in the period (the periods with data are named)",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
        "/dataset/list": {"get": {"summary": "Datasets with split metadata",
          "parameters": [{"name": "status", "in": "query", "required": false, "schema": {"type": "string", "enum": ["queued", "running", "ready", "failed", "cancelled"]}},
                         {"name": "symbol", "in": "query", "required": false, "schema": {"type": "string"}}],
          "responses": {"200": {"description": "Datasets", "content": {"application/json": {"schema": {"type": "object"}}}},
                        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"}}}},
        "/dataset/{id}": {"get": {"summary": "Periods, row counts, registry version, target config, progress",
          "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
          "responses": {"200": {"description": "Dataset", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Dataset"}}}},
                        "401": {"$ref": "#/components/responses/Unauthorized"},
                        "404": {"description": "Unknown dataset", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
        "/dataset/{id}/download": {"get": {"summary": "A split's Parquet file, or all files and the manifest as a tar",
          "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                         {"name": "split", "in": "query", "required": true, "schema": {"type": "string"}}],
          "responses": {"200": {"description": "File", "content": {"application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
                                                                   "application/x-tar": {"schema": {"type": "string", "format": "binary"}}}},
                        "400": {"$ref": "#/components/responses/BadRequest"}, "401": {"$ref": "#/components/responses/Unauthorized"},
                        "404": {"description": "Unknown dataset or split", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                        "409": {"description": "Not ready", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                        "410": {"description": "File missing", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
        "/dataset/{id}/cancel": {"post": {"summary": "Stop a queued or running build",
          "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
          "responses": {"200": {"description": "Cancelling", "content": {"application/json": {"schema": {"type": "object"}}}},
                        "401": {"$ref": "#/components/responses/Unauthorized"},
                        "404": {"description": "Unknown dataset", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                        "409": {"description": "Already finished", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}},
        "/metrics": {"get": {"summary": "Prometheus metrics",
          "responses": {"200": {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}},
                        "401": {"$ref": "#/components/responses/Unauthorized"}}}}
      }
    }
    """#
}
