package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/semaphore"
	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// Handler serves programs over HTTP. Build it with New, load its programs
// with Load, mount it anywhere; it is safe for concurrent use.
type Handler struct {
	opts     Options
	mux      *http.ServeMux
	slots    map[string]*slot
	order    []string
	global   *semaphore.Weighted
	metrics  *metrics
	gatherer prometheus.Gatherer
	log      *requestLog
	logger   *slog.Logger
	tokens   tokenSet
	maxBody  int64

	loaded  atomic.Bool
	openapi atomic.Pointer[[]byte]

	mu       sync.Mutex // guards draining, inFlight and idle
	draining bool
	inFlight int
	idle     chan struct{}
}

// slot is one program's fixed parts (name, LM, admission, metrics) and its
// current version, which Reload and Swap replace atomically.
type slot struct {
	program Program
	limits  Limits
	adm     *admission
	pm      *programMetrics
	current atomic.Pointer[version]
}

// version is an immutable built program. Requests load the pointer once and
// finish on the version they started with, whatever is swapped in meanwhile.
type version struct {
	loaded       Loaded
	runner       Runner
	decoder      *inputDecoder
	inputSchema  map[string]any
	outputSchema map[string]any
}

// jsonNull is the log's inputs and outputs until the request has them; it
// is shared, never written to.
var jsonNull = json.RawMessage("null")

var programName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// New checks opts and builds a handler. Its programs are not loaded yet:
// until Load succeeds, /health/ready and program calls answer 503.
func New(opts Options) (*Handler, error) {
	if len(opts.Programs) == 0 {
		return nil, errors.New("serve: no programs")
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = DefaultMaxConcurrent
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.Title == "" {
		opts.Title = "DSPy programs"
	}
	h := &Handler{
		opts:    opts,
		slots:   map[string]*slot{},
		global:  semaphore.NewWeighted(int64(opts.MaxConcurrent)),
		logger:  opts.Logger,
		tokens:  newTokenSet(opts.Auth.Tokens),
		maxBody: opts.MaxBodyBytes,
	}
	if h.logger == nil {
		h.logger = slog.Default()
	}
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	h.gatherer = reg
	h.log = openRequestLog(opts)
	m, err := newMetrics(reg, h.log.droppedLines, opts.Registry == nil)
	if err != nil {
		_ = h.log.close()
		return nil, fmt.Errorf("serve: metrics: %w", err)
	}
	h.metrics = m
	for _, p := range opts.Programs {
		if !programName.MatchString(p.Name) {
			_ = h.log.close()
			return nil, fmt.Errorf("serve: program name %q: use 1-64 letters, digits, '_', '-' or '.'", p.Name)
		}
		if _, dup := h.slots[p.Name]; dup {
			_ = h.log.close()
			return nil, fmt.Errorf("serve: program %q is listed twice", p.Name)
		}
		if p.Source == nil {
			_ = h.log.close()
			return nil, fmt.Errorf("serve: program %q has no Source", p.Name)
		}
		if p.Model == "" && p.LM != nil {
			p.Model = p.LM.ModelName()
		}
		limits := p.Limits.withDefaults(opts.Limits, opts.MaxConcurrent)
		h.slots[p.Name] = &slot{program: p, limits: limits, adm: newAdmission(h.global, limits), pm: m.forProgram(p.Name, p.Model)}
		h.order = append(h.order, p.Name)
	}
	h.mux = h.routes()
	return h, nil
}

func openRequestLog(opts Options) *requestLog {
	buffer := opts.LogBuffer
	if buffer <= 0 {
		buffer = DefaultLogBuffer
	}
	switch {
	case opts.LogDir != "":
		size, backups := opts.LogMaxSizeMB, opts.LogMaxBackups
		if size <= 0 {
			size = DefaultLogMaxSizeMB
		}
		if backups <= 0 {
			backups = DefaultLogMaxBackups
		}
		lj := &lumberjack.Logger{Filename: filepath.Join(opts.LogDir, RequestLogFile), MaxSize: size, MaxBackups: backups}
		return newRequestLog(lj, lj, buffer)
	case opts.LogWriter != nil:
		return newRequestLog(opts.LogWriter, nil, buffer)
	}
	return nil
}

// Load builds every program from its Source. The handler turns ready once
// all have loaded; on error it stays not ready and Load may be called again.
func (h *Handler) Load(ctx context.Context) error {
	var errs []error
	for _, name := range h.order {
		s := h.slots[name]
		if s.current.Load() != nil {
			continue
		}
		if err := h.reload(ctx, s); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	h.loaded.Store(true)
	return nil
}

// ServeHTTP routes a request. Every response, errors included, is JSON
// (except /metrics, in Prometheus' text format).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.opts.CORS.apply(w, r) {
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/programs/{name}", h.serveProgram)
	mux.HandleFunc("GET /v1/programs", h.guard(false, h.serveList))
	mux.HandleFunc("GET /v1/runs/{id}", h.guard(false, h.serveRun))
	mux.HandleFunc("GET /openapi.json", h.guard(false, h.serveOpenAPI))
	mux.HandleFunc("GET /health/live", h.guard(h.opts.Auth.OpenHealth, h.serveLive))
	mux.HandleFunc("GET /health/ready", h.guard(h.opts.Auth.OpenHealth, h.serveReady))
	metricsHandler := promhttp.HandlerFor(h.gatherer, promhttp.HandlerOpts{})
	mux.HandleFunc("GET /metrics", h.guard(h.opts.Auth.OpenMetrics, metricsHandler.ServeHTTP))
	if h.opts.MCP {
		mux.Handle(MCPPath, h.MCPHandler())
	}
	// The mux answers unknown paths and wrong methods in plain text; these
	// answer them in JSON like everything else.
	for path, allow := range map[string]string{
		"/v1/programs/{name}": "POST", "/v1/programs": "GET, HEAD", "/v1/runs/{id}": "GET, HEAD", "/openapi.json": "GET, HEAD",
		"/health/live": "GET, HEAD", "/health/ready": "GET, HEAD", "/metrics": "GET, HEAD",
	} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeError(w, newAPIError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "use "+allow), "")
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, newAPIError(http.StatusNotFound, CodeNotFound, "no such endpoint"), "")
	})
	return mux
}

