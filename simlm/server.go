package simlm

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxBodyBytes bounds a request body; DSPy prompts are kilobytes, not megabytes.
const maxBodyBytes = 32 << 20

// Server is a simulated OpenAI-compatible chat-completions and embeddings server. It is an
// http.Handler, so it can be mounted in-process, and Start serves it on a
// loopback port for clients that need a URL.
type Server struct {
	cfg   Config
	acc   AccuracyModel
	seen  *occurrences // nil when no fault can fire
	limit uint32
	stats counters

	done      chan struct{}
	closeOnce sync.Once

	mu   sync.Mutex
	http *http.Server
	url  string
}

// New returns a server for cfg. It serves nothing until Start is called or it
// is mounted as an http.Handler. Out-of-range fault rates behave as clamped;
// Start reports them through Config.Validate.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, acc: DefaultAccuracy(), limit: cfg.Faults.maxConsecutive(), done: make(chan struct{})}
	if cfg.Accuracy != nil {
		s.acc = *cfg.Accuracy
	}
	if cfg.Faults.enabled() {
		s.seen = newOccurrences()
	}
	return s
}

// Config returns the configuration the server was created with.
func (s *Server) Config() Config { return s.cfg }

// Start validates the configuration and serves on 127.0.0.1 at a free port.
func (s *Server) Start() error {
	if err := s.cfg.Validate(); err != nil {
		return fmt.Errorf("start simlm: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http != nil {
		return errors.New("start simlm: already started")
	}
	select {
	case <-s.done:
		return errors.New("start simlm: server is closed")
	default:
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("start simlm: %w", err)
	}
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	s.url = "http://" + ln.Addr().String() + "/v1"
	go func(srv *http.Server) { _ = srv.Serve(ln) }(s.http)
	return nil
}

// URL is the base URL to give an OpenAI client, such as
// "http://127.0.0.1:PORT/v1"; empty before Start.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Close stops serving and releases every request still waiting on latency or
// a hang. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	s.mu.Lock()
	srv := s.http
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Close()
}

// Stats returns a snapshot of the request counters.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// ServeHTTP routes POST /v1/chat/completions, POST /v1/embeddings and GET
// /v1/models (the /v1 prefix is optional, as some clients strip it).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/v1")
	switch {
	case path == "/chat/completions":
		if r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed", "use POST for chat completions")
			return
		}
		s.chat(w, r)
	case path == "/embeddings":
		if r.Method != http.MethodPost {
			writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed", "use POST for embeddings")
			return
		}
		s.embeddings(w, r)
	case path == "/models" || strings.HasPrefix(path, "/models/"):
		if r.Method != http.MethodGet {
			writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed", "use GET for models")
			return
		}
		s.models(w, strings.TrimPrefix(strings.TrimPrefix(path, "/models"), "/"))
	default:
		writeError(w, http.StatusNotFound, "invalid_request_error", "unknown_url", "unknown endpoint "+r.URL.Path)
	}
}

func (s *Server) models(w http.ResponseWriter, id string) {
	info := modelInfo{ID: s.cfg.model(), Object: "model", Created: createdAt, OwnedBy: "simlm"}
	if id != "" {
		if id != info.ID {
			writeError(w, http.StatusNotFound, "invalid_request_error", "model_not_found", "model "+id+" does not exist")
			return
		}
		writeJSON(w, http.StatusOK, info)
		return
	}
	writeJSON(w, http.StatusOK, modelList{Object: "list", Data: []modelInfo{info}})
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	received := time.Now()
	s.stats.requests.Add(1)
	s.stats.enter()
	defer s.stats.inFlight.Add(-1)

	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	body, ok := s.readBody(w, r, buf)
	if !ok {
		return
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.stats.badRequests.Add(1)
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_json", "parse request: "+err.Error())
		return
	}
	if err := req.decodeContent(); err != nil {
		s.stats.badRequests.Add(1)
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_content", err.Error())
		return
	}
	if err := req.validate(); err != nil {
		s.stats.badRequests.Add(1)
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", err.Error())
		return
	}

	bh := newHasher(s.cfg.Seed)
	bh.bytes(body)
	bodyHash := bh.sum()
	d := s.draw(bodyHash)
	// The reply is made while the latency runs rather than after it, so that
	// a client sees the configured latency and not the latency plus the
	// simulator's own work on the request.
	var (
		resp  *chatResponse
		prose bool
		reply *bytes.Buffer
	)
	if d.fault.answers() {
		resp, prose = s.respond(&req, d.fault == faultGarbage)
		if !req.Stream {
			reply = bufPool.Get().(*bytes.Buffer)
			defer bufPool.Put(reply)
			if err := encodeJSON(reply, resp); err != nil {
				http.Error(w, `{"error":{"message":"encode reply","type":"server_error"}}`, http.StatusInternalServerError)
				return
			}
		}
	}
	if !s.admit(w, r, bodyHash, d, received) {
		return
	}
	switch {
	case d.fault == faultGarbage:
		s.stats.garbage.Add(1)
	case prose:
		s.stats.prose.Add(1)
	default:
		s.stats.succeeded.Add(1)
	}
	if req.Stream {
		writeStream(w, resp, req.StreamOptions != nil && req.StreamOptions.IncludeUsage)
		return
	}
	writeEncoded(w, http.StatusOK, reply)
}

