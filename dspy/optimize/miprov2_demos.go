package optimize

import (
	"context"
	"fmt"
	"slices"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
)

// demoSetKindOf says how a demo set is built, by its seed (-3 upward), as in
// DSPy's create_n_fewshot_demo_sets.
type demoSetKindOf int

const (
	demoSetZeroShot     demoSetKindOf = iota // seed -3: no demos
	demoSetLabeled                           // seed -2: LabeledFewShot, when labeled demos are wanted
	demoSetBootstrapped                      // seed -1: BootstrapFewShot on the trainset in order
	demoSetShuffled                          // otherwise: BootstrapFewShot on a shuffled trainset, random size
)

// miproBootstrapInContext is DSPy's BOOTSTRAPPED_FEWSHOT_EXAMPLES_IN_CONTEXT:
// zero-shot runs still bootstrap this many demos per set, to show the prompt
// model, and discard them afterwards.
const miproBootstrapInContext = 3

// demoSetKind follows DSPy: seed -2 is LabeledFewShot only when labeled demos
// are wanted, and otherwise falls through to a shuffled bootstrap.
func demoSetKind(seed, maxLabeled int) demoSetKindOf {
	switch {
	case seed == -3:
		return demoSetZeroShot
	case seed == -2 && maxLabeled > 0:
		return demoSetLabeled
	case seed == -1:
		return demoSetBootstrapped
	}
	return demoSetShuffled
}

// bootMax and bootLabeled are the bootstrap's demo counts: the configured
// ones, or for a zero-shot run enough bootstrapped demos to ground proposals.
func (c miproConfig) bootMax() int {
	if c.zeroshot {
		return miproBootstrapInContext
	}
	return c.maxBoot
}

func (c miproConfig) bootLabeled() int {
	if c.zeroshot {
		return 0
	}
	return c.maxLabeled
}

// bootstrap builds the demo sets, one checkpoint per set. Unlike the random
// search, which seeds a fresh generator per candidate, the shuffles and sizes
// come from the run's shared generator, as MIPROv2 passes its rng down.
//
// No set depends on another's outcome, nor does the dataset summary, nor
// (on a parallel engine) the baseline's score: they all run at once, and the
// sets are then added and checkpointed in order, so the state each
// checkpoint holds is the sequential schedule's.
func (r *miproRun) bootstrap(ctx context.Context) error {
	names := r.names()
	if len(r.st.DemoSets) != len(names) {
		r.st.DemoSets = make([][][]dspy.Example, len(names))
	}
	// A run that forks graphs makes everything up to the unguided trials as
	// one; the earlier schedules ask here first whether to fork.
	if gf, ok := graphForker(r.engine); ok {
		return r.runGraph(ctx, gf)
	}
	base := r.bootstrapBase()
	first := len(r.st.DemoSets[0])
	n := r.cfg.numFewshot - first
	// The draws are made ahead on a copy of the generator; the run's own
	// generator makes them again as each set is added, so a checkpoint holds
	// its position after that set and a resumed run draws the next sets alike.
	ahead, err := pyrand.FromState(r.rng.State())
	if err != nil {
		return fmt.Errorf("miprov2: %w", err)
	}
	plans := make([]demoSetPlan, n)
	for k := range plans {
		plans[k] = r.planDemoSet(ahead, base, first+k-3)
	}
	programs := make([]dspy.ProgramState, n)

	// The summary follows the last set, where the sequential schedule makes
	// it; the baseline joins only on a parallel engine, whose commands no
	// recorded history fixes.
	items := n
	summaryItem, baselineItem := -1, -1
	if r.cfg.dataAware && !r.st.SummaryDone {
		summaryItem, items = items, items+1
	}
	if isParallel(r.engine) && r.st.Search == nil {
		baselineItem, items = items, items+1
	}
	work := func(ctx context.Context, e Engine, k int) error {
		switch k {
		case summaryItem:
			summary, err := r.datasetSummary(ctx, e)
			if err != nil {
				return fmt.Errorf("miprov2: %w", err)
			}
			r.early.summary, r.early.summaryDone = summary, true
			return nil
		case baselineItem:
			score, exact, err := r.evaluateOn(ctx, e, CloneState(r.task.Student), r.val, r.valIDs, baselineLabel)
			if err != nil {
				return err
			}
			r.early.baseline = &earlyScore{score: score, exact: exact}
			return nil
		}
		program, err := r.buildDemoSet(ctx, e, base, plans[k])
		if err != nil {
			return fmt.Errorf("miprov2: demo set %d of %d: %w", first+k+1, r.cfg.numFewshot, err)
		}
		programs[k] = program
		return nil
	}
	done := func(k int) error {
		if k >= n {
			return nil
		}
		return r.addDemoSet(ctx, base, plans[k], programs[k])
	}
	if err := forEach(ctx, r.engine, items, work, done); err != nil {
		return err
	}
	r.st.Phase = miproPropose
	return nil
}

