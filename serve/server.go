package serve

import (
	"net/http"
	"time"
)

// Timeouts bound how long the HTTP server lets a connection take. They belong
// to the http.Server, not the handler; NewServer applies them.
type Timeouts struct {
	// ReadHeader bounds reading a request's headers (slow-client defence).
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included.
	Read time.Duration
	// Write bounds the time from the end of the request headers to the end of
	// the response, so it must outlast the queue timeout plus the longest run.
	Write time.Duration
	// Idle bounds how long a keep-alive connection waits for its next request.
	Idle time.Duration
}

// DefaultTimeouts are NewServer's defaults: short reads, a write bound that
// outlasts DefaultQueueTimeout plus a long multi-call program, and idle
// connections kept long enough for clients that pool them.
var DefaultTimeouts = Timeouts{
	ReadHeader: 10 * time.Second,
	Read:       time.Minute,
	Write:      10 * time.Minute,
	Idle:       2 * time.Minute,
}

// NewServer returns an http.Server for h on addr with timeouts t; zero fields
// take DefaultTimeouts'.
func NewServer(addr string, h http.Handler, t Timeouts) *http.Server {
	pick := func(v, d time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return d
	}
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: pick(t.ReadHeader, DefaultTimeouts.ReadHeader),
		ReadTimeout:       pick(t.Read, DefaultTimeouts.Read),
		WriteTimeout:      pick(t.Write, DefaultTimeouts.Write),
		IdleTimeout:       pick(t.Idle, DefaultTimeouts.Idle),
		MaxHeaderBytes:    64 << 10,
	}
}
