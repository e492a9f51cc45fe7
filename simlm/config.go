package simlm

import (
	"errors"
	"fmt"
	"time"
)

// DefaultModel is the model name the server reports when Config.Model is empty.
const DefaultModel = "simlm-1"

// DefaultMaxConsecutiveFaults is the fault cap used when Faults.MaxConsecutive is zero.
const DefaultMaxConsecutiveFaults = 2

// DefaultRetryAfter is the Retry-After hint sent with 429 replies when
// Faults.RetryAfter is zero.
const DefaultRetryAfter = time.Second

// Config describes a simulated LM. The zero value is a fast, fault-free server
// with seed 0 and the default accuracy model.
type Config struct {
	// Seed selects one reproducible world: which answers are right, which
	// requests fault, which instructions get proposed. Two servers with the same
	// Config answer the same request with the same bytes.
	Seed int64
	// Model is the name reported by GET /v1/models. Chat replies echo the
	// model named in the request, or this one when the request names none.
	Model string
	// Latency delays every reply except 429s (a rate limiter answers fast).
	// It counts from the request's arrival, and the simulator works out the
	// reply meanwhile, so a client sees the drawn latency itself, not the
	// latency plus the time the simulator took over the request.
	Latency Latency
	// Faults injects errors, hangs and unparseable replies.
	Faults Faults
	// Accuracy tunes the arithmetic task model; nil means DefaultAccuracy().
	Accuracy *AccuracyModel
	// Prose is the share of structured requests, in [0, 1], answered in
	// plain sentences that ignore the requested format, as a model that does
	// not follow instructions does. Unlike Faults.Garbage it is a habit, not
	// a fault: the choice depends only on the seed and the request, so
	// retrying the same request gets prose again. Prompts that ask for no
	// format (reflections, plain text) are never affected.
	Prose float64
}

// LatencyKind names a latency distribution.
type LatencyKind int

const (
	// LatencyNone adds no delay and no timer at all.
	LatencyNone LatencyKind = iota
	// LatencyFixed delays every reply by Latency.Fixed.
	LatencyFixed
	// LatencyUniform draws the delay uniformly from [Latency.Min, Latency.Max].
	LatencyUniform
	// LatencyLogNormal draws exp(N(ln Median, Sigma²)), the long-tailed shape
	// of real model-serving latency. Draws are clipped to ±4 sigma.
	LatencyLogNormal
)

// String returns the name used by ParseConfig.
func (k LatencyKind) String() string {
	switch k {
	case LatencyNone:
		return "none"
	case LatencyFixed:
		return "fixed"
	case LatencyUniform:
		return "uniform"
	case LatencyLogNormal:
		return "lognormal"
	}
	return fmt.Sprintf("LatencyKind(%d)", int(k))
}

// Latency is a reply-delay distribution. Draws are deterministic per request.
type Latency struct {
	Kind LatencyKind
	// Fixed is the delay of LatencyFixed.
	Fixed time.Duration
	// Min and Max bound LatencyUniform.
	Min, Max time.Duration
	// Median and Sigma parameterise LatencyLogNormal.
	Median time.Duration
	Sigma  float64
}

// FixedLatency delays every reply by d.
func FixedLatency(d time.Duration) Latency { return Latency{Kind: LatencyFixed, Fixed: d} }

// UniformLatency draws delays uniformly from [lo, hi].
func UniformLatency(lo, hi time.Duration) Latency {
	return Latency{Kind: LatencyUniform, Min: lo, Max: hi}
}

// LogNormalLatency draws delays from a lognormal with the given median and
// sigma (the standard deviation of the log-delay).
func LogNormalLatency(median time.Duration, sigma float64) Latency {
	return Latency{Kind: LatencyLogNormal, Median: median, Sigma: sigma}
}

