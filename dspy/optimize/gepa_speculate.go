package optimize

import (
	"context"
	"strconv"
	"strings"

	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
)

// SpeculativeEngine is a ParallelEngine that can say whether an optimizer
// may run work ahead that a later outcome can make useless: GEPA's next
// iterations, prepared as if the current ones all fail, whose LM calls are
// wasted when one succeeds. Optimizers speculate only on engines that
// implement it and fork, since it spends calls a sequential run would not.
type SpeculativeEngine interface {
	ParallelEngine
	// Speculative reports whether the run may speculate. A durable run
	// started before speculation existed says no, so it replays the
	// activities its history recorded.
	Speculative() bool
}

// GEPA's iterations form a chain: each runs its parent on a minibatch, asks
// for a reflection, runs the child on the same minibatch, and only a child
// that improved is scored on the validation set and joins the pool. Most are
// rejected, and a rejected iteration leaves the pool and the Pareto fronts as
// they were: what the next one asks for then depends only on the generators
// and counters, not on any LM reply. So the run prepares the next iterations
// as if the current ones were all rejected and runs their LM work at once
// (the parents' minibatch runs first, then the reflections and the children's
// runs), keeping the outcomes keyed by the exact request. The iterations
// themselves still run one after another on the real state, as without
// speculation; a request made ahead is taken only when the real iteration
// asks for exactly it, so an iteration that was accepted, or took another
// path, makes the work prepared past it go unused, and it is asked anew from
// the real state. A child known to beat its parent has its validation run
// prepared alongside the next iterations, predicted as if it had not: the
// grown pool often yields the same next parent, and then the same work.
// The program, every score and every checkpoint are those of
// the sequential schedule; only the calls prepared for nothing are extra, and
// the depth keeps their expected number within gepaWasteShare of the calls
// an iteration makes.

const (
	// gepaWasteShare bounds the expected calls prepared ahead and never used,
	// as a share of the calls the iterations themselves make.
	gepaWasteShare = 0.1
	// gepaMaxAhead caps the iterations whose reflections and child runs are
	// prepared at once.
	gepaMaxAhead = 8
)

// gepaAhead holds the LM work done ahead of the sequential schedule: minibatch
// runs and reflection replies, each by its request and the iteration that
// asked for it (1-based, as in the labels).
type gepaAhead struct {
	runs    map[string]gepaAheadItem[[]Outcome]
	replies map[string]gepaAheadItem[string]
	// early lists the iterations work was prepared for while an earlier
	// one was still to run; predicted counts those that are over, and
	// missed those of them that left some of it unused.
	early             map[int]bool
	predicted, missed int
}

type gepaAheadItem[T any] struct {
	iteration int
	value     T
}

func newGEPAAhead() *gepaAhead {
	return &gepaAhead{runs: map[string]gepaAheadItem[[]Outcome]{}, replies: map[string]gepaAheadItem[string]{}, early: map[int]bool{}}
}

// gepaRunKey identifies a minibatch run: its label names the iteration, the
// parent and the role; the rest is the request itself.
func gepaRunKey(label string, instructions []string, ids []int, trace bool) string {
	var b strings.Builder
	b.WriteString(label)
	b.WriteString("\x00")
	b.WriteString(strconv.FormatBool(trace))
	for _, id := range ids {
		b.WriteString("\x00" + strconv.Itoa(id))
	}
	for _, s := range instructions {
		b.WriteString("\x01" + s)
	}
	return b.String()
}

func gepaReplyKey(call PromptCall) string { return call.Label + "\x00" + call.Text }

// outcomes takes the outcomes of a run made ahead for exactly this request.
func (a *gepaAhead) outcomes(label string, instructions []string, ids []int, trace bool) ([]Outcome, bool) {
	if a == nil {
		return nil, false
	}
	key := gepaRunKey(label, instructions, ids, trace)
	item, ok := a.runs[key]
	delete(a.runs, key)
	return item.value, ok
}

// reply takes the reply received ahead for exactly this reflection prompt.
func (a *gepaAhead) reply(call PromptCall) (string, bool) {
	if a == nil {
		return "", false
	}
	key := gepaReplyKey(call)
	item, ok := a.replies[key]
	delete(a.replies, key)
	return item.value, ok
}

