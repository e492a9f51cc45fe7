package lm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"golang.org/x/time/rate"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// Client is the default dspy.LM: chat completions against an
// OpenAI-compatible endpoint, with retries, limits, a cache, usage accounting
// and history. It is safe for concurrent use; share one per endpoint so that
// its limits and counters cover every caller.
type Client struct {
	oa      openai.Client
	model   string
	baseURL string // with any user:password removed, for messages
	apiKey  string // only for redaction; openai-go holds the one it sends

	temperature *float64
	maxTokens   int
	timeout     time.Duration

	maxRetries     int
	initialBackoff time.Duration
	maxBackoff     time.Duration

	slots   *slots        // nil when concurrency is unlimited
	limiter *rate.Limiter // nil when the rate is unlimited
	cache   Cache
	prices  priceTable
	priced  sync.Map // model name -> priceLookup, memoising prefix matches
	history *history // nil when history is off

	mu    sync.Mutex
	usage dspy.Usage

	// Seams for tests: how the client waits between attempts and draws jitter.
	sleep  func(context.Context, time.Duration) error
	jitter func(time.Duration) time.Duration
}

var _ dspy.LM = (*Client)(nil)

type priceLookup struct {
	price Price
	ok    bool
}

// New returns a client for opts, filling defaults from the environment and
// the Default constants. It fails on a missing model, a malformed base URL or
// negative limits; it does not contact the server.
func New(opts Options) (*Client, error) {
	if opts.Model == "" {
		return nil, errors.New("lm: Options.Model is required")
	}
	base := opts.BaseURL
	if base == "" {
		base = os.Getenv(EnvBaseURL)
	}
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("lm: base URL %q is not an http(s) URL; set Options.BaseURL or %s (e.g. http://localhost:8000/v1)", redactURL(base), EnvBaseURL)
	}
	switch {
	case opts.MaxRetries < 0:
		return nil, fmt.Errorf("lm: Options.MaxRetries is %d; want 0 or more", opts.MaxRetries)
	case opts.MaxConcurrency < 0:
		return nil, fmt.Errorf("lm: Options.MaxConcurrency is %d; want 0 (no cap) or more", opts.MaxConcurrency)
	case opts.RequestsPerSecond < 0 || math.IsNaN(opts.RequestsPerSecond):
		return nil, fmt.Errorf("lm: Options.RequestsPerSecond is %v; want 0 (no limit) or more", opts.RequestsPerSecond)
	case opts.HistorySize < 0:
		return nil, fmt.Errorf("lm: Options.HistorySize is %d; want 0 (off) or more", opts.HistorySize)
	}
	apiKey := opts.APIKey
	if apiKey == "" {
		apiKey = os.Getenv(EnvAPIKey)
	}

	c := &Client{
		model:          opts.Model,
		baseURL:        redactURL(base),
		apiKey:         apiKey,
		temperature:    opts.Temperature,
		maxTokens:      opts.MaxTokens,
		timeout:        opts.Timeout,
		maxRetries:     opts.MaxRetries,
		initialBackoff: opts.InitialBackoff,
		maxBackoff:     opts.MaxBackoff,
		cache:          opts.Cache,
		prices:         newPriceTable(opts.Prices),
		history:        newHistory(opts.HistorySize),
		sleep:          sleepContext,
		jitter:         randJitter,
	}
	if c.temperature != nil {
		t := *c.temperature // the caller's variable must not change our default later
		c.temperature = &t
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.initialBackoff <= 0 {
		c.initialBackoff = DefaultInitialBackoff
	}
	if c.maxBackoff <= 0 {
		c.maxBackoff = DefaultMaxBackoff
	}
	if c.maxBackoff < c.initialBackoff {
		c.maxBackoff = c.initialBackoff
	}
	if opts.MaxConcurrency > 0 {
		c.slots = newSlots(opts.MaxConcurrency, slotHold)
	}
	if opts.RequestsPerSecond > 0 {
		burst := opts.Burst
		if burst <= 0 {
			burst = max(1, int(math.Ceil(opts.RequestsPerSecond)))
		}
		c.limiter = rate.NewLimiter(rate.Limit(opts.RequestsPerSecond), burst)
	}

	httpClient := opts.HTTPClient
	if httpClient == nil {
		httpClient = newHTTPClient(opts.MaxConcurrency)
	}
	c.oa = openai.NewClient(
		option.WithBaseURL(base),
		option.WithAPIKey(apiKey),
		option.WithHTTPClient(httpClient),
		// This client owns retries, so it can honour Retry-After, classify
		// failures and be switched off for an outer retry owner as a whole.
		option.WithMaxRetries(0),
		option.WithMiddleware(inMemoryBody),
	)
	return c, nil
}