// guard checks the bearer token unless the endpoint is open.
func (h *Handler) guard(open bool, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !open && h.tokens.enabled() && !h.tokens.allows(r) {
			writeError(w, unauthorized(), "")
			return
		}
		next(w, r)
	}
}

func unauthorized() *apiError {
	return newAPIError(http.StatusUnauthorized, CodeUnauthorized, "send a valid token as \"Authorization: Bearer <token>\"")
}

// call is one program request's account, logged and counted when it ends.
type call struct {
	start     time.Time
	requestID string
	slot      *slot
	line      LogLine
	usage     dspy.Usage
	// ran is set once the program ran, so usage is worth reporting.
	ran bool
	err *apiError
	// durable is what the request asks of a durable program; accepted is
	// set when its run was started to be answered later (202).
	durable  durableRequest
	accepted bool
	// sse writes the answer as events when the request asked for a stream.
	sse *sseWriter
}

func (h *Handler) serveProgram(w http.ResponseWriter, r *http.Request) {
	r, span := startRequestSpan(r)
	c := &call{start: time.Now(), requestID: requestID(r.Header)}
	c.line = LogLine{Time: c.start.UTC(), RequestID: c.requestID, Program: clip(r.PathValue("name"), 64),
		Inputs: jsonNull, Outputs: jsonNull}
	w.Header()[headerRequestID] = []string{c.requestID}
	status := h.runProgram(w, r, c)
	h.finish(c, status)
	span.end(c, status)
}

// runProgram does the request's work and returns the status it answered.
func (h *Handler) runProgram(w http.ResponseWriter, r *http.Request, c *call) int {
	if h.tokens.enabled() && !h.tokens.allows(r) {
		c.err = unauthorized()
		writeError(w, c.err, c.requestID)
		return c.err.status
	}
	d, e := readDurableRequest(r.Header)
	if e != nil {
		c.err = e
		writeError(w, e, c.requestID)
		return e.status
	}
	c.durable = d
	c.sse = newSSEWriter(w, r)
	out, e := h.execute(r.Context(), c, r.PathValue("name"), func() ([]byte, *apiError) {
		return readBody(w, r, h.maxBody)
	})
	if c.sse != nil && !c.accepted {
		return h.answerStream(w, c, out, e)
	}
	if c.ran && !c.accepted {
		setUsageHeaders(w.Header(), c.usage)
	}
	if e != nil {
		c.err = e
		writeError(w, e, c.requestID)
		return e.status
	}
	if c.accepted {
		writeAccepted(w, c.line.RunID)
		return http.StatusAccepted
	}
	writeRaw(w, http.StatusOK, out)
	return http.StatusOK
}

