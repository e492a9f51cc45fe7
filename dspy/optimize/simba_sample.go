package optimize

import (
	"math"
	"sort"

	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
)

// The numeric pieces of SIMBA's choices. Those drawn from DSPy's
// random.Random(seed) draw here from the same Python-compatible generator in
// the same order; the Poisson draw, which DSPy takes from numpy's generator,
// comes from a second stream of its own (see poisson).

// weightedChoice picks one of n items with the given weights, as Python's
// random.choices(population, weights=w, k=1) does: one random() scaled by
// the running total, located by bisect_right in the cumulative weights.
func weightedChoice(r *pyrand.Random, weights []float64) int {
	cum := make([]float64, len(weights))
	total := 0.0
	for i, w := range weights {
		total += w
		cum[i] = total
	}
	x := r.Random() * total
	hi := len(cum) - 1
	// bisect_right over cum[0:hi]: the first index whose value exceeds x.
	return sort.Search(hi, func(i int) bool { return cum[i] > x })
}

// softmaxSample is SIMBA's softmax_sample: a program index drawn with
// weights exp(score/temperature), uniformly when those weights vanish.
func softmaxSample(r *pyrand.Random, idxs []int, scoreOf func(int) float64, temperature float64) int {
	exps := make([]float64, len(idxs))
	sum := 0.0
	for i, idx := range idxs {
		exps[i] = math.Exp(scoreOf(idx) / temperature)
		sum += exps[i]
	}
	if sum <= 0 {
		return idxs[r.Choice(len(idxs))]
	}
	probs := make([]float64, len(idxs))
	for i, e := range exps {
		probs[i] = e / sum
	}
	return idxs[weightedChoice(r, probs)]
}

// percentile is numpy's percentile with linear interpolation (its default),
// including numpy's way of interpolating from the upper neighbour past the
// midpoint, so the thresholds match DSPy's bit for bit.
func percentile(values []float64, q float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), values...)
	sort.Float64s(s)
	pos := q / 100 * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	t := pos - float64(lo)
	a, b := s[lo], s[hi]
	diff := b - a
	if t >= 0.5 {
		return b - diff*(1-t)
	}
	return a + diff*t
}

// poisson draws a Poisson variate with mean lam by multiplying uniforms
// until the product falls below exp(-lam), the method numpy uses for small
// means (SIMBA's means are demos/max_demos, a few at most). Zero or negative
// means draw nothing and return 0, as numpy does.
func poisson(r *pyrand.Random, lam float64) int {
	if lam <= 0 {
		return 0
	}
	limit := math.Exp(-lam)
	k := 0
	prod := r.Random()
	for prod > limit {
		k++
		prod *= r.Random()
	}
	return k
}

// roundHalfEven is Python's round(x) for the final program spread.
func roundHalfEven(x float64) int { return int(math.RoundToEven(x)) }
