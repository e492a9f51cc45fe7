package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
)

// ThroughputOptions configure RunThroughput.
type ThroughputOptions struct {
	// Concurrency lists the levels to measure (default 16, 64, 256, 1024).
	Concurrency []int
	// Rounds is how many examples each concurrent slot runs at a level: a
	// level runs Rounds × concurrency examples (default 4). One more round
	// runs first as a warm-up, opening the connections.
	Rounds int
	// SequentialCalls is the number of examples of the one-at-a-time
	// baseline (default 20).
	SequentialCalls int
	// Metric scores the examples; nil means exact match on "answer".
	Metric evaluate.Metric
}

// ThroughputLevel is one evaluation at one concurrency.
type ThroughputLevel struct {
	Concurrency int     `json:"concurrency"`
	Examples    int     `json:"examples"`
	LMCalls     int64   `json:"lm_calls"`
	Errors      int     `json:"errors"`
	WallMS      float64 `json:"wall_ms"`
	CallsPerSec float64 `json:"calls_per_sec"`
	// IdealCallsPerSec is concurrency / LM latency: what the level would
	// reach if the framework and the machine cost nothing.
	IdealCallsPerSec float64 `json:"ideal_calls_per_sec"`
	ShareOfIdeal     float64 `json:"share_of_ideal"`
	// SteadyCallsPerSec is the rate between the first round's last reply and
	// the last round's first (see Completions.SteadyRate), and
	// SteadyShareOfIdeal its share of the ideal; both are zero for a run of
	// fewer than three rounds.
	SteadyCallsPerSec  float64 `json:"steady_calls_per_sec,omitempty"`
	SteadyShareOfIdeal float64 `json:"steady_share_of_ideal,omitempty"`
	// Speedup is CallsPerSec over the sequential baseline's.
	Speedup float64 `json:"speedup"`
}

// ThroughputReport compares sequential and parallel evaluation.
type ThroughputReport struct {
	// LatencyMS is the LM latency the ideal is computed from, and
	// LatencySource says where it came from.
	LatencyMS     float64           `json:"latency_ms"`
	LatencySource string            `json:"latency_source"`
	Sequential    ThroughputLevel   `json:"sequential"`
	Levels        []ThroughputLevel `json:"levels"`
}

// NewThroughputLevel computes a level's rates from what was counted.
// latency is the LM latency of the ideal; seqCallsPerSec the sequential
// baseline's rate (0 while computing the baseline itself).
func NewThroughputLevel(concurrency, examples, errors int, lmCalls int64, wall, latency time.Duration, seqCallsPerSec float64) ThroughputLevel {
	l := ThroughputLevel{Concurrency: concurrency, Examples: examples, LMCalls: lmCalls, Errors: errors, WallMS: round(ms(wall), 3)}
	l.CallsPerSec = round(ratio(float64(lmCalls), wall.Seconds()), 2)
	if latency > 0 {
		// A program making k LM calls per example needs k latencies per
		// example, so the ideal counts calls, not examples.
		l.IdealCallsPerSec = round(float64(concurrency)/latency.Seconds(), 2)
		l.ShareOfIdeal = round(ratio(l.CallsPerSec, l.IdealCallsPerSec), 4)
	}
	if seqCallsPerSec > 0 {
		l.Speedup = round(l.CallsPerSec/seqCallsPerSec, 2)
	} else {
		l.Speedup = 1
	}
	return l
}

