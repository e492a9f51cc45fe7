package optimize

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// Attributes of trial spans.
const (
	AttrPhase            = attribute.Key("dspy.optimize.phase")
	AttrBestScore        = attribute.Key("dspy.optimize.best_score")
	AttrTrialNumber      = attribute.Key("dspy.trial.number")
	AttrTrialLabel       = attribute.Key("dspy.trial.label")
	AttrTrialScore       = attribute.Key("dspy.trial.score")
	AttrTrialFull        = attribute.Key("dspy.trial.full")
	AttrTrialDemos       = attribute.Key("dspy.trial.demos")
	AttrTrialInstruction = attribute.Key("dspy.trial.instruction")
)

// TrialSpanName names the span of one optimizer trial.
const TrialSpanName = "optimize.trial"

// TrialSpans turns the trials an optimizer reports at its checkpoints into
// OpenTelemetry spans, one per trial with its score, label and program
// summary. Engines call Observe from Checkpoint, so every optimizer gets
// them without code of its own. A trial's span runs from the previous
// checkpoint to the one that reported it: the work that produced it. It is
// safe for concurrent use.
type TrialSpans struct {
	mu    sync.Mutex
	seen  int
	since time.Time
}

// NewTrialSpans returns a recorder whose first trials start at start. The
// first seen trials count as recorded already: a run resumed from a
// checkpoint reports its earlier trials again.
func NewTrialSpans(seen int, start time.Time) *TrialSpans {
	return &TrialSpans{seen: seen, since: start}
}

// Observe records a span, under ctx's span, for each trial of p not
// recorded yet, ending at now. With a nil tracer it records nothing but
// counts the trials as recorded, which is what a workflow replaying its
// history must do.
func (t *TrialSpans) Observe(ctx context.Context, tracer trace.Tracer, p Progress, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	start := t.since
	t.since = now
	if len(p.Trials) <= t.seen {
		return
	}
	fresh := p.Trials[t.seen:]
	t.seen = len(p.Trials)
	if tracer == nil {
		return
	}
	for _, trial := range fresh {
		_, span := tracer.Start(ctx, TrialSpanName, trace.WithTimestamp(start), trace.WithAttributes(
			AttrPhase.String(p.Phase),
			AttrTrialNumber.Int(trial.Number),
			AttrTrialLabel.String(trial.Label),
			AttrTrialScore.Float64(trial.Score),
			AttrTrialFull.Bool(trial.Full),
			AttrTrialDemos.Int(trial.Demos),
			AttrTrialInstruction.String(trial.Instruction),
			AttrBestScore.Float64(p.BestScore),
		))
		span.End(trace.WithTimestamp(now))
	}
}

// startTrialSpans is the in-process engine's recorder, starting now.
func startTrialSpans() *TrialSpans { return NewTrialSpans(0, time.Now()) }

// observe is Observe with the tracer of ctx (see dspy.Tracer), at the
// current time, for the in-process engine.
func (t *TrialSpans) observe(ctx context.Context, p Progress) {
	t.Observe(ctx, dspy.Tracer(ctx), p, time.Now())
}
