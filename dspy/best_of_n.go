package dspy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
)

// RewardFunc scores a prediction made from inputs; higher is better. An error
// counts the attempt as failed. It runs outside the attempt's trace, so LM
// calls it makes (an LM judge) are not mistaken for the program's.
type RewardFunc func(ctx context.Context, inputs Example, pred Prediction) (float64, error)

// BestOfN runs a module up to N times, each attempt a fresh sample (rollout
// start+i at temperature 1.0, where start is the context's rollout), and
// returns the first prediction whose reward reaches Threshold, or else the one
// with the highest reward. Only the chosen attempt's predictor calls are added
// to the caller's trace, so bootstrapping learns from the best attempt.
type BestOfN struct {
	// Module is the program sampled; its predictors are BestOfN's, under "module".
	Module Module
	// N is the maximum number of attempts.
	N int
	// Reward scores each attempt.
	Reward RewardFunc
	// Threshold ends the search early once an attempt's reward reaches it.
	Threshold float64
	// FailCount is how many failed attempts are tolerated; the next failure is
	// returned as the error. Zero means N. If every attempt fails, the last
	// error is returned whatever FailCount is.
	FailCount int
}

// NewBestOfN returns a BestOfN over m with DSPy's arguments.
func NewBestOfN(m Module, n int, reward RewardFunc, threshold float64) *BestOfN {
	return &BestOfN{Module: m, N: n, Reward: reward, Threshold: threshold}
}

// Predictors returns the wrapped module's predictors under "module", the
// attribute DSPy stores it in, so saved programs have the same paths.
func (b *BestOfN) Predictors() []NamedPredictor {
	if b.Module == nil {
		return nil
	}
	return PrefixPredictors("module", b.Module.Predictors())
}

// Call samples the module until an attempt reaches the threshold or N attempts
// were made. The prediction's Usage covers every successful attempt.
func (b *BestOfN) Call(ctx context.Context, inputs Example) (_ Prediction, err error) {
	ctx, span := startModuleSpan(ctx, b, "BestOfN")
	defer span.end(&err)
	if err := checkSampler("best of n", b.Module, b.N, b.Reward); err != nil {
		return Prediction{}, err
	}
	s := newSampler(ctx, "best of n", b.N, b.FailCount)
	for i := 0; i < b.N; i++ {
		if err := ctx.Err(); err != nil {
			return Prediction{}, fmt.Errorf("best of n: %w", err)
		}
		trace := NewTrace()
		pred, reward, err := runAttempt(s.attemptContext(ctx, i, trace), ctx, b.Module, b.Reward, inputs)
		if err != nil {
			if stop := s.fail(ctx, i, err); stop != nil {
				return Prediction{}, stop
			}
			continue
		}
		s.record(pred, reward, trace)
		if reward >= b.Threshold {
			break
		}
	}
	return s.result(ctx)
}

// runAttempt calls m under actx and scores the prediction under ctx without a
// trace.
func runAttempt(actx, ctx context.Context, m Module, reward RewardFunc, inputs Example) (Prediction, float64, error) {
	pred, err := m.Call(actx, inputs)
	if err != nil {
		return Prediction{}, 0, err
	}
	r, err := reward(WithTrace(ctx, nil), inputs, pred)
	if err != nil {
		return pred, 0, fmt.Errorf("reward: %w", err)
	}
	return pred, r, nil
}

func checkSampler(name string, m Module, n int, reward RewardFunc) error {
	switch {
	case m == nil:
		return fmt.Errorf("%s: no module", name)
	case n <= 0:
		return fmt.Errorf("%s: N must be positive, got %d", name, n)
	case reward == nil:
		return fmt.Errorf("%s: no reward function", name)
	}
	return nil
}

// sampler holds the bookkeeping BestOfN and Refine share: the rollout base,
// the failure budget, and the best attempt so far.
type sampler struct {
	name      string
	n         int
	failCount int
	failures  int
	lastErr   error
	base      CallOptions

	found      bool
	best       Prediction
	bestReward float64
	bestTrace  *Trace
	usage      Usage
}

func newSampler(ctx context.Context, name string, n, failCount int) *sampler {
	if failCount <= 0 {
		failCount = n
	}
	return &sampler{name: name, n: n, failCount: failCount, base: CallOptionsFromContext(ctx), bestReward: math.Inf(-1)}
}

// attemptContext gives attempt i its own rollout at temperature 1.0, as DSPy's
// lm.copy(rollout_id=start+i, temperature=1.0) does, and its own trace.
func (s *sampler) attemptContext(ctx context.Context, i int, trace *Trace) context.Context {
	ctx = WithCallOptions(ctx, CallOptions{Temperature: Float(1.0), Rollout: s.base.Rollout + i})
	return WithTrace(ctx, trace)
}

// fail records a failed attempt and returns the error to stop with, if any.
func (s *sampler) fail(ctx context.Context, i int, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", s.name, ctx.Err())
	}
	s.failures++
	s.lastErr = err
	slog.WarnContext(ctx, s.name+": attempt failed", "attempt", i+1, "rollout", s.base.Rollout+i, "err", err)
	if s.failures > s.failCount {
		return fmt.Errorf("%s: attempt %d of %d failed, more than the %d failures allowed: %w", s.name, i+1, s.n, s.failCount, err)
	}
	return nil
}

// record keeps pred if it beats the best so far (the first success always does,
// so a NaN reward cannot leave the search empty-handed).
func (s *sampler) record(pred Prediction, reward float64, trace *Trace) {
	s.usage = s.usage.Add(pred.Usage)
	if !s.found || reward > s.bestReward {
		s.found, s.best, s.bestReward, s.bestTrace = true, pred, reward, trace
	}
}

// result returns the best prediction and adds its trace to the caller's.
func (s *sampler) result(ctx context.Context) (Prediction, error) {
	if !s.found {
		if s.lastErr == nil {
			s.lastErr = errors.New("no attempt was made")
		}
		return Prediction{}, fmt.Errorf("%s: all %d attempts failed: %w", s.name, s.failures, s.lastErr)
	}
	if parent := TraceFromContext(ctx); parent != nil && s.bestTrace != nil {
		for _, step := range s.bestTrace.Steps() {
			parent.add(step)
		}
	}
	pred := s.best
	pred.Usage = s.usage
	return pred, nil
}