// RunThroughput evaluates the program one example at a time, then at each
// concurrency, and reports calls per second against the ideal.
func RunThroughput(ctx context.Context, t Target, opts ThroughputOptions) (ThroughputReport, error) {
	if err := t.validate(); err != nil {
		return ThroughputReport{}, err
	}
	if len(opts.Concurrency) == 0 {
		opts.Concurrency = []int{16, 64, 256, 1024}
	}
	if opts.Rounds <= 0 {
		opts.Rounds = 4
	}
	if opts.SequentialCalls <= 0 {
		opts.SequentialCalls = 20
	}
	if opts.Metric == nil {
		opts.Metric = evaluate.ExactMatch("answer")
	}

	var rep ThroughputReport
	seq, meanLatency, err := runLevel(ctx, t, opts.Metric, 1, opts.SequentialCalls, 1, 0, 0)
	if err != nil {
		return ThroughputReport{}, err
	}
	latency := t.SimLatency
	rep.LatencySource = "simulated LM's fixed latency"
	if latency <= 0 {
		latency = meanLatency
		rep.LatencySource = "mean LM round trip of the sequential run"
	}
	rep.LatencyMS = round(ms(latency), 3)
	seq = NewThroughputLevel(1, seq.Examples, seq.Errors, seq.LMCalls, time.Duration(seq.WallMS*float64(time.Millisecond)), latency, 0)
	rep.Sequential = seq
	for _, c := range opts.Concurrency {
		if c <= 0 {
			return ThroughputReport{}, fmt.Errorf("bench: concurrency %d: want a positive number", c)
		}
		l, _, err := runLevel(ctx, t, opts.Metric, c, c*opts.Rounds, c, latency, seq.CallsPerSec)
		if err != nil {
			return ThroughputReport{}, err
		}
		rep.Levels = append(rep.Levels, l)
	}
	return rep, nil
}

// runLevel runs one warm-up evaluation of warm examples and then a measured
// one of n examples at concurrency c, on a fresh client. It also returns the
// mean LM round trip of the measured run.
func runLevel(ctx context.Context, t Target, metric evaluate.Metric, c, n, warm int, latency time.Duration, seqRate float64) (ThroughputLevel, time.Duration, error) {
	client, timer, err := t.client(c)
	if err != nil {
		return ThroughputLevel{}, 0, err
	}
	program, err := t.Program()
	if err != nil {
		return ThroughputLevel{}, 0, fmt.Errorf("bench: build program: %w", err)
	}
	ctx = withLM(ctx, client)
	opts := evaluate.Options{Concurrency: c, MaxErrors: -1, Progress: evaluate.ProgressOff}
	if _, err := evaluate.Evaluate(ctx, program, t.examples(warm), metric, opts); err != nil {
		return ThroughputLevel{}, 0, fmt.Errorf("bench: warm-up at concurrency %d: %w", c, err)
	}
	// The metric runs as each example's program returns, so its calls mark
	// the completions the steady-state rate is taken from.
	done := NewCompletions(n)
	timed := func(ctx context.Context, gold dspy.Example, pred dspy.Prediction, trace *dspy.Trace) (evaluate.Score, error) {
		done.Done()
		return metric(ctx, gold, pred, trace)
	}
	wireBefore, callsBefore := timer.Total()
	res, err := evaluate.Evaluate(ctx, program, t.examples(n), timed, opts)
	if err != nil {
		return ThroughputLevel{}, 0, fmt.Errorf("bench: evaluate at concurrency %d: %w", c, err)
	}
	wireAfter, callsAfter := timer.Total()
	calls := callsAfter - callsBefore
	var mean time.Duration
	if calls > 0 {
		mean = (wireAfter - wireBefore) / time.Duration(calls)
	}
	l := NewThroughputLevel(c, res.Total, res.Errors, calls, res.Duration, latency, seqRate)
	if rate, ok := done.SteadyRate(c); ok && res.Total > 0 {
		l.setSteady(rate*float64(calls)/float64(res.Total), latency)
	}
	return l, mean, nil
}

// setSteady records the steady-state rate, in LM calls per second.
func (l *ThroughputLevel) setSteady(callsPerSec float64, latency time.Duration) {
	l.SteadyCallsPerSec = round(callsPerSec, 2)
	if latency > 0 {
		l.SteadyShareOfIdeal = round(ratio(l.SteadyCallsPerSec, float64(l.Concurrency)/latency.Seconds()), 4)
	}
}
