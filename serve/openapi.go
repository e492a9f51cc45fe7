package serve

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

// OpenAPI returns the OpenAPI 3.1 document describing the handler's
// endpoints, with each program's request and response bodies described by the
// JSON schemas of its signature. It is rebuilt after every swap.
func (h *Handler) OpenAPI() []byte {
	if b := h.openapi.Load(); b != nil {
		return *b
	}
	b, err := json.Marshal(h.openAPIDocument())
	if err != nil {
		b = []byte(`{}`)
	}
	h.openapi.Store(&b)
	return b
}

func (h *Handler) serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	writeRaw(w, http.StatusOK, h.OpenAPI())
}

var componentUnsafe = regexp.MustCompile(`[^A-Za-z0-9._-]`)

func componentName(parts ...string) string {
	return componentUnsafe.ReplaceAllString(strings.Join(parts, "_"), "_")
}

func schemaRef(name string) map[string]any {
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

func (h *Handler) openAPIDocument() map[string]any {
	schemas := map[string]any{
		"Error": map[string]any{
			"type":     "object",
			"required": []any{"error"},
			"properties": map[string]any{"error": map[string]any{
				"type":     "object",
				"required": []any{"code", "message"},
				"properties": map[string]any{
					"code":       map[string]any{"type": "string", "description": "Stable machine-readable reason."},
					"message":    map[string]any{"type": "string"},
					"request_id": map[string]any{"type": "string"},
					"run_id":     map[string]any{"type": "string", "description": "The durable run the request started; GET /v1/runs/{run_id} gives its result."},
					"fields": map[string]any{"type": "array", "description": "Each input field's problem (422).",
						"items": map[string]any{"type": "object", "required": []any{"field", "problem"},
							"properties": map[string]any{"field": map[string]any{"type": "string"}, "problem": map[string]any{"type": "string"}}}},
				},
			}},
		},
	}
	strHeader := func(desc string) map[string]any {
		return map[string]any{"description": desc, "schema": map[string]any{"type": "string"}}
	}
	intHeader := func(desc string) map[string]any {
		return map[string]any{"description": desc, "schema": map[string]any{"type": "integer"}}
	}
	responses := map[string]any{
		"Error": map[string]any{
			"description": "An error, as JSON.",
			"headers": map[string]any{
				"X-Request-ID": strHeader("The request's ID, also in the request log."),
				"Retry-After":  intHeader("Seconds to wait before retrying (429 and 503)."),
			},
			"content": map[string]any{"application/json": map[string]any{"schema": schemaRef("Error")}},
		},
	}
	errorRef := map[string]any{"$ref": "#/components/responses/Error"}
	jsonBody := func(schema any, desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
	}
	anyObject := map[string]any{"type": "object"}
	paths := map[string]any{
		"/v1/programs": map[string]any{"get": map[string]any{
			"operationId": "listPrograms", "summary": "List the served programs with their schemas, model and state origin.",
			"responses": map[string]any{"200": jsonBody(anyObject, "The programs."), "401": errorRef},
		}},
		"/openapi.json": map[string]any{"get": map[string]any{
			"operationId": "openapi", "summary": "This document.",
			"responses": map[string]any{"200": jsonBody(anyObject, "The OpenAPI document."), "401": errorRef},
		}},
		"/health/live": map[string]any{"get": map[string]any{
			"operationId": "live", "summary": "200 while the process serves HTTP.", "security": h.healthSecurity(),
			"responses": map[string]any{"200": jsonBody(anyObject, "Live.")},
		}},
		"/health/ready": map[string]any{"get": map[string]any{
			"operationId": "ready", "summary": "200 when programs are loaded and the server is not draining.", "security": h.healthSecurity(),
			"responses": map[string]any{"200": jsonBody(anyObject, "Ready."), "503": jsonBody(anyObject, "Loading, draining or a dependency is down.")},
		}},
		"/metrics": map[string]any{"get": map[string]any{
			"operationId": "metrics", "summary": "Prometheus metrics.", "security": h.metricsSecurity(),
			"responses": map[string]any{"200": map[string]any{"description": "Prometheus text exposition.",
				"content": map[string]any{"text/plain": map[string]any{"schema": map[string]any{"type": "string"}}}}},
		}},
	}
	usageHeaders := map[string]any{
		"X-Request-ID":           strHeader("The request's ID, also in the request log."),
		"X-LM-Calls":             intHeader("LM calls the request made, cache hits included."),
		"X-LM-Prompt-Tokens":     intHeader("Prompt tokens."),
		"X-LM-Completion-Tokens": intHeader("Completion tokens."),
		"X-LM-Cost-USD":          map[string]any{"description": "Cost in US dollars, where prices are known.", "schema": map[string]any{"type": "number"}},
		"X-LM-Cache-Hits":        intHeader("LM calls answered from the cache."),
	}
	for _, info := range h.Programs() {
		if !info.Loaded {
			continue
		}
		ref := func(def string) string { return "#/components/schemas/" + componentName(info.Name, def) }
		in, out := componentName(info.Name, "Input"), componentName(info.Name, "Output")
		schemas[in] = componentSchema(info.InputSchema, ref, schemas, info.Name)
		schemas[out] = componentSchema(info.OutputSchema, ref, schemas, info.Name)
		ok := jsonBody(schemaRef(out), "The program's output fields (other fields a module adds, such as reasoning, may follow).")
		ok["headers"] = usageHeaders
		post := map[string]any{
			"operationId": componentName("call", info.Name),
			"summary":     "Run " + info.Name + " (model " + info.Model + ").",
			"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schemaRef(in)}}},
			"responses": map[string]any{
				"200": ok, "400": errorRef, "401": errorRef, "408": errorRef, "413": errorRef, "422": errorRef, "429": errorRef,
				"500": errorRef, "502": errorRef, "503": errorRef, "504": errorRef,
			},
		}
		if h.isDurable(info.Name) {
			addDurable(post, paths, schemas, jsonBody, errorRef)
		}
		addStreaming(post, schemas)
		paths[info.Path] = map[string]any{"post": post}
	}
	components := map[string]any{"schemas": schemas, "responses": responses}
	doc := map[string]any{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
		"info":              map[string]any{"title": h.opts.Title, "version": "1"},
		"paths":             paths,
		"components":        components,
	}
	if h.tokens.enabled() {
		components["securitySchemes"] = map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}}
		doc["security"] = []any{map[string]any{"bearer": []any{}}}
	}
	return doc
}

