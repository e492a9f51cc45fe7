package serve

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// metricsNamespace prefixes every metric the handler exports.
const metricsNamespace = "dspy_serve"

// metrics are the handler's Prometheus collectors. Labels are program, model,
// status code and rejection reason: all bounded by configuration, never by
// what clients send.
type metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	queueWait   *prometheus.HistogramVec
	inFlight    *prometheus.GaugeVec
	rejected    *prometheus.CounterVec
	lmCalls     *prometheus.CounterVec
	cacheHits   *prometheus.CounterVec
	tokens      *prometheus.CounterVec
	cost        *prometheus.CounterVec
	droppedLogs prometheus.CounterFunc
}

// programMetrics are one program's children, looked up once so a request
// pays no label hashing for them.
type programMetrics struct {
	duration, queueWait           prometheus.Observer
	inFlight                      prometheus.Gauge
	lmCalls, cacheHits            prometheus.Counter
	promptTokens, completionToken prometheus.Counter
	cost                          prometheus.Counter
	// requests holds the program's requests_total child for each status
	// seen, so counting a request is a map load, not a label hash and a
	// vector lookup under its lock.
	requests     sync.Map // int -> prometheus.Counter
	requestsVec  *prometheus.CounterVec
	programLabel string
}

func newMetrics(reg prometheus.Registerer, dropped func() float64, withRuntime bool) (*metrics, error) {
	latency := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNamespace, Name: "requests_total",
			Help: "Program requests by program and HTTP status (499: the client went away)."}, []string{"program", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: metricsNamespace, Name: "request_duration_seconds",
			Help: "Time from receiving a program request to its response, queue wait included.", Buckets: latency}, []string{"program"}),
		queueWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: metricsNamespace, Name: "queue_wait_seconds",
			Help: "Time a program request waited for an admission slot.", Buckets: latency}, []string{"program"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: metricsNamespace, Name: "in_flight_requests",
			Help: "Program requests running now (admitted, not yet answered)."}, []string{"program"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNamespace, Name: "rejected_total",
			Help: "Program requests refused before running, by reason (queue_full, queue_timeout, draining, not_ready)."}, []string{"program", "reason"}),
		lmCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNamespace, Name: "lm_calls_total",
			Help: "LM calls made by program requests, cache hits included."}, []string{"program", "model"}),
		cacheHits: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNamespace, Name: "lm_cache_hits_total",
			Help: "LM calls answered from the cache."}, []string{"program", "model"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNamespace, Name: "lm_tokens_total",
			Help: "LM tokens by kind (prompt, completion)."}, []string{"program", "model", "kind"}),
		cost: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metricsNamespace, Name: "lm_cost_usd_total",
			Help: "LM cost in US dollars, where the model's prices are known."}, []string{"program", "model"}),
		droppedLogs: prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: metricsNamespace, Name: "request_log_dropped_total",
			Help: "Request log lines dropped because the log buffer was full."}, dropped),
	}
	cs := []prometheus.Collector{m.requests, m.duration, m.queueWait, m.inFlight, m.rejected, m.lmCalls, m.cacheHits, m.tokens, m.cost, m.droppedLogs}
	if withRuntime {
		cs = append(cs, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) forProgram(program, model string) *programMetrics {
	return &programMetrics{
		duration:        m.duration.WithLabelValues(program),
		queueWait:       m.queueWait.WithLabelValues(program),
		inFlight:        m.inFlight.WithLabelValues(program),
		lmCalls:         m.lmCalls.WithLabelValues(program, model),
		cacheHits:       m.cacheHits.WithLabelValues(program, model),
		promptTokens:    m.tokens.WithLabelValues(program, model, "prompt"),
		completionToken: m.tokens.WithLabelValues(program, model, "completion"),
		cost:            m.cost.WithLabelValues(program, model),
		requestsVec:     m.requests,
		programLabel:    program,
	}
}

func (pm *programMetrics) addUsage(u dspy.Usage) {
	if u.Calls == 0 {
		return
	}
	pm.lmCalls.Add(float64(u.Calls))
	pm.cacheHits.Add(float64(u.CacheHits))
	pm.promptTokens.Add(float64(u.PromptTokens))
	pm.completionToken.Add(float64(u.CompletionTokens))
	pm.cost.Add(u.Cost)
}

// countRequest counts one answered request by its status.
func (pm *programMetrics) countRequest(status int) {
	if c, ok := pm.requests.Load(status); ok {
		c.(prometheus.Counter).Inc()
		return
	}
	c, _ := pm.requests.LoadOrStore(status, pm.requestsVec.WithLabelValues(pm.programLabel, strconv.Itoa(status)))
	c.(prometheus.Counter).Inc()
}
