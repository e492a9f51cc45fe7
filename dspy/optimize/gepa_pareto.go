package optimize

import (
	"slices"

	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
)

// Pareto-based candidate selection, as gepa's gepa_utils does it. A front is
// the set of programs with the best score on one validation example. Python
// iterates these sets of small integers in ascending order, which is the
// order kept here, so the same generator draws the same program.

// gepaRemoveDominated returns the fronts without dominated programs. A
// program is dominated when every front it is on also holds another
// surviving program; programs are tested from the lowest mean score up
// (ties in order of first appearance), removing one at a time until none is
// dominated.
func gepaRemoveDominated(fronts [][]int, scores []float64) [][]int {
	programs := gepaFrontPrograms(fronts)
	slices.SortStableFunc(programs, func(a, b int) int {
		switch {
		case scores[a] < scores[b]:
			return -1
		case scores[a] > scores[b]:
			return 1
		}
		return 0
	})
	dominated := map[int]bool{}
	for removed := true; removed; {
		removed = false
		for _, y := range programs {
			if dominated[y] {
				continue
			}
			if gepaIsDominated(y, fronts, func(p int) bool { return p != y && !dominated[p] }) {
				dominated[y] = true
				removed = true
				break
			}
		}
	}
	out := make([][]int, len(fronts))
	for i, front := range fronts {
		kept := []int{}
		for _, p := range front {
			if !dominated[p] {
				kept = append(kept, p)
			}
		}
		out[i] = kept
	}
	return out
}

// gepaIsDominated reports whether every front holding y also holds a program
// alive says is still in the running.
func gepaIsDominated(y int, fronts [][]int, alive func(int) bool) bool {
	for _, front := range fronts {
		if !slices.Contains(front, y) {
			continue
		}
		if !slices.ContainsFunc(front, alive) {
			return false
		}
	}
	return true
}

// gepaFrontPrograms lists the programs on any front in order of first appearance.
func gepaFrontPrograms(fronts [][]int) []int {
	seen := map[int]bool{}
	var out []int
	for _, front := range fronts {
		for _, p := range front {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// gepaDominators returns the programs left on some front once dominated ones
// are removed, ascending: the merge candidates.
func gepaDominators(fronts [][]int, scores []float64) []int {
	out := gepaFrontPrograms(gepaRemoveDominated(fronts, scores))
	slices.Sort(out)
	return out
}

// gepaSelectPareto draws a parent: each non-dominated program is listed once
// per front it is on, and one entry is chosen uniformly, so programs that
// are best on more examples are picked more often. With no fronts it falls
// back to the best mean score.
func gepaSelectPareto(fronts [][]int, scores []float64, rng *pyrand.Random) int {
	pruned := gepaRemoveDominated(fronts, scores)
	count := map[int]int{}
	var order []int
	for _, front := range pruned {
		for _, p := range front {
			if count[p] == 0 {
				order = append(order, p)
			}
			count[p]++
		}
	}
	var list []int
	for _, p := range order {
		for range count[p] {
			list = append(list, p)
		}
	}
	if len(list) == 0 {
		return gepaArgmax(scores)
	}
	return pyrand.ChoiceOf(rng, list)
}

// gepaArgmax returns the index of the first highest value, as gepa's idxmax does.
func gepaArgmax(xs []float64) int {
	best := 0
	for i, x := range xs {
		if x > xs[best] {
			best = i
		}
	}
	return best
}

// pareto is the Pareto front shown to users: the programs left on some
// front once dominated ones are removed, ascending.
func (s *gepaState) pareto() []int {
	return gepaDominators(s.Front, s.averages())
}
