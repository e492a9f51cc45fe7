package optimize

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// simbaBucket is one mini-batch example's runs, best first, with DSPy's
// ranking key: max-to-min gap, max score, max-to-average gap.
type simbaBucket struct {
	example int
	runs    []Outcome
	gap     float64
	max     float64
	avgGap  float64
}

// step is one SIMBA step: sample trajectories, rank the examples, build and
// score new candidates, record the winner.
func (r *simbaRun) step(ctx context.Context) error {
	cfg, st := r.cfg, r.st
	if st.Next+cfg.bsize > len(r.task.Trainset) {
		shuffleInts(r, st.Indices)
		st.Next = 0
	}
	batch := append([]int(nil), st.Indices[st.Next:st.Next+cfg.bsize]...)
	st.Next += cfg.bsize

	outputs, err := r.trajectories(ctx, batch)
	if err != nil {
		return err
	}
	scores := make([]float64, len(outputs))
	for i, o := range outputs {
		scores[i] = o.Score
	}
	p10, p90 := percentile(scores, 10), percentile(scores, 90)
	buckets := rankBuckets(outputs, batch, cfg.bsize)

	var candidates []dspy.ProgramState
	for _, b := range buckets {
		cand, ok, err := r.candidate(ctx, b, p10, p90)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		candidates = append(candidates, cand)
		if len(candidates) >= cfg.numCandidates+1 {
			break
		}
	}

	candScores := make([][]float64, len(candidates))
	bestIdx, bestAvg := -1, 0.0
	for i, cand := range candidates {
		label := fmt.Sprintf("simba step %d: candidate %d of %d on the mini-batch", st.Step+1, i+1, len(candidates))
		outs, err := r.run(ctx, Batch{Candidate: cand, Label: label}, batch)
		if err != nil {
			return err
		}
		candScores[i] = make([]float64, len(outs))
		for j, o := range outs {
			candScores[i][j] = o.Score
		}
		avg := mean(candScores[i])
		if bestIdx < 0 || avg > bestAvg {
			bestIdx, bestAvg = i, avg
		}
	}
	first := len(st.Programs)
	if bestIdx >= 0 {
		st.Winners = append(st.Winners, first+bestIdx)
	}
	for i, cand := range candidates {
		st.Programs = append(st.Programs, simbaProgram{Program: cand, Scores: candScores[i]})
		label := fmt.Sprintf("step %d candidate %d", st.Step+1, i+1)
		st.Trials = append(st.Trials, newTrial(len(st.Trials)+1, label, cand, round2(100*mean(candScores[i])), false))
	}
	return nil
}

// trajectories runs the mini-batch NumCandidates times, each run with a
// program drawn by softmax, and returns the outcomes in DSPy's order (model
// by model, examples in batch order). Runs of one program under one model
// share a batch.
func (r *simbaRun) trajectories(ctx context.Context, batch []int) ([]Outcome, error) {
	cfg := r.cfg
	top := r.topK(cfg.numCandidates)
	type group struct {
		program, model int
		slots, idxs    []int
	}
	var groups []*group
	byKey := map[[2]int]*group{}
	for m := range cfg.numCandidates {
		for j, ex := range batch {
			p := softmaxSample(r.rng, top, r.avg, cfg.tempSampling)
			key := [2]int{p, m}
			g, ok := byKey[key]
			if !ok {
				g = &group{program: p, model: m}
				byKey[key] = g
				groups = append(groups, g)
			}
			g.slots = append(g.slots, m*cfg.bsize+j)
			g.idxs = append(g.idxs, ex)
		}
	}
	outputs := make([]Outcome, cfg.numCandidates*cfg.bsize)
	for _, g := range groups {
		b := Batch{
			Candidate:   r.st.Programs[g.program].Program,
			Trace:       true,
			Temperature: dspy.Float(1.0),
			Rollout:     g.model + 1,
			Label:       fmt.Sprintf("simba step %d: program %d, sample %d", r.st.Step+1, g.program, g.model+1),
		}
		outs, err := r.run(ctx, b, g.idxs)
		if err != nil {
			return nil, err
		}
		for k, slot := range g.slots {
			outputs[slot] = outs[k]
		}
	}
	return outputs, nil
}