// prune drops what was prepared for iterations up to iteration: they are
// over, so it was prepared for nothing. It counts whether the iterations
// prepared early used all of it.
func (a *gepaAhead) prune(iteration int) {
	if a == nil {
		return
	}
	unused := map[int]bool{}
	for k, item := range a.runs {
		if item.iteration <= iteration {
			unused[item.iteration] = true
			delete(a.runs, k)
		}
	}
	for k, item := range a.replies {
		if item.iteration <= iteration {
			unused[item.iteration] = true
			delete(a.replies, k)
		}
	}
	for it := range a.early {
		if it <= iteration {
			a.predicted++
			if unused[it] {
				a.missed++
			}
			delete(a.early, it)
		}
	}
}

// keep estimates the chance that work prepared for an iteration, while the
// one before it was still to run, is used: an accepted iteration changes the
// pool, but the next one often draws the same parent and then asks for the
// same work. It counts one use and one miss more than seen, so a short
// streak does not look certain.
func (a *gepaAhead) keep() float64 {
	return float64(a.predicted-a.missed+1) / float64(a.predicted+2)
}

// gepaHead is a reflective iteration as it starts, predicted on the
// assumption that the iterations before it are rejected.
type gepaHead struct {
	iteration    int // 1-based, as in the labels
	parent       int
	ids          []int
	instructions []string // the parent's
	// calls is the metric calls spent before it, as predicted.
	calls int
}

// gepaVal is the validation run of a child that beat its parent.
type gepaVal struct {
	head  gepaHead
	child []string
}

// gepaChain is the rest of a predicted iteration's LM work: its reflections
// (replies already received filled in), then the child's minibatch run.
type gepaChain struct {
	head        gepaHead
	reflections []gepaReflection
	replies     []string
	have        []bool
	// Filled by the work.
	outs []Outcome
	ran  bool
}

// speculates reports whether the run prepares iterations ahead: only on an
// engine that forks and allows speculation. The answer is asked once, when
// the first iteration would speculate, and kept.
func (r *gepaRun) speculates() bool {
	if r.speculating == nil {
		s, on := r.engine.(SpeculativeEngine)
		on = on && isParallel(r.engine) && s.Speculative()
		r.speculating = &on
		if on {
			r.ahead = newGEPAAhead()
		}
	}
	return *r.speculating
}

// speculate prepares the LM work of the next iterations until the next one
// can run without waiting on the LM. The next iteration's requests are
// always predicted right, so its work is never wasted; the ones after it
// are prepared as far as depth says. Each round prepares what the last one
// made predictable: the parents' runs, then the chains, then the validation
// run of a child that beat its parent, alongside the next chains.
func (r *gepaRun) speculate(ctx context.Context) error {
	if !r.speculates() {
		return nil
	}
	depth := r.depth()
	if depth == 0 {
		return nil
	}
	heads := r.plan(depth + 2)
	for range 3 {
		chains, val, reach, ready := r.chains(heads, depth)
		if ready {
			return nil
		}
		var parents []gepaHead
		for _, h := range heads[:min(reach+1, len(heads))] {
			if val != nil && h.calls+len(r.valset) >= r.budget {
				break
			}
			if _, ok := r.ahead.runs[gepaRunKey(gepaParentLabel(h.iteration, h.parent), h.instructions, h.ids, true)]; !ok {
				parents = append(parents, h)
			}
		}
		if len(parents) == 0 && len(chains) == 0 && val == nil {
			return nil
		}
		if err := r.prepare(ctx, parents, chains, val); err != nil {
			return err
		}
	}
	return nil
}

// depth is how many iterations' reflections and child runs to prepare at
// once: the most for which the expected calls prepared for nothing stay
// within gepaWasteShare of the calls the iterations make. Work prepared j
// iterations early is used with the chance keep^j (see gepaAhead.keep);
// the parent run prepared one iteration past the chains is the cheap
// lookahead the next call of speculate starts from. An iteration makes a
// parent and a child run and its reflections, plus a validation run at the
// acceptance rate seen so far. Zero means no speculation. The products are
// converted explicitly so no fused multiply-add makes the choice differ
// between machines.
func (r *gepaRun) depth() int {
	accepted, iterations := len(r.st.Candidates)-1, r.st.Iteration+1
	acceptance := float64(accepted+1) / float64(iterations+2)
	keep := r.ahead.keep()
	mb := float64(r.cfg.minibatch)
	reflections := 1.0
	if r.cfg.allComponents {
		reflections = float64(len(r.components))
	}
	chain := float64(2*mb + reflections)
	perIteration := float64(chain + float64(acceptance*float64(len(r.valset))))
	best := 0
	waste, used, reach := 0.0, 0.0, 1.0 // reach: chance iteration j of the window is reached
	for c := 1; c <= gepaMaxAhead; c++ {
		used = float64(used + reach)
		if c > 1 {
			waste = float64(waste + float64(chain*(1-reach)))
		}
		reach = float64(reach * keep)
		total := float64(waste + float64(mb*(1-reach)))
		if total > float64(gepaWasteShare*float64(perIteration*used)) {
			break
		}
		best = c
	}
	return best
}