// Faults configures deterministic fault injection. Rates are fractions of
// requests in [0, 1] whose sum is at most 1. Whether a request faults depends on
// the seed, the request body and how many times that exact body has been seen,
// so a client that retries eventually succeeds: after MaxConsecutive faults in a
// row for the same body the next attempt always succeeds. While any rate is
// non-zero the server keeps a few bytes of bookkeeping per distinct body.
type Faults struct {
	// RateLimit is the fraction of requests answered 429 with a Retry-After header.
	RateLimit float64
	// ServerError is the fraction answered 500.
	ServerError float64
	// Hang is the fraction that never answer: the handler waits until the
	// client gives up (the request context ends) or HangFor elapses.
	Hang float64
	// Garbage is the fraction answered 200 OK with content that carries no
	// [[ ## field ## ]] markers and is not JSON, so adapters fail to parse it.
	Garbage float64
	// RetryAfter is the hint sent with 429s; zero means DefaultRetryAfter.
	RetryAfter time.Duration
	// HangFor bounds a hang; zero means hang until the client disconnects.
	// A hang that outlives HangFor ends in a normal (very slow) reply.
	HangFor time.Duration
	// MaxConsecutive caps faults in a row for the same request body; zero
	// means DefaultMaxConsecutiveFaults.
	MaxConsecutive int
}

// enabled reports whether any fault can fire, so the fault-free hot path can
// skip the per-body bookkeeping entirely.
func (f Faults) enabled() bool {
	return f.RateLimit > 0 || f.ServerError > 0 || f.Hang > 0 || f.Garbage > 0
}

func (f Faults) maxConsecutive() uint32 {
	if f.MaxConsecutive <= 0 {
		return DefaultMaxConsecutiveFaults
	}
	return uint32(f.MaxConsecutive)
}

func (f Faults) retryAfter() time.Duration {
	if f.RetryAfter <= 0 {
		return DefaultRetryAfter
	}
	return f.RetryAfter
}

// Validate reports configuration errors: negative or out-of-range rates,
// rates summing past 1, and inconsistent latency bounds.
func (c Config) Validate() error {
	var errs []error
	rates := []struct {
		name string
		v    float64
	}{
		{"err429", c.Faults.RateLimit}, {"err500", c.Faults.ServerError},
		{"hang", c.Faults.Hang}, {"garbage", c.Faults.Garbage},
	}
	sum := 0.0
	for _, r := range rates {
		if r.v < 0 || r.v > 1 {
			errs = append(errs, fmt.Errorf("%s rate %v is outside [0, 1]", r.name, r.v))
		}
		sum += r.v
	}
	if sum > 1+1e-9 {
		errs = append(errs, fmt.Errorf("fault rates sum to %v, more than 1", sum))
	}
	if c.Prose < 0 || c.Prose > 1 {
		errs = append(errs, fmt.Errorf("prose share %v is outside [0, 1]", c.Prose))
	}
	if c.Faults.MaxConsecutive < 0 {
		errs = append(errs, fmt.Errorf("max_faults %d is negative", c.Faults.MaxConsecutive))
	}
	l := c.Latency
	switch l.Kind {
	case LatencyNone:
	case LatencyFixed:
		if l.Fixed < 0 {
			errs = append(errs, fmt.Errorf("fixed latency %v is negative", l.Fixed))
		}
	case LatencyUniform:
		if l.Min < 0 || l.Max < l.Min {
			errs = append(errs, fmt.Errorf("uniform latency [%v, %v] is not a valid range", l.Min, l.Max))
		}
	case LatencyLogNormal:
		if l.Median <= 0 || l.Sigma < 0 {
			errs = append(errs, fmt.Errorf("lognormal latency needs median > 0 and sigma >= 0, got %v and %v", l.Median, l.Sigma))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown latency kind %d", int(l.Kind)))
	}
	if c.Accuracy != nil {
		if err := c.Accuracy.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c Config) model() string {
	if c.Model == "" {
		return DefaultModel
	}
	return c.Model
}
