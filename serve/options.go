package serve

import (
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults applied to zero-valued options.
const (
	// DefaultMaxConcurrent caps the program requests running at once across
	// the handler, and each program's when its Limits leave it zero.
	DefaultMaxConcurrent = 256
	// DefaultMaxQueue is how many requests may wait for one program's slot.
	DefaultMaxQueue = 1024
	// DefaultQueueTimeout is how long a request waits for a slot before a 429.
	DefaultQueueTimeout = 30 * time.Second
	// DefaultMaxBodyBytes bounds a request body; larger ones get a 413.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultLogMaxSizeMB is the size at which the request log rotates.
	DefaultLogMaxSizeMB = 100
	// DefaultLogMaxBackups is how many rotated request logs are kept.
	DefaultLogMaxBackups = 10
	// RequestLogFile is the request log's name inside Options.LogDir.
	RequestLogFile = "requests.jsonl"
)

// Options configure a Handler. Only Programs is required; every other zero
// value is a working default.
type Options struct {
	// Programs are served under /v1/programs/{name}.
	Programs []Program

	// MaxConcurrent caps program requests running at once over all programs;
	// zero means DefaultMaxConcurrent.
	MaxConcurrent int
	// Limits are the defaults for each program's own Limits.
	Limits Limits
	// MaxBodyBytes bounds a request body; zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// Auth configures bearer tokens; the zero value lets every request in.
	Auth Auth
	// CORS configures cross-origin access; the zero value sends no CORS headers.
	CORS CORS

	// MCP mounts MCPHandler at MCPPath, so MCP clients can call the programs
	// as tools.
	MCP bool

	// LogDir, when set, receives the request log as RequestLogFile, rotated
	// by size. LogWriter, when set instead, receives the lines as they are.
	// With neither, no request log is written.
	LogDir    string
	LogWriter io.Writer
	// LogMaxSizeMB and LogMaxBackups shape rotation in LogDir; zero means
	// DefaultLogMaxSizeMB and DefaultLogMaxBackups.
	LogMaxSizeMB  int
	LogMaxBackups int
	// LogBuffer is how many lines may wait for the log writer; zero means
	// DefaultLogBuffer. Lines beyond it are dropped and counted in
	// dspy_serve_request_log_dropped_total, never waited for.
	LogBuffer int
	// RedactInputs and RedactOutputs replace inputs or outputs in the request
	// log with "[redacted]".
	RedactInputs  bool
	RedactOutputs bool

	// Registry receives the handler's metrics and is what /metrics serves.
	// Nil means a registry of the handler's own, with Go runtime and process
	// metrics added.
	Registry *prometheus.Registry
	// Logger receives operational messages (reloads, log write failures);
	// nil means slog.Default().
	Logger *slog.Logger
	// Title names the service in the OpenAPI document; empty means "DSPy programs".
	Title string
}

// Limits bound one program's admission.
type Limits struct {
	// MaxConcurrent is how many of the program's requests run at once.
	MaxConcurrent int
	// MaxQueue is how many may wait for a slot; more get a 429 at once.
	MaxQueue int
	// QueueTimeout is how long one may wait for a slot before a 429.
	QueueTimeout time.Duration
	// RequestTimeout, when set, bounds a request's run (after admission):
	// past it the program's LM calls are cancelled and the client gets a 504.
	RequestTimeout time.Duration
}

// withDefaults fills zero limits from the handler-wide ones.
func (l Limits) withDefaults(d Limits, maxConcurrent int) Limits {
	if l.MaxConcurrent <= 0 {
		l.MaxConcurrent = d.MaxConcurrent
	}
	if l.MaxConcurrent <= 0 {
		l.MaxConcurrent = maxConcurrent
	}
	if l.MaxQueue <= 0 {
		l.MaxQueue = d.MaxQueue
	}
	if l.MaxQueue <= 0 {
		l.MaxQueue = DefaultMaxQueue
	}
	if l.QueueTimeout <= 0 {
		l.QueueTimeout = d.QueueTimeout
	}
	if l.QueueTimeout <= 0 {
		l.QueueTimeout = DefaultQueueTimeout
	}
	if l.RequestTimeout <= 0 {
		l.RequestTimeout = d.RequestTimeout
	}
	return l
}
