package serve

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// A program request that asks for a stream ("Accept: text/event-stream",
// or ?stream=true) is answered with Server-Sent Events once its program
// runs: "chunk" events carrying output fields as the LM writes them
// ({"predictor","field","chunk","is_last_chunk"}, as dspy.StreamResponse),
// "status" events ({"message"}, tool calls), then one "prediction" event
// whose data is the body the request would have had as JSON, or one "error"
// event whose data is the error body. A request refused before its program
// runs (bad inputs, 429, 503, 401) is answered as any other, with its HTTP
// status and a JSON body. Usage goes out as trailers (X-LM-Calls, ...), the
// stream's headers having left before it was known. A durable program's run
// is answered with its final event only.

// Server-Sent Event names a stream carries.
const (
	EventChunk      = "chunk"
	EventStatus     = "status"
	EventPrediction = "prediction"
	EventError      = "error"
)

// sseWriter writes one response's events.
type sseWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
	failed  bool
}

// newSSEWriter returns a writer for w when r asks for a stream, else nil.
func newSSEWriter(w http.ResponseWriter, r *http.Request) *sseWriter {
	if !streamRequested(r) {
		return nil
	}
	return &sseWriter{w: w, rc: http.NewResponseController(w)}
}

// streamRequested reports whether a request asks for an event stream.
func streamRequested(r *http.Request) bool {
	if v := r.URL.Query().Get("stream"); v != "" {
		if want, err := strconv.ParseBool(v); err == nil {
			return want
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/event-stream" {
			return true
		}
	}
	return false
}

// usageTrailers are the usage headers, announced as trailers.
var usageTrailers = strings.Join([]string{headerLMCalls, headerPromptTokens, headerCompletionTokens, headerCostUSD, headerCacheHits}, ", ")

// start sends the stream's headers.
func (s *sseWriter) start() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Set("Trailer", usageTrailers)
	s.w.WriteHeader(http.StatusOK)
	_ = s.rc.Flush()
}

// event writes one event; data must be one line of JSON. A failed write
// (the client went away) stops later ones; the request's context ends the run.
func (s *sseWriter) event(name string, data []byte) {
	s.start()
	if s.failed {
		return
	}
	buf := make([]byte, 0, len(name)+len(data)+16)
	buf = append(buf, "event: "...)
	buf = append(buf, name...)
	buf = append(buf, "\ndata: "...)
	buf = append(buf, data...)
	buf = append(buf, "\n\n"...)
	if _, err := s.w.Write(buf); err != nil {
		s.failed = true
		return
	}
	if err := s.rc.Flush(); err != nil {
		s.failed = true
	}
}

func (s *sseWriter) eventJSON(name string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	s.event(name, data)
}

// runStream runs an admitted request, streaming its events when it asked to
// and its program runs in-process; any other request runs as run does.
func (h *Handler) runStream(client context.Context, c *call, s *slot, v *version, inputs dspy.Example) (dspy.Example, dspy.Usage, *apiError) {
	mr, ok := v.runner.(moduleRunner)
	if c.sse == nil || !ok {
		return h.run(client, s, v, inputs)
	}
	streamer, err := dspy.Streamify(mr.module)
	if err != nil {
		return h.run(client, s, v, inputs)
	}
	ctx := client
	if t := s.limits.RequestTimeout; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(client, t)
		defer cancel()
	}
	ctx, tracker := dspy.TrackUsage(ctx)
	c.sse.start()
	var outputs dspy.Example
	for ev, err := range streamer.Stream(mr.context(ctx), inputs) {
		switch {
		case err != nil:
			return dspy.Example{}, tracker.Usage(), classifyRunError(err, client, ctx)
		case ev.Chunk != nil:
			c.sse.eventJSON(EventChunk, ev.Chunk)
		case ev.Status != nil:
			c.sse.eventJSON(EventStatus, ev.Status)
		case ev.Prediction != nil:
			outputs = ev.Prediction.Example
		}
	}
	return outputs, tracker.Usage(), nil
}

// answerStream ends a stream request: once its program ran, with the
// prediction or error event and the usage trailers; before, as a request
// without streaming is answered. It returns the status to log.
func (h *Handler) answerStream(w http.ResponseWriter, c *call, out []byte, e *apiError) int {
	if !c.ran {
		c.err = e
		writeError(w, e, c.requestID)
		return e.status
	}
	c.sse.start()
	defer setUsageHeaders(w.Header(), c.usage)
	if e != nil {
		c.err = e
		if e.status != StatusClientClosedRequest {
			c.sse.eventJSON(EventError, ErrorBody{Error: ErrorDetail{Code: e.code, Message: e.message, Fields: e.fields, RequestID: c.requestID, RunID: e.runID}})
		}
		return e.status
	}
	c.sse.event(EventPrediction, out)
	return http.StatusOK
}

// addStreaming documents the event-stream answer of a program's POST: the
// stream query parameter, the text/event-stream content of its 200 and the
// data of its chunk and status events.
func addStreaming(post, schemas map[string]any) {
	params, _ := post["parameters"].([]any)
	post["parameters"] = append(params, map[string]any{
		"name": "stream", "in": "query", "required": false,
		"description": `"true" answers with Server-Sent Events, as "Accept: text/event-stream" does.`,
		"schema":      map[string]any{"type": "boolean"},
	})
	ok := post["responses"].(map[string]any)["200"].(map[string]any)
	ok["content"].(map[string]any)["text/event-stream"] = map[string]any{"schema": map[string]any{
		"type": "string",
		"description": `Server-Sent Events, when the request asked for them: "chunk" events (data: StreamChunk) and "status" events ` +
			`(data: StreamStatus) while the program runs, then one "prediction" event whose data is the JSON body ` +
			`(a durable program sends only this one) or one "error" event whose data is an Error. Usage headers come as trailers.`,
	}}
	schemas["StreamChunk"] = map[string]any{
		"type": "object", "required": []any{"predictor", "field", "chunk", "is_last_chunk"},
		"properties": map[string]any{
			"predictor":     map[string]any{"type": "string", "description": "The predictor's path in the program."},
			"field":         map[string]any{"type": "string", "description": "The output field."},
			"chunk":         map[string]any{"type": "string", "description": "Text to append to the field's earlier chunks."},
			"is_last_chunk": map[string]any{"type": "boolean"},
		},
	}
	schemas["StreamStatus"] = map[string]any{
		"type": "object", "required": []any{"message"},
		"properties": map[string]any{"message": map[string]any{"type": "string"}},
	}
}