// execute runs one call of the program name, whatever transport it came in
// on: readiness, the drain gate, input checks, admission, the run. It reads
// the body only once past the drain gate, so a draining server never waits
// on a slow upload. It fills c's log line and returns the encoded outputs
// or the error to answer with; the caller answers and then calls finish.
func (h *Handler) execute(ctx context.Context, c *call, name string, read func() ([]byte, *apiError)) ([]byte, *apiError) {
	s, ok := h.slots[name]
	if !ok {
		return nil, newAPIError(http.StatusNotFound, CodeNotFound, "no program named "+strconv.Quote(c.line.Program))
	}
	c.slot = s
	c.line.Model = s.program.Model
	v := s.current.Load()
	if v == nil {
		h.metrics.rejected.WithLabelValues(s.program.Name, "not_ready").Inc()
		e := newAPIError(http.StatusServiceUnavailable, CodeNotReady, "the program is still loading")
		e.retryAfter = time.Second
		return nil, e
	}
	if !h.enter() {
		h.metrics.rejected.WithLabelValues(s.program.Name, "draining").Inc()
		e := newAPIError(http.StatusServiceUnavailable, CodeDraining, "the server is shutting down; retry on another instance")
		e.retryAfter = time.Second
		return nil, e
	}
	defer h.leave()

	body, e := read()
	if e != nil {
		return nil, e
	}
	inputs, problems, err := v.decoder.decode(body)
	c.line.Inputs = h.logInputs(body, err == nil)
	if err != nil {
		return nil, newAPIError(http.StatusBadRequest, CodeMalformedJSON, err.Error())
	}
	if problems != nil {
		e := newAPIError(http.StatusUnprocessableEntity, CodeInvalidInputs, "the inputs do not match the program's signature")
		e.fields = problems
		return nil, e
	}

	release, waited, e := s.adm.acquire(ctx)
	c.line.QueueWaitMS = ms(waited)
	s.pm.queueWait.Observe(waited.Seconds())
	if e != nil {
		if e.status == http.StatusTooManyRequests {
			h.metrics.rejected.WithLabelValues(s.program.Name, e.code).Inc()
		}
		return nil, e
	}
	s.pm.inFlight.Inc()
	runStart := time.Now()
	var outputs dspy.Example
	var usage dspy.Usage
	var runErr *apiError
	if dr, ok := v.runner.(DurableRunner); ok {
		outputs, usage, runErr = h.runDurable(ctx, c, s, dr, inputs)
	} else {
		outputs, usage, runErr = h.runStream(ctx, c, s, v, inputs)
	}
	s.adm.observe(time.Since(runStart))
	s.pm.inFlight.Dec()
	release()

	c.usage, c.ran = usage, true
	if runErr != nil {
		return nil, runErr
	}
	if c.accepted {
		return nil, nil
	}
	out, merr := json.Marshal(outputs)
	if merr != nil {
		return nil, newAPIError(http.StatusInternalServerError, CodeInternal, "the program's outputs could not be encoded")
	}
	if h.opts.RedactOutputs {
		c.line.Outputs = redacted
	} else {
		c.line.Outputs = out
	}
	return out, nil
}

// run executes one admitted request under its deadline; a failure comes back
// as an *apiError.
func (h *Handler) run(client context.Context, s *slot, v *version, inputs dspy.Example) (dspy.Example, dspy.Usage, *apiError) {
	ctx := client
	if t := s.limits.RequestTimeout; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(client, t)
		defer cancel()
	}
	outputs, usage, err := v.runner.Run(ctx, inputs)
	if err != nil {
		return dspy.Example{}, usage, classifyRunError(err, client, ctx)
	}
	return outputs, usage, nil
}