// plan predicts the starts of up to n next iterations, each assuming the
// ones before it are rejected after running both minibatches, and stops
// where that many metric calls would reach the budget: a rejection that
// spends less leaves the real run further from it, and an acceptance makes
// the prediction moot. When the next iteration merges, it predicts none:
// what follows a merge depends on its scores.
func (r *gepaRun) plan(n int) []gepaHead {
	st := r.st
	st.Sampler = st.Sampler.clone()
	rng := gepaCloneRNG(r.rng)
	if m := &st.Merge; r.cfg.merge && m.Due > 0 && m.LastFound {
		// As iterate does: a merge is looked for first, drawing from rng
		// whether or not one is found.
		*m = m.clone()
		if _, ok := m.propose(&st, rng); ok {
			return nil
		}
	}
	var heads []gepaHead
	for calls := st.MetricCalls; len(heads) < n && calls < r.budget; calls += 2 * r.cfg.minibatch {
		st.Iteration++
		parent, ids := r.head(&st, rng)
		heads = append(heads, gepaHead{iteration: st.Iteration + 1, parent: parent, ids: ids, instructions: st.Candidates[parent], calls: calls})
	}
	return heads
}

// chains predicts, in order, what the iterations of heads do once their
// parent has run, for as long as the parent runs are here: whether the
// parent was perfect, and otherwise the reflections (drawing the adapter's
// generator as the real iterations will) and the child. It returns up to
// depth chains whose work is not all here yet, how many heads it went
// through, and whether the first iteration's work is all here: then it
// runs without waiting on the LM. When the first iteration's child is known
// to beat its parent, its validation run is returned to be prepared, and
// the iterations after it stay predicted as before: the next one often
// draws the same parent from the grown pool, and a guess that fails only
// leaves its work unused. Those the validation run would take past the
// budget are dropped.
func (r *gepaRun) chains(heads []gepaHead, depth int) (chains []*gepaChain, val *gepaVal, reach int, ready bool) {
	st := r.st
	st.NextComponent = append([]int(nil), st.NextComponent...)
	adapterRNG := gepaCloneRNG(r.adapterRNG)
	for j, h := range heads {
		if len(chains) == depth || (val != nil && h.calls+len(r.valset) >= r.budget) {
			break
		}
		item, ok := r.ahead.runs[gepaRunKey(gepaParentLabel(h.iteration, h.parent), h.instructions, h.ids, true)]
		if !ok {
			break
		}
		reach = j + 1
		before := gepaScores(item.value, r.g.FailureScore)
		if r.cfg.skipPerfect && gepaAllAtLeast(before, r.cfg.perfect) {
			ready = ready || j == 0
			continue
		}
		st.Iteration = h.iteration - 1
		reflections := r.reflections(&st, h.parent, h.ids, item.value, adapterRNG)
		if len(reflections) == 0 {
			ready = ready || j == 0
			continue
		}
		c := &gepaChain{head: h, reflections: reflections, replies: make([]string, len(reflections)), have: make([]bool, len(reflections))}
		complete := true
		for k, refl := range reflections {
			if got, ok := r.ahead.replies[gepaReplyKey(refl.call)]; ok {
				c.replies[k], c.have[k] = got.value, true
			}
			complete = complete && c.have[k]
		}
		if !complete {
			chains = append(chains, c)
			continue
		}
		child := c.child()
		outs, ok := r.ahead.runs[gepaRunKey(gepaChildLabel(h.iteration, h.parent), child, h.ids, false)]
		switch {
		case !ok:
			chains = append(chains, c)
		case j > 0 || gepaSum(gepaScores(outs.value, r.g.FailureScore)) <= gepaSum(before):
			ready = ready || j == 0
		default:
			if _, ok := r.ahead.runs[gepaRunKey(gepaValLabel(h.iteration, h.parent), child, indexIDs(len(r.valset)), false)]; ok {
				return chains, nil, reach, true
			}
			val = &gepaVal{head: h, child: child}
		}
	}
	return chains, val, reach, ready
}

// child is the chain's child program from the replies received.
func (c *gepaChain) child() []string {
	child := append([]string(nil), c.head.instructions...)
	for k, refl := range c.reflections {
		child[refl.component] = gepaExtractInstruction(c.replies[k])
	}
	return child
}

