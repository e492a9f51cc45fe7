package simlm

import "sync/atomic"

// Stats counts what the server has done since it was created. Every chat or
// embeddings request is counted once in Requests and once in exactly one outcome:
// Succeeded, Prose, Garbage, RateLimited, ServerErrors, BadRequests or
// Canceled. Hangs counts injected hangs; a hang ends as Canceled when the
// client gives up, or as an answer (Succeeded or Prose) when Faults.HangFor
// elapses first.
type Stats struct {
	// Requests is the number of chat-completion and embeddings requests received.
	Requests int64
	// Embeddings is how many of Requests were embeddings requests.
	Embeddings int64
	// EmbeddedInputs is the number of texts embedded in successful
	// embeddings replies.
	EmbeddedInputs int64
	// Succeeded replies were well-formed answers.
	Succeeded int64
	// Prose replies were 200 OK answers in plain sentences that ignored the
	// requested format (Config.Prose).
	Prose int64
	// Garbage replies were 200 OK with unparseable content (injected).
	Garbage int64
	// RateLimited replies were 429 (injected).
	RateLimited int64
	// ServerErrors replies were 500 (injected).
	ServerErrors int64
	// Hangs is the number of injected hangs.
	Hangs int64
	// BadRequests were rejected as malformed (400).
	BadRequests int64
	// Canceled requests ended because the client went away or the server closed
	// before the reply was written.
	Canceled int64
	// InFlight is the number of requests being handled now.
	InFlight int64
	// MaxInFlight is the most requests ever handled at once.
	MaxInFlight int64
}

// Faults is the number of injected faults of every kind.
func (s Stats) Faults() int64 { return s.Garbage + s.RateLimited + s.ServerErrors + s.Hangs }

type counters struct {
	requests, succeeded, prose, garbage, rateLimited, serverErrors atomic.Int64
	hangs, badRequests, canceled, inFlight, maxInFlight            atomic.Int64
	embeddings, embeddedInputs                                     atomic.Int64
}

func (c *counters) enter() {
	n := c.inFlight.Add(1)
	for {
		m := c.maxInFlight.Load()
		if n <= m || c.maxInFlight.CompareAndSwap(m, n) {
			return
		}
	}
}

func (c *counters) snapshot() Stats {
	return Stats{
		Requests:       c.requests.Load(),
		Embeddings:     c.embeddings.Load(),
		EmbeddedInputs: c.embeddedInputs.Load(),
		Succeeded:      c.succeeded.Load(),
		Prose:          c.prose.Load(),
		Garbage:        c.garbage.Load(),
		RateLimited:    c.rateLimited.Load(),
		ServerErrors:   c.serverErrors.Load(),
		Hangs:          c.hangs.Load(),
		BadRequests:    c.badRequests.Load(),
		Canceled:       c.canceled.Load(),
		InFlight:       c.inFlight.Load(),
		MaxInFlight:    c.maxInFlight.Load(),
	}
}