// newHTTPClient keeps enough idle connections to the one host for every
// concurrent call; net/http's default of two per host would make most calls
// under load open a fresh connection.
func newHTTPClient(maxConcurrency int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	idle := max(maxConcurrency, 256)
	t.MaxIdleConns = idle
	t.MaxIdleConnsPerHost = idle
	return &http.Client{Transport: t}
}

// redactURL drops any user:password from a URL before it is shown.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// ModelName is the default model, as saved in a program's state.
func (c *Client) ModelName() string { return c.model }

// Usage returns the totals over every call so far, failed ones included.
// Token counts include cache hits (what they would have cost); Cost does
// not, and Calls minus CacheHits is the number of requests the server
// answered, retried attempts included.
func (c *Client) Usage() dspy.Usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.usage
}

// History returns up to Options.HistorySize most recent calls, oldest first.
func (c *Client) History() []HistoryEntry {
	if c.history == nil {
		return nil
	}
	return c.history.snapshot()
}

// CacheKey returns the key req is cached under by this client: the hex
// SHA-256 of the request's canonical JSON after the client's defaults are
// applied. Neither the API key nor the base URL is part of it.
func (c *Client) CacheKey(req dspy.LMRequest) string {
	return cacheKey(c.resolve(req))
}

// Call sends req and returns its completions.
//
// A cached answer is returned without contacting the server, with CacheHit
// set and zero Cost. Otherwise the request is sent, retried on retryable
// failures up to Options.MaxRetries times, and a success is cached. Failures
// are *dspy.LMError, except that a canceled ctx yields an error wrapping
// context.Canceled, which no one should retry.
//
// The response's Usage counts every attempt the server answered, as
// dspy.Usage describes: a reply after one HTTP 500 counts two calls and the
// reply's tokens. A failure returns, beside the error, a response whose Usage
// counts the attempts the server answered (and no tokens: error replies carry
// none). Usage totals the same way.
func (c *Client) Call(ctx context.Context, req dspy.LMRequest) (dspy.LMResponse, error) {
	p, cached, hit, err := c.begin(req)
	if err != nil || hit {
		return cached, err
	}
	resp, sent, err := c.send(ctx, p.req.Model, p.body)
	if err != nil {
		return c.settle(p.start, p.key, p.req, dspy.LMResponse{}, sent, err)
	}
	return c.settle(p.start, p.key, p.req, resp, sent, nil)
}

// pendingCall is a call, streamed or not, on its way to the network.
type pendingCall struct {
	req   dspy.LMRequest // resolved against the client's defaults
	start time.Time      // set only when a history records the call
	key   string         // its cache key, when there is a cache
	body  []byte
}

// begin is how every call starts: it resolves req, answers it from the cache
// when it can (hit), and otherwise encodes its body. A request no server
// would accept is recorded and returned as a bad-request *dspy.LMError.
func (c *Client) begin(req dspy.LMRequest) (p pendingCall, cached dspy.LMResponse, hit bool, err error) {
	if c.history != nil {
		p.start = time.Now()
	}
	p.req = c.resolve(req)
	if c.cache != nil {
		p.key = cacheKey(p.req)
		if resp, ok := c.fromCache(p.key, p.start, p.req); ok {
			return p, resp, true, nil
		}
	}
	if p.body, err = encodeRequest(p.req); err != nil {
		lmErr := &dspy.LMError{Kind: dspy.ErrKindBadRequest, Model: p.req.Model, BaseURL: c.baseURL, Err: err}
		c.record(p.start, p.req, dspy.LMResponse{}, 0, lmErr)
		return p, dspy.LMResponse{}, false, lmErr
	}
	return p, dspy.LMResponse{}, false, nil
}