// bootstrapBase is how every demo set bootstraps, before a shuffled set's
// own demo count.
func (r *miproRun) bootstrapBase() bootstrapConfig {
	return bootstrapConfig{
		maxBootstrapped: r.cfg.bootMax(),
		maxLabeled:      r.cfg.bootLabeled(),
		maxRounds:       1,
		maxErrors:       r.cfg.maxErrors,
		threshold:       r.cfg.threshold,
	}
}

// addDemoSet adds the demo set built by program, whose draws were made
// ahead as want, and checkpoints. It makes the set's draws again from the
// run's generator, so the checkpoint holds the generator past them, and
// refuses a set built from other draws than those.
func (r *miproRun) addDemoSet(ctx context.Context, base bootstrapConfig, want demoSetPlan, program dspy.ProgramState) error {
	set := len(r.st.DemoSets[0])
	if got := r.planDemoSet(r.rng, base, set-3); !got.same(want) {
		return fmt.Errorf("miprov2: demo set %d was built from other draws than the run makes", set+1)
	}
	for i, ns := range program.Predictors {
		r.st.DemoSets[i] = append(r.st.DemoSets[i], ns.State.Demos)
	}
	if set+1 == r.cfg.numFewshot {
		r.st.Phase = miproPropose
	}
	return r.checkpoint(ctx, Progress{Phase: miproBootstrap, Step: set + 1, Total: r.cfg.numFewshot})
}

// demoSetPlan is how one demo set is built: its seed and, for a shuffled
// set, the trainset order and demo count drawn from the shared generator.
type demoSetPlan struct {
	seed     int
	trainset []dspy.Example
	ids      []int
	maxBoot  int
}

// same reports whether two plans build the same set.
func (p demoSetPlan) same(o demoSetPlan) bool {
	return p.seed == o.seed && p.maxBoot == o.maxBoot && slices.Equal(p.ids, o.ids)
}

// planDemoSet makes the draws of the set for seed, from rng.
func (r *miproRun) planDemoSet(rng *pyrand.Random, base bootstrapConfig, seed int) demoSetPlan {
	plan := demoSetPlan{seed: seed, trainset: r.train, ids: r.trainIDs, maxBoot: base.maxBootstrapped}
	if demoSetKind(seed, base.maxLabeled) != demoSetShuffled {
		return plan
	}
	// The IDs are shuffled along so batches name dataset examples.
	plan.trainset = append([]dspy.Example(nil), r.train...)
	plan.ids = append([]int(nil), r.trainIDs...)
	rng.Shuffle(len(plan.trainset), func(i, j int) {
		plan.trainset[i], plan.trainset[j] = plan.trainset[j], plan.trainset[i]
		plan.ids[i], plan.ids[j] = plan.ids[j], plan.ids[i]
	})
	plan.maxBoot = rng.RandInt(1, base.maxBootstrapped)
	return plan
}

// buildDemoSet builds the program whose demos are the planned set.
func (r *miproRun) buildDemoSet(ctx context.Context, engine Engine, base bootstrapConfig, plan demoSetPlan) (dspy.ProgramState, error) {
	student := r.task.Student
	trainset := append([]dspy.Example(nil), plan.trainset...)
	ids := append([]int(nil), plan.ids...)
	switch demoSetKind(plan.seed, base.maxLabeled) {
	case demoSetZeroShot:
		return ResetDemos(student), nil
	case demoSetLabeled:
		return labeledFewShot(student, trainset, base.maxLabeled, true), nil
	case demoSetBootstrapped:
		// DSPy's create_n_fewshot_demo_sets gives this bootstrap no metric
		// threshold, unlike the shuffled ones; kept for the same demos.
		cfg := base
		cfg.threshold = nil
		return cfg.compile(ctx, engine, student, trainset, ids, &bootstrapState{}, nil)
	}
	cfg := base
	cfg.maxBootstrapped = plan.maxBoot
	return cfg.compile(ctx, engine, student, trainset, ids, &bootstrapState{}, nil)
}