// readBody reads a request body into buf, answering and counting a bad
// request when it cannot be read or is too large.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, buf *bytes.Buffer) ([]byte, bool) {
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, maxBodyBytes+1)); err != nil {
		s.stats.badRequests.Add(1)
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_body", "read body: "+err.Error())
		return nil, false
	}
	if buf.Len() > maxBodyBytes {
		s.stats.badRequests.Add(1)
		writeError(w, http.StatusRequestEntityTooLarge, "invalid_request_error", "body_too_large", "request body exceeds 32 MiB")
		return nil, false
	}
	return buf.Bytes(), true
}

// drawn is the fault a request gets, and which occurrence of its body it is.
type drawn struct {
	k     uint32
	fault faultKind
}

// answers reports whether a request with this fault gets a reply body made
// from it: every fault but a 429 or a 500 does.
func (f faultKind) answers() bool {
	return f != faultRateLimit && f != faultServerError
}

// draw decides the fault injected for a request body.
func (s *Server) draw(bodyHash uint64) drawn {
	if s.seen == nil {
		return drawn{fault: faultNone}
	}
	k, fault := s.seen.next(bodyHash, s.cfg.Faults, s.limit)
	return drawn{k: k, fault: fault}
}

// admit injects the fault drawn for a request body, or waits until its
// latency has passed since the request was received. It reports false when
// the request has been answered (a 429 or 500) or abandoned; otherwise the
// caller answers, garbled if the fault is faultGarbage.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, bodyHash uint64, d drawn, received time.Time) bool {
	ctx := r.Context()
	switch d.fault {
	case faultRateLimit:
		// A rate limiter answers at once; no latency.
		ra := s.cfg.Faults.retryAfter()
		w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(ra.Seconds())), 10))
		w.Header().Set("Retry-After-Ms", strconv.FormatInt(ra.Milliseconds(), 10))
		s.stats.rateLimited.Add(1)
		writeError(w, http.StatusTooManyRequests, "rate_limit_error", "rate_limit_exceeded", "simulated rate limit; retry after the indicated delay")
		return false
	case faultHang:
		s.stats.hangs.Add(1)
		if hf := s.cfg.Faults.HangFor; hf > 0 {
			if !wait(ctx, s.done, hf) {
				s.stats.canceled.Add(1)
				return false
			}
		} else {
			waitForever(ctx, s.done)
			s.stats.canceled.Add(1)
			return false
		}
	default:
		if !wait(ctx, s.done, s.cfg.Latency.sample(derive(bodyHash, uint64(d.k)))-time.Since(received)) {
			s.stats.canceled.Add(1)
			return false
		}
	}
	if d.fault == faultServerError {
		s.stats.serverErrors.Add(1)
		writeError(w, http.StatusInternalServerError, "server_error", "internal_error", "simulated server error")
		return false
	}
	return true
}

// respond builds the full reply to a valid request, and tells whether it
// came out in prose (Config.Prose).
func (s *Server) respond(req *chatRequest, garbage bool) (*chatResponse, bool) {
	draw := s.drawHash(req)
	p := parsePrompt(req)
	prose := !garbage && len(p.outputs) > 0 && p.reflection == "" && s.cfg.Prose > 0 && unit(derive(draw, saltProse)) < s.cfg.Prose
	n := req.choices()
	model := req.Model
	if model == "" {
		model = s.cfg.model()
	}
	var idb [8]byte
	for i := range idb {
		idb[i] = byte(draw >> (8 * i))
	}
	resp := &chatResponse{
		ID:                "chatcmpl-sim" + hex.EncodeToString(idb[:]),
		Object:            "chat.completion",
		Created:           createdAt,
		Model:             model,
		SystemFingerprint: "fp_simlm",
		Choices:           make([]chatChoice, n),
	}
	for _, m := range req.Messages {
		resp.Usage.PromptTokens += estimateTokens(string(m.Content)) + 4
	}
	for i := 0; i < n; i++ {
		d := derive(draw, uint64(i))
		var text string
		if garbage {
			text = garbageReplies[pick(derive(d, saltGarbage), len(garbageReplies))]
		} else {
			text = s.content(p, d, prose)
		}
		text, finish := applyLimits(text, req.maxTokens(), req.Stop)
		resp.Choices[i] = chatChoice{
			Index:        i,
			Message:      responseMessage{Role: "assistant", Content: text},
			FinishReason: finish,
		}
		withToolCalls(&resp.Choices[i], p, s.toolCalls(req, p, d))
		resp.Usage.CompletionTokens += max(1, estimateTokens(text))
	}
	resp.Usage.TotalTokens = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
	return resp, prose
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	if err := encodeJSON(buf, v); err != nil {
		http.Error(w, `{"error":{"message":"encode reply","type":"server_error"}}`, http.StatusInternalServerError)
		return
	}
	writeEncoded(w, status, buf)
}

// encodeJSON writes v into buf, emptied first, as every reply is encoded.
func encodeJSON(buf *bytes.Buffer, v any) error {
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeEncoded answers with the JSON body encodeJSON wrote into buf.
func writeEncoded(w http.ResponseWriter, status int, buf *bytes.Buffer) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	writeJSON(w, status, errorBody{Error: errorDetail{Message: msg, Type: typ, Code: code}})
}