// finish writes the request's log line and counts it.
func (h *Handler) finish(c *call, status int) {
	d := time.Since(c.start)
	c.line.Status = status
	c.line.DurationMS = ms(d)
	c.line.LMCalls = c.usage.Calls
	c.line.PromptTokens = c.usage.PromptTokens
	c.line.CompletionTokens = c.usage.CompletionTokens
	c.line.CostUSD = c.usage.Cost
	c.line.CacheHits = c.usage.CacheHits
	if c.err != nil {
		c.line.ErrorCode = c.err.code
		c.line.Error = c.err.message
		if c.err.detail != "" {
			c.line.Error = c.err.detail
		}
		c.line.RawReply = clip(c.err.raw, maxRawReply)
	}
	h.log.write(&c.line)
	if c.slot != nil {
		c.slot.pm.countRequest(status)
		c.slot.pm.duration.Observe(d.Seconds())
		c.slot.pm.addUsage(c.usage)
	}
}

// logInputs is what the log keeps of a body: the JSON itself when it parsed,
// else the text clipped, as a JSON string.
func (h *Handler) logInputs(body []byte, valid bool) json.RawMessage {
	if h.opts.RedactInputs {
		return redacted
	}
	if valid {
		var buf bytes.Buffer
		buf.Grow(len(body))
		if json.Compact(&buf, body) == nil {
			return buf.Bytes()
		}
	}
	b, _ := json.Marshal(clip(string(body), maxRawReply))
	return b
}

// readBody reads at most limit bytes; a larger body is a 413.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *apiError) {
	body := http.MaxBytesReader(w, r.Body, limit)
	var err error
	if n := r.ContentLength; n > 0 && n <= limit {
		// The length is known: one exact allocation, where a growing
		// buffer would allocate twice (it wants room to spare for each read).
		buf := make([]byte, n)
		if _, err = io.ReadFull(body, buf); err == nil {
			return buf, nil
		}
	} else {
		var buf bytes.Buffer
		if _, err = buf.ReadFrom(body); err == nil {
			return buf.Bytes(), nil
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, newAPIError(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, fmt.Sprintf("the body exceeds %d bytes", limit))
	case errors.Is(err, os.ErrDeadlineExceeded):
		// The server's read timeout cut a slow body off. net/http cancels
		// the request's context then too, so this must come before the
		// client-closed case: answering nothing there would let net/http
		// send an empty 200 for a request that never ran.
		return nil, newAPIError(http.StatusRequestTimeout, CodeBodyTimeout, "the body did not arrive within the server's read timeout")
	case r.Context().Err() != nil:
		return nil, newAPIError(StatusClientClosedRequest, CodeClientClosed, "the client closed the request")
	}
	return nil, newAPIError(http.StatusBadRequest, CodeMalformedJSON, "the body could not be read")
}

// The response headers a program request sets, in canonical form, so setting
// them is a map store: Header.Set would canonicalize (and allocate) each
// mixed-case name again on every request.
var (
	headerRequestID        = http.CanonicalHeaderKey("X-Request-ID")
	headerLMCalls          = http.CanonicalHeaderKey("X-LM-Calls")
	headerPromptTokens     = http.CanonicalHeaderKey("X-LM-Prompt-Tokens")
	headerCompletionTokens = http.CanonicalHeaderKey("X-LM-Completion-Tokens")
	headerCostUSD          = http.CanonicalHeaderKey("X-LM-Cost-USD")
	headerCacheHits        = http.CanonicalHeaderKey("X-LM-Cache-Hits")
)

// setUsageHeaders reports what the request's LM calls cost. The five values
// share one backing array.
func setUsageHeaders(h http.Header, u dspy.Usage) {
	v := []string{
		strconv.Itoa(u.Calls),
		strconv.Itoa(u.PromptTokens),
		strconv.Itoa(u.CompletionTokens),
		strconv.FormatFloat(u.Cost, 'f', -1, 64),
		strconv.Itoa(u.CacheHits),
	}
	h[headerLMCalls] = v[0:1:1]
	h[headerPromptTokens] = v[1:2:2]
	h[headerCompletionTokens] = v[2:3:3]
	h[headerCostUSD] = v[3:4:4]
	h[headerCacheHits] = v[4:5:5]
}

var clientRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestID keeps a well-formed X-Request-ID the client sent (so its own
// tracing lines up) and otherwise makes one.
func requestID(header http.Header) string {
	if id := header.Get(headerRequestID); id != "" && clientRequestID.MatchString(id) {
		return id
	}
	return strconv.FormatUint(rand.Uint64(), 16)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		buf.Reset()
		buf.WriteString(`{"error":{"code":"internal_error","message":"the response could not be encoded"}}`)
		status = http.StatusInternalServerError
	}
	writeRaw(w, status, buf.Bytes())
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