// settle ends a call that reached the network: it counts the attempts the
// server answered, prices and caches a reply, and accounts for the call in
// the client's usage and history. A failure returns a response that counts
// the answered attempts and nothing else, beside err.
func (c *Client) settle(start time.Time, key string, req dspy.LMRequest, resp dspy.LMResponse, sent sendCount, err error) (dspy.LMResponse, error) {
	if err != nil {
		failed := dspy.LMResponse{Model: req.Model, Usage: dspy.Usage{Calls: sent.answered}}
		c.addUsage(failed.Usage)
		c.record(start, req, failed, sent.attempts, err)
		return failed, err
	}
	resp.Usage.Calls = sent.answered
	if p, ok := c.price(resp.Model, req.Model); ok {
		resp.Usage.Cost = p.Cost(resp.Usage.PromptTokens, resp.Usage.CompletionTokens)
	}
	if c.cache != nil {
		c.cache.Put(key, resp)
	}
	c.addUsage(resp.Usage)
	c.record(start, req, resp, sent.attempts, nil)
	return resp, nil
}

// sendCount is how many requests one call sent, and how many of them the
// server answered with an HTTP status (a success or an error reply).
type sendCount struct{ attempts, answered int }

// send makes attempts until one succeeds, a failure is not retryable, the
// retries run out or ctx ends.
func (c *Client) send(ctx context.Context, model string, body []byte) (dspy.LMResponse, sendCount, error) {
	var resp dspy.LMResponse
	n, err := c.retry(ctx, model, func() *dspy.LMError {
		var lmErr *dspy.LMError
		resp, lmErr = c.attempt(ctx, model, body)
		return lmErr
	})
	return resp, n, err
}

// retry calls try until it succeeds, a failure is not retryable, the retries
// run out or ctx ends, waiting between attempts as the server asked or by
// backoff. Chat completions and embeddings share it.
func (c *Client) retry(ctx context.Context, model string, try func() *dspy.LMError) (sendCount, error) {
	var n sendCount
	var last *dspy.LMError
	for {
		n.attempts++
		lmErr := try()
		if lmErr == nil || lmErr.StatusCode != 0 {
			n.answered++
		}
		if lmErr == nil {
			return n, nil
		}
		if ctx.Err() != nil {
			return n, c.contextError(ctx, model, lmErr)
		}
		last = lmErr
		if !last.Retryable() || n.attempts > c.maxRetries {
			return n, last
		}
		delay, ok := c.retryDelay(n.attempts, last.RetryAfter)
		if !ok {
			return n, last
		}
		if deadline, has := ctx.Deadline(); has && time.Until(deadline) < delay {
			// Waiting would outlive the caller; hand back the real failure now.
			return n, last
		}
		traceRetry(ctx, n.attempts, last, delay)
		if err := c.sleep(ctx, delay); err != nil {
			return n, c.contextError(ctx, model, last)
		}
	}
}

// attempt sends one request, within the concurrency cap and rate limit.
func (c *Client) attempt(ctx context.Context, model string, body []byte) (dspy.LMResponse, *dspy.LMError) {
	attemptCtx, done, lmErr := c.startAttempt(ctx, model)
	if lmErr != nil {
		return dspy.LMResponse{}, lmErr
	}
	defer done()
	// openai-go still sends the request (base URL, auth, headers, error
	// decoding); the body and reply go through the lighter types of wire.go,
	// and a successful reply is handed over unread for decodeReply.
	var res *http.Response
	if err := c.oa.Post(attemptCtx, "chat/completions", body, &res); err != nil {
		return dspy.LMResponse{}, c.classify(err, model, ctx, attemptCtx)
	}
	var cc chatCompletion
	if err := decodeReply(res, &cc); err != nil {
		return dspy.LMResponse{}, c.classify(err, model, ctx, attemptCtx)
	}
	if len(cc.Choices) == 0 {
		// The server did answer (and may bill it), so the error keeps the status.
		e := c.lmError(dspy.ErrKindServer, model, errors.New("the server answered with no choices"))
		e.StatusCode = http.StatusOK
		return dspy.LMResponse{}, e
	}
	return mapResponse(&cc, model), nil
}

// acquire waits for a concurrency slot, in the order of the precedence ctx
// carries (dspy.WithPrecedence), and then for a rate-limit token. After a
// nil error the caller holds a slot, which release with the same ctx gives
// back.
func (c *Client) acquire(ctx context.Context, model string) *dspy.LMError {
	if c.slots != nil {
		if err := c.slots.acquire(ctx, dspy.PrecedenceFromContext(ctx)); err != nil {
			return c.lmError(dspy.ErrKindTimeout, model, err)
		}
	}
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			c.release(ctx)
			if ctx.Err() != nil {
				return c.lmError(dspy.ErrKindTimeout, model, ctx.Err())
			}
			return c.lmError(dspy.ErrKindRateLimit, model,
				fmt.Errorf("Options.RequestsPerSecond leaves no slot before the context deadline: %w", err))
		}
	}
	return nil
}