// rankBuckets groups the outcomes by example and sorts the groups as DSPy
// does, most variable first; sorts are stable, as Python's are.
func rankBuckets(outputs []Outcome, batch []int, bsize int) []simbaBucket {
	buckets := make([]simbaBucket, len(batch))
	for j, ex := range batch {
		var runs []Outcome
		for i := j; i < len(outputs); i += bsize {
			runs = append(runs, outputs[i])
		}
		sort.SliceStable(runs, func(a, b int) bool { return runs[a].Score > runs[b].Score })
		hi, lo := runs[0].Score, runs[len(runs)-1].Score
		sum := 0.0
		for _, o := range runs {
			sum += o.Score
		}
		avg := sum / float64(len(runs))
		buckets[j] = simbaBucket{example: ex, runs: runs, gap: hi - lo, max: hi, avgGap: hi - avg}
	}
	sort.SliceStable(buckets, func(a, b int) bool {
		x, y := buckets[a], buckets[b]
		if x.gap != y.gap {
			return x.gap > y.gap
		}
		if x.max != y.max {
			return x.max > y.max
		}
		return x.avgGap > y.avgGap
	})
	return buckets
}

// candidate builds one new program from a bucket: a source program drawn by
// softmax, some of its demos dropped, then a strategy applied. ok is false
// when the strategy failed (the bucket is skipped, as DSPy skips a strategy
// that raised); an error is returned only to stop the run.
func (r *simbaRun) candidate(ctx context.Context, b simbaBucket, p10, p90 float64) (dspy.ProgramState, bool, error) {
	cfg := r.cfg
	src := softmaxSample(r.rng, r.topK(cfg.numCandidates), r.avg, cfg.tempCandidates)
	cand := CloneState(r.st.Programs[src].Program)

	numDemos := 0
	for _, p := range cand.Predictors {
		numDemos = max(numDemos, len(p.State.Demos))
	}
	maxDemos := cfg.maxDemos
	if maxDemos <= 0 {
		maxDemos = 3
	}
	drop := poisson(r.poisson, float64(numDemos)/float64(maxDemos))
	if numDemos >= maxDemos {
		drop = max(drop, 1)
	}
	drop = min(drop, numDemos)
	dropped := map[int]bool{}
	for range drop {
		dropped[r.rng.RandBelow(numDemos)] = true
	}
	for i := range cand.Predictors {
		var kept []dspy.Example
		for k, d := range cand.Predictors[i].State.Demos {
			if !dropped[k] {
				kept = append(kept, d)
			}
		}
		cand.Predictors[i].State.Demos = append([]dspy.Example{}, kept...)
	}

	strategies := 1
	if cfg.maxDemos > 0 {
		strategies = 2
	}
	// DSPy's list is [append_a_demo, append_a_rule], or the rule alone; its
	// choice draws even from a list of one.
	if pick := r.rng.Choice(strategies); strategies == 2 && pick == 0 {
		r.appendDemo(&cand, b, p10)
		return cand, true, nil
	}
	if err := r.appendRule(ctx, &cand, b, p10, p90); err != nil {
		if errors.Is(err, ErrStop) {
			return dspy.ProgramState{}, false, err
		}
		return dspy.ProgramState{}, false, nil
	}
	return cand, true, nil
}

// final scores NumCandidates+1 winners spread evenly over the steps on the
// whole trainset and returns the best.
func (r *simbaRun) final(ctx context.Context) (Result, error) {
	m := len(r.st.Winners) - 1
	n := r.cfg.numCandidates + 1
	picks := make([]int, n)
	if m >= 1 {
		for i := range n {
			picks[i] = roundHalfEven(float64(i*m) / float64(n-1))
		}
	}
	picks = dedupe(picks)
	all := indexIDs(len(r.task.Trainset))
	res := Result{Trials: r.st.Trials}
	bestIdx, best := -1, 0.0
	for k, w := range picks {
		prog := r.st.Programs[r.st.Winners[w]].Program
		label := fmt.Sprintf("simba final: winner %d of %d on the trainset", k+1, len(picks))
		outs, err := r.run(ctx, Batch{Candidate: prog, Label: label}, all)
		if err != nil {
			return Result{}, err
		}
		exact := percentExact(outs)
		name := fmt.Sprintf("winner of step %d", w)
		if w == 0 {
			name = "student"
		}
		res.Trials = append(res.Trials, newTrial(len(res.Trials)+1, name, prog, Percent(outs), true))
		if w == 0 {
			res.BaselineScore, res.BaselineExact, res.BaselineMeasured = Percent(outs), exact, true
		}
		if bestIdx < 0 || exact > best {
			bestIdx, best = k, exact
			res.Program, res.Score, res.ScoreExact = prog, Percent(outs), exact
		}
	}
	return res, nil
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// shuffleInts shuffles with the run's main generator, as rng.shuffle does.
func shuffleInts(r *simbaRun, xs []int) {
	r.rng.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
}
