package optimize

import (
	"context"
	"fmt"
	"slices"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
	"github.com/durable-dspy/durable-dspy/dspy/optimize/tpe"
)

// On an engine that forks graphs (GraphForker), MIPROv2 makes everything up
// to the end of its first unguided trials as one graph, each piece starting
// as soon as what it truly needs is there rather than when the phase before
// it is over. The dataset summary is a chain of dependent calls, the longest
// of the run before the search; meanwhile:
//
//   - each proposal describes the program and its module as soon as the demo
//     sets are built: those calls need the task demos and the proposal's
//     draws, not the summary; only the call asking for the instruction
//     waits for the summary;
//   - the baseline is scored from the start;
//   - each unguided trial (the sampler's startup suggestions ignore the
//     scores) is scored as soon as the demo sets and proposals it uses are
//     there: a trial of the original instructions needs no proposal.
//
// Every draw is made ahead, in the sequential order, on copies of the
// generator and of the sampler. The results are held as early work, outside
// the checkpointed state, and each piece is then added in the sequential
// order on the caller's coroutine, which makes its draws again from the
// run's own generator and sampler, checks that the piece was made from
// exactly those (and from the demo sets, summary and instructions the state
// holds) and checkpoints. So the checkpoints, the program, the scores and
// the LM requests are the sequential schedule's; a run resumed from a
// checkpoint builds the graph of what is left and redoes the early work it
// lost.

// miproGraph is the work of the graph, in the order it is added: call i
// starts once the calls deps[i] have returned, and done[i] adds its result.
type miproGraph struct {
	deps [][]int
	work []func(ctx context.Context, e Engine) error
	done []func() error
}

// add appends a call and returns its index.
func (g *miproGraph) add(deps []int, work func(context.Context, Engine) error, done func() error) int {
	g.deps = append(g.deps, deps)
	g.work = append(g.work, work)
	g.done = append(g.done, done)
	return len(g.work) - 1
}

// graphWork is the graph's view of the demo sets and instructions: those the
// state held when it started and those its calls make. A call reads only
// what the calls it depends on made.
type graphWork struct {
	sets         [][][]dspy.Example // [predictor][set], as the state held them
	instructions [][]string         // [predictor][candidate], likewise
	programs     []dspy.ProgramState
	proposed     map[[2]int]*string // by predictor and candidate
}

func (w *graphWork) demoSet(p, set int) []dspy.Example {
	if set < len(w.sets[p]) {
		return w.sets[p][set]
	}
	return w.programs[set-len(w.sets[p])].Predictors[p].State.Demos
}

// allSets is predictor p's demo sets once every set is built.
func (w *graphWork) allSets(p int) [][]dspy.Example {
	out := slices.Clip(w.sets[p])
	for _, program := range w.programs {
		out = append(out, program.Predictors[p].State.Demos)
	}
	return out
}

func (w *graphWork) instruction(p, i int) string {
	if i < len(w.instructions[p]) {
		return w.instructions[p][i]
	}
	return *w.proposed[[2]int{p, i}]
}

// runGraph makes the rest of the demo sets, the summary, the proposals, the
// baseline and the unguided trials that follow it as one graph on gf, then
// leaves the run in its search phase.
func (r *miproRun) runGraph(ctx context.Context, gf GraphForker) error {
	ahead, err := pyrand.FromState(r.rng.State())
	if err != nil {
		return fmt.Errorf("miprov2: %w", err)
	}
	names := r.names()
	if len(r.st.DemoSets) != len(names) {
		r.st.DemoSets = make([][][]dspy.Example, len(names))
	}
	w := &graphWork{proposed: map[[2]int]*string{}}
	for p := range names {
		w.sets = append(w.sets, slices.Clip(r.st.DemoSets[p]))
		w.instructions = append(w.instructions, slices.Clip(r.instructionsOf(p)))
	}
	g := &miproGraph{}
	setItems := r.graphDemoSets(ctx, g, w, ahead)
	summaryItem, grounding := r.graphSummary(ctx, g)
	proposalItems := r.graphProposals(ctx, g, w, ahead, setItems, summaryItem, grounding)
	sampler := new(*tpe.Sampler)
	r.graphBaseline(ctx, g, sampler)
	if err := r.graphTrials(ctx, g, w, ahead, sampler, setItems, proposalItems); err != nil {
		return err
	}
	err = gf.ForkGraph(ctx, len(g.work), g.deps,
		func(ctx context.Context, eng Engine, i int) error { return g.work[i](ctx, eng) },
		func(i int) error {
			if g.done[i] == nil {
				return nil
			}
			return g.done[i]()
		})
	if err != nil {
		return err
	}
	r.st.Phase = miproSearch
	return nil
}