// release gives back the slot acquire took for ctx.
func (c *Client) release(ctx context.Context) {
	if c.slots != nil {
		c.slots.release(dspy.PrecedenceFromContext(ctx))
	}
}

func (c *Client) lmError(kind dspy.LMErrorKind, model string, err error) *dspy.LMError {
	return &dspy.LMError{Kind: kind, Model: model, BaseURL: c.baseURL, Err: err}
}

// contextError reports a call ended by its context. A passed deadline is a
// retryable timeout; a cancellation is not an LM failure at all.
func (c *Client) contextError(ctx context.Context, model string, last *dspy.LMError) error {
	cause := ctx.Err()
	if errors.Is(cause, context.Canceled) {
		return fmt.Errorf("lm %s: call canceled: %w", model, cause)
	}
	if last != nil && last.Kind != dspy.ErrKindTimeout {
		return c.lmError(dspy.ErrKindTimeout, model, fmt.Errorf("%w after: %v", cause, last.Err))
	}
	return c.lmError(dspy.ErrKindTimeout, model, cause)
}

// price finds the price of the model that answered, falling back to the one
// asked for (servers may answer with a name the table does not know).
func (c *Client) price(answered, requested string) (Price, bool) {
	for _, m := range [2]string{answered, requested} {
		if m == "" {
			continue
		}
		v, ok := c.priced.Load(m)
		if !ok {
			p, found := c.prices.lookup(m)
			v, _ = c.priced.LoadOrStore(m, priceLookup{price: p, ok: found})
		}
		if l := v.(priceLookup); l.ok {
			return l.price, true
		}
	}
	return Price{}, false
}

func (c *Client) addUsage(u dspy.Usage) {
	c.mu.Lock()
	c.usage = c.usage.Add(u)
	c.mu.Unlock()
}

// record appends a call to the history when history is on.
func (c *Client) record(start time.Time, req dspy.LMRequest, resp dspy.LMResponse, attempts int, err error) {
	if c.history == nil {
		return
	}
	e := HistoryEntry{
		Time:     start,
		Duration: time.Since(start),
		Model:    req.Model,
		Messages: slices.Clone(req.Messages),
		Rollout:  req.Rollout,
		Outputs:  slices.Clone(resp.Outputs),
		Usage:    resp.Usage,
		CacheHit: resp.CacheHit,
		Attempts: attempts,
	}
	if err != nil {
		e.Error = c.redactString(err.Error())
	}
	c.history.add(e)
}

// String names the client by model and endpoint. It exists so that printing
// a Client with any fmt verb can never show the fields holding the key.
func (c *Client) String() string {
	return "lm.Client{model: " + c.model + ", base: " + strings.TrimSuffix(c.baseURL, "/") + "}"
}

// GoString is String, for the %#v verb.
func (c *Client) GoString() string { return c.String() }

// fromCache returns the response cached under key, marked as a cache hit
// that counts one call and costs nothing, and accounts for it in the
// client's usage and history.
func (c *Client) fromCache(key string, start time.Time, req dspy.LMRequest) (dspy.LMResponse, bool) {
	resp, ok := c.cache.Get(key)
	if !ok {
		return dspy.LMResponse{}, false
	}
	resp.CacheHit = true
	resp.Usage = dspy.Usage{
		PromptTokens:     resp.Usage.PromptTokens,
		CompletionTokens: resp.Usage.CompletionTokens,
		Calls:            1,
		CacheHits:        1,
	}
	c.addUsage(resp.Usage)
	c.record(start, req, resp, 0, nil)
	return resp, true
}

// startAttempt takes a slot under the concurrency cap and rate limit for one
// attempt and gives it its own timeout. done releases both.
func (c *Client) startAttempt(ctx context.Context, model string) (attemptCtx context.Context, done func(), lmErr *dspy.LMError) {
	if lmErr := c.acquire(ctx, model); lmErr != nil {
		return nil, nil, lmErr
	}
	if c.timeout <= 0 {
		return ctx, func() { c.release(ctx) }, nil
	}
	attemptCtx, cancel := context.WithTimeout(ctx, c.timeout)
	return attemptCtx, func() { cancel(); c.release(ctx) }, nil
}
