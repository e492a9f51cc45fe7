package optimize

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
	"github.com/durable-dspy/durable-dspy/dspy/optimize/tpe"
)

// unguidedTrials is how many of the next search trials can all be drawn
// before any is scored: while the sampler is in its startup phase its
// suggestions ignore the scores, and minibatches come from the run's
// generator whatever the scores. The run ends at the search's last trial and
// at the first trial that calls for a full evaluation, since that one picks
// its combination by the scores and joins the sampler's trials.
func (r *miproRun) unguidedTrials(sampler *tpe.Sampler) int {
	return r.unguidedAfter(sampler, r.st.Search.Done)
}

// unguidedAfter is unguidedTrials once done trials are over.
func (r *miproRun) unguidedAfter(sampler *tpe.Sampler, done int) int {
	n := min(sampler.Unguided(), r.cfg.numTrials-done)
	for k := range n {
		if r.cfg.minibatch && r.cfg.fullEvalDue(sampler.NextNumber()+k+1) {
			return k + 1
		}
	}
	return n
}

// trialsAtOnce runs the next n trials, which unguidedTrials found no score
// guides, with the sequential schedule's draws, scores and checkpoints. The
// draws are made ahead on copies of the sampler and the generator, so the
// programs are scored at once; each trial is then drawn again from the real
// ones, told and checkpointed as soon as the trials before it are, so a
// checkpoint in the middle holds exactly the state the sequential search has
// there and a run resumed from it continues alike.
func (r *miproRun) trialsAtOnce(ctx context.Context, sampler *tpe.Sampler, n int) error {
	aheadSampler, err := tpe.Restore(sampler.State())
	if err != nil {
		return fmt.Errorf("miprov2: %w", err)
	}
	aheadRNG, err := pyrand.FromState(r.rng.State())
	if err != nil {
		return fmt.Errorf("miprov2: %w", err)
	}
	draws := make([]trialDraw, n)
	programs := make([]dspy.ProgramState, n)
	for k := range draws {
		draws[k] = r.drawTrial(aheadSampler, aheadRNG)
		if programs[k], err = r.build(draws[k].params); err != nil {
			return fmt.Errorf("miprov2: %w", err)
		}
	}
	type scored struct{ score, exact float64 }
	scores := make([]scored, n)
	work := func(ctx context.Context, e Engine, k int) error {
		score, exact, err := r.scoreTrial(ctx, e, draws[k], programs[k])
		scores[k] = scored{score, exact}
		return err
	}
	done := func(k int) error {
		return r.addTrial(ctx, sampler, draws[k], programs[k], scores[k].score, scores[k].exact)
	}
	return forEach(ctx, r.engine, n, work, done)
}

// addTrial records a trial scored ahead, drawn as want and scored as
// program, and checkpoints. It draws the trial again from the sampler and
// the run's generator, and refuses a score made with other draws or another
// program than the search's state builds from them.
func (r *miproRun) addTrial(ctx context.Context, sampler *tpe.Sampler, want trialDraw, program dspy.ProgramState, score, exact float64) error {
	d := r.drawTrial(sampler, r.rng)
	if d.number != want.number || !slices.Equal(d.params, want.params) || !slices.Equal(d.ids, want.ids) {
		return fmt.Errorf("miprov2: trial %d drew other parameters or examples than it was scored with", d.number+1)
	}
	built, err := r.build(d.params)
	if err != nil {
		return fmt.Errorf("miprov2: %w", err)
	}
	if !sameState(built, program) {
		return fmt.Errorf("miprov2: trial %d was scored with another program than its parameters build", d.number+1)
	}
	if err := r.recordTrial(sampler, d, built, score, exact); err != nil {
		return err
	}
	return r.searchCheckpoint(ctx, sampler)
}

// sameState reports whether two program states are the same, as saved.
func sameState(a, b dspy.ProgramState) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}