// prepare runs the parents' minibatch runs and the chains at once and keeps
// what they return. Work that fails is dropped: the real iteration asks for
// it again and meets the error where the sequential schedule would.
func (r *gepaRun) prepare(ctx context.Context, parents []gepaHead, chains []*gepaChain, val *gepaVal) error {
	parentOuts := make([][]Outcome, len(parents))
	var valOuts []Outcome
	n := len(chains) + len(parents)
	if val != nil {
		n++
	}
	work := func(ctx context.Context, e Engine, i int) error {
		if i == len(chains)+len(parents) {
			if outs, err := r.runOn(ctx, e, val.child, r.valset, indexIDs(len(r.valset)), false, gepaValLabel(val.head.iteration, val.head.parent)); err == nil {
				valOuts = outs
			}
			return nil
		}
		if i < len(chains) {
			r.runChain(ctx, e, chains[i])
			return nil
		}
		h := parents[i-len(chains)]
		if outs, err := r.runOn(ctx, e, h.instructions, r.task.Trainset, h.ids, true, gepaParentLabel(h.iteration, h.parent)); err == nil {
			parentOuts[i-len(chains)] = outs
		}
		return nil
	}
	next := r.st.Iteration + 2 // the next iteration's label number: its work is never early
	keep := func(i int) error {
		if i < len(chains) {
			if chains[i].head.iteration > next {
				r.ahead.early[chains[i].head.iteration] = true
			}
			c := chains[i]
			for k, refl := range c.reflections {
				if c.have[k] {
					r.ahead.replies[gepaReplyKey(refl.call)] = gepaAheadItem[string]{c.head.iteration, c.replies[k]}
				}
			}
			if c.ran {
				r.ahead.runs[gepaRunKey(gepaChildLabel(c.head.iteration, c.head.parent), c.child(), c.head.ids, false)] = gepaAheadItem[[]Outcome]{c.head.iteration, c.outs}
			}
			return nil
		}
		if i == len(chains)+len(parents) {
			if valOuts != nil {
				r.ahead.runs[gepaRunKey(gepaValLabel(val.head.iteration, val.head.parent), val.child, indexIDs(len(r.valset)), false)] = gepaAheadItem[[]Outcome]{val.head.iteration, valOuts}
			}
			return nil
		}
		h := parents[i-len(chains)]
		if h.iteration > next {
			r.ahead.early[h.iteration] = true
		}
		if outs := parentOuts[i-len(chains)]; outs != nil {
			r.ahead.runs[gepaRunKey(gepaParentLabel(h.iteration, h.parent), h.instructions, h.ids, true)] = gepaAheadItem[[]Outcome]{h.iteration, outs}
		}
		return nil
	}
	return forEach(ctx, r.engine, n, work, keep)
}

// runChain asks a chain's missing reflections at once, then runs its child.
func (r *gepaRun) runChain(ctx context.Context, e Engine, c *gepaChain) {
	var missing []int
	for k := range c.reflections {
		if !c.have[k] {
			missing = append(missing, k)
		}
	}
	ask := func(ctx context.Context, e Engine, m int) error {
		k := missing[m]
		reply, err := gepaReflectionReply(e.Prompt(ctx, c.reflections[k].call))
		if err == nil {
			c.replies[k], c.have[k] = reply, true
		}
		return err
	}
	if err := forEach(ctx, e, len(missing), ask, func(int) error { return nil }); err != nil {
		return
	}
	outs, err := r.runOn(ctx, e, c.child(), r.task.Trainset, c.head.ids, false, gepaChildLabel(c.head.iteration, c.head.parent))
	if err == nil {
		c.outs, c.ran = outs, true
	}
}

func gepaCloneRNG(rng *pyrand.Random) *pyrand.Random {
	clone, err := pyrand.FromState(rng.State())
	if err != nil {
		panic(err) // a generator's own state is always valid
	}
	return clone
}

// clone copies the sampler so a prediction can advance it.
func (s gepaSampler) clone() gepaSampler {
	s.Shuffled = append([]int(nil), s.Shuffled...)
	s.Counts = append([]int(nil), s.Counts...)
	s.Order = append([]int(nil), s.Order...)
	return s
}

// clone copies the merge state so a prediction can look for a merge.
func (m gepaMerge) clone() gepaMerge {
	m.Performed = append([][3]int(nil), m.Performed...)
	m.Tried = append([]gepaMergeDesc(nil), m.Tried...)
	return m
}