// componentSchema moves a body schema's $defs into components under the
// program's name and points its references there.
func componentSchema(s map[string]any, ref func(string) string, schemas map[string]any, program string) map[string]any {
	out := rebaseRefs(s, ref).(map[string]any)
	if defs, ok := out["$defs"].(map[string]any); ok {
		delete(out, "$defs")
		for name, d := range defs {
			schemas[componentName(program, name)] = d
		}
	}
	return out
}

// healthSecurity marks open health endpoints as needing no token.
func (h *Handler) healthSecurity() []any {
	if h.opts.Auth.OpenHealth || !h.tokens.enabled() {
		return []any{}
	}
	return []any{map[string]any{"bearer": []any{}}}
}

func (h *Handler) metricsSecurity() []any {
	if h.opts.Auth.OpenMetrics || !h.tokens.enabled() {
		return []any{}
	}
	return []any{map[string]any{"bearer": []any{}}}
}

// isDurable tells whether the program's current version runs durably.
func (h *Handler) isDurable(name string) bool {
	s, ok := h.slots[name]
	if !ok {
		return false
	}
	v := s.current.Load()
	if v == nil {
		return false
	}
	_, durable := v.runner.(DurableRunner)
	return durable
}

// addDurable documents what a durable program adds to its POST (the
// Idempotency-Key and Prefer headers, 202 and 409) and GET /v1/runs/{id}.
func addDurable(post, paths, schemas map[string]any, jsonBody func(any, string) map[string]any, errorRef map[string]any) {
	header := func(name, desc string) map[string]any {
		return map[string]any{"name": name, "in": "header", "required": false, "description": desc, "schema": map[string]any{"type": "string"}}
	}
	post["parameters"] = []any{
		header("Idempotency-Key", "Names the run: a retry with the same key joins it (its result, no second run); other inputs under the key are a 409."),
		header("Prefer", `"respond-async" answers 202 at once with the run's URL.`),
	}
	responses := post["responses"].(map[string]any)
	accepted := jsonBody(schemaRef("RunAccepted"), "The run started (Prefer: respond-async); GET its status_url for the result.")
	accepted["headers"] = map[string]any{
		"Location":           map[string]any{"description": "The run's status URL.", "schema": map[string]any{"type": "string"}},
		"Preference-Applied": map[string]any{"description": "respond-async", "schema": map[string]any{"type": "string"}},
	}
	responses["202"] = accepted
	responses["409"] = errorRef
	schemas["RunAccepted"] = map[string]any{
		"type": "object", "required": []any{"run_id", "status", "status_url"},
		"properties": map[string]any{
			"run_id": map[string]any{"type": "string"}, "status": map[string]any{"type": "string"}, "status_url": map[string]any{"type": "string"},
		},
	}
	schemas["RunStatus"] = map[string]any{
		"type": "object", "required": []any{"run_id", "program", "status", "started_at"},
		"properties": map[string]any{
			"run_id":     map[string]any{"type": "string"},
			"program":    map[string]any{"type": "string"},
			"status":     map[string]any{"type": "string", "enum": []any{RunRunning, RunCompleted, RunFailed, RunCanceled, RunTerminated, RunTimedOut}},
			"outputs":    map[string]any{"type": "object", "description": "The output fields of a completed run."},
			"usage":      map[string]any{"type": "object", "description": "What a finished run's LM calls cost."},
			"error":      map[string]any{"type": "object", "description": "Why the run did not complete, as an error body's error."},
			"started_at": map[string]any{"type": "string", "format": "date-time"},
			"closed_at":  map[string]any{"type": "string", "format": "date-time"},
		},
	}
	paths["/v1/runs/{id}"] = map[string]any{"get": map[string]any{
		"operationId": "getRun", "summary": "A durable run's status, with its outputs once it completed.",
		"parameters": []any{map[string]any{"name": "id", "in": "path", "required": true, "schema": map[string]any{"type": "string"}}},
		"responses":  map[string]any{"200": jsonBody(schemaRef("RunStatus"), "The run."), "401": errorRef, "404": errorRef, "503": errorRef},
	}}
}
