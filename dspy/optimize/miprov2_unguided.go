package optimize

import (
	"context"
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
	n := min(sampler.Unguided(), r.cfg.numTrials-r.st.Search.Done)
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
		d := r.drawTrial(sampler, r.rng)
		if d.number != draws[k].number || !slices.Equal(d.params, draws[k].params) || !slices.Equal(d.ids, draws[k].ids) {
			return fmt.Errorf("miprov2: trial %d drew other parameters or examples than it was scored with", d.number+1)
		}
		if err := r.recordTrial(sampler, d, programs[k], scores[k].score, scores[k].exact); err != nil {
			return err
		}
		return r.searchCheckpoint(ctx, sampler)
	}
	return forEach(ctx, r.engine, n, work, done)
}