// graphDemoSets adds the demo sets still to build, which need nothing, and
// returns their calls.
func (r *miproRun) graphDemoSets(ctx context.Context, g *miproGraph, w *graphWork, ahead *pyrand.Random) []int {
	base := r.bootstrapBase()
	first := len(w.sets[0])
	w.programs = make([]dspy.ProgramState, r.cfg.numFewshot-first)
	items := make([]int, len(w.programs))
	for k := range w.programs {
		plan := r.planDemoSet(ahead, base, first+k-3)
		items[k] = g.add(nil, func(ctx context.Context, eng Engine) error {
			program, err := r.buildDemoSet(ctx, eng, base, plan)
			if err != nil {
				return fmt.Errorf("miprov2: demo set %d of %d: %w", first+k+1, r.cfg.numFewshot, err)
			}
			w.programs[k] = program
			return nil
		}, func() error { return r.addDemoSet(ctx, base, plan, w.programs[k]) })
	}
	return items
}

// graphSummary adds the dataset summary when it is still to make, which
// needs nothing, and returns its call (-1 for none) and the grounding the
// proposals read once it has returned.
func (r *miproRun) graphSummary(ctx context.Context, g *miproGraph) (int, *summaryGrounding) {
	grounding := r.grounding()
	if r.st.SummaryDone {
		return -1, &grounding
	}
	var summary *string
	item := g.add(nil, func(ctx context.Context, eng Engine) error {
		if !r.cfg.dataAware {
			return nil
		}
		s, err := r.datasetSummary(ctx, eng)
		if err != nil {
			return fmt.Errorf("miprov2: %w", err)
		}
		if summary = s; s != nil {
			grounding = summaryGrounding{use: true, summary: *s}
		}
		return nil
	}, func() error { return r.addSummary(ctx, summary) })
	return item, &grounding
}

// graphProposals adds the proposals still to make: for each, the program
// and module descriptions once every demo set is built (their task demos
// read them all), then the instruction once the descriptions and the
// summary are there. It returns the proposals' calls by predictor and
// candidate.
func (r *miproRun) graphProposals(ctx context.Context, g *miproGraph, w *graphWork, ahead *pyrand.Random, setItems []int, summaryItem int, grounding *summaryGrounding) map[[2]int]int {
	plans := r.planProposals(ahead)
	code := programCode(r.task)
	type made struct {
		demos       string
		described   describedModule
		instruction string
	}
	results := make([]made, len(plans))
	describeItems := make([]int, len(plans))
	for k, pl := range plans {
		describeItems[k] = -1
		if pl.i == 0 {
			continue
		}
		describeItems[k] = g.add(setItems, func(ctx context.Context, eng Engine) error {
			results[k].demos = r.taskDemosOf(pl.p, pl.i, w.allSets(pl.p))
			d, err := r.describe(ctx, eng, code, pl, results[k].demos)
			if err != nil {
				return fmt.Errorf("miprov2: propose instruction %d for %s: %w", pl.i, r.names()[pl.p], err)
			}
			results[k].described = d
			return nil
		}, nil)
	}
	items := map[[2]int]int{}
	for k, pl := range plans {
		var deps []int
		if pl.i > 0 {
			deps = append(deps, describeItems[k])
			if summaryItem >= 0 {
				deps = append(deps, summaryItem)
			}
		}
		w.proposed[[2]int{pl.p, pl.i}] = &results[k].instruction
		items[[2]int{pl.p, pl.i}] = g.add(deps, func(ctx context.Context, eng Engine) error {
			if pl.i == 0 {
				results[k].instruction = r.task.Student.Predictors[pl.p].State.Signature.Instructions
				return nil
			}
			instruction, err := r.instruct(ctx, eng, code, pl, results[k].demos, results[k].described, *grounding)
			if err != nil {
				return fmt.Errorf("miprov2: propose instruction %d for %s: %w", pl.i, r.names()[pl.p], err)
			}
			results[k].instruction = instruction
			return nil
		}, func() error {
			if pl.i > 0 && (results[k].demos != r.taskDemos(pl.p, pl.i) || *grounding != r.grounding()) {
				return fmt.Errorf("miprov2: instruction %d for %s was proposed from other demos or another summary than the run holds", pl.i, r.names()[pl.p])
			}
			return r.addInstruction(ctx, pl, results[k].instruction)
		})
	}
	return items
}

// behind is an engine whose batches wait Behind others for LM slots. The
// graph scores the baseline and the unguided trials early to fill slots:
// the run adds their scores only after every demo set, the summary and the
// proposals, and those gate every later trial, so their calls must not
// queue behind the scoring's many.
type behind struct{ Engine }

// Run runs b with Behind precedence.
func (e behind) Run(ctx context.Context, b Batch) ([]Outcome, error) {
	b.Precedence = dspy.PrecedenceBehind
	return e.Engine.Run(ctx, b)
}

// graphBaseline adds the baseline's evaluation, which needs nothing; adding
// it starts the search with a new sampler.
func (r *miproRun) graphBaseline(ctx context.Context, g *miproGraph, sampler **tpe.Sampler) {
	var score, exact float64
	g.add(nil, func(ctx context.Context, eng Engine) error {
		var err error
		score, exact, err = r.evaluateOn(ctx, behind{eng}, CloneState(r.task.Student), r.val, r.valIDs, baselineLabel)
		return err
	}, func() error {
		s, err := tpe.New(r.searchSpace(), tpe.Config{Seed: r.cfg.seed})
		if err != nil {
			return fmt.Errorf("miprov2: %w", err)
		}
		*sampler = s
		return r.addBaseline(ctx, s, score, exact)
	})
}

// graphTrials adds the unguided trials that follow the baseline, drawn from
// a sampler made as the search will make it and told the baseline (its
// startup suggestions ignore the value), each once the demo sets and
// proposals it uses are there.
func (r *miproRun) graphTrials(ctx context.Context, g *miproGraph, w *graphWork, ahead *pyrand.Random, sampler **tpe.Sampler, setItems []int, proposalItems map[[2]int]int) error {
	perPredictor := r.cfg.proposals()
	aheadSampler, err := tpe.New(r.spaceOf(func(int) (int, int) { return perPredictor, r.cfg.numFewshot }), tpe.Config{Seed: r.cfg.seed})
	if err != nil {
		return fmt.Errorf("miprov2: %w", err)
	}
	if _, err := aheadSampler.AddTrial(make([]int, len(aheadSampler.Space())), 0); err != nil {
		return fmt.Errorf("miprov2: %w", err)
	}
	stride := r.stride()
	for range r.unguidedAfter(aheadSampler, 0) {
		d := r.drawTrial(aheadSampler, ahead)
		var deps []int
		for p := range r.names() {
			if item, ok := proposalItems[[2]int{p, d.params[p*stride]}]; ok {
				deps = append(deps, item)
			}
			if r.useDemos() {
				if k := d.params[p*stride+1] - len(w.sets[p]); k >= 0 {
					deps = append(deps, setItems[k])
				}
			}
		}
		slices.Sort(deps)
		var program dspy.ProgramState
		var score, exact float64
		g.add(slices.Compact(deps), func(ctx context.Context, eng Engine) error {
			var err error
			if program, err = r.buildWith(d.params, w.instruction, w.demoSet); err != nil {
				return fmt.Errorf("miprov2: %w", err)
			}
			score, exact, err = r.scoreTrial(ctx, behind{eng}, d, program)
			return err
		}, func() error { return r.addTrial(ctx, *sampler, d, program, score, exact) })
	}
	return nil
}
