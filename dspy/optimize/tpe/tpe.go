// Package tpe is a Tree-structured Parzen Estimator over categorical
// parameters: the sampler MIPROv2 uses to choose which instruction and which
// demo set each predictor gets in the next trial.
//
// It follows Optuna's TPESampler(seed=seed, multivariate=True) for
// categorical distributions. The first NStartupTrials trials draw every
// parameter uniformly at random. After that, the finished trials are split
// into the best Gamma(n) ("below") and the rest ("above"); each group becomes
// a mixture of one kernel per trial plus a uniform prior kernel, where a
// trial's kernel puts weight 1 + PriorWeight/k on the choice it made and
// PriorWeight/k on every other choice (k kernels in the group), per
// parameter. The sampler draws NEICandidates joint candidates from the
// "below" mixture and keeps the one with the highest log l(x) − log g(x),
// the ratio of the "below" to the "above" density. A parameter with a
// single choice is fixed at 0 and draws nothing, as in Optuna. Optuna's numerical
// options (consider_endpoints, magic clip) concern continuous parameters and
// have no counterpart here.
//
// The sampler is deterministic: its randomness comes from two CPython
// generators (package pyrand) seeded with Config.Seed, one for the startup
// draws and one for the estimator, as Optuna seeds a RandomSampler and its
// own RandomState with the same seed. The draws are not numpy's, so the
// suggestions differ from Optuna's in detail but not in kind. A Sampler's
// State is plain data: restoring it continues the same sequence of
// suggestions, which is what lets an optimization resume mid-search.
package tpe

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
)

// Param is a categorical parameter whose values are the indices 0..Choices-1.
type Param struct {
	Name    string `json:"name"`
	Choices int    `json:"choices"`
}

// Config tunes the sampler. Zero fields take Optuna's defaults.
type Config struct {
	// Seed seeds the sampler's generators.
	Seed int64 `json:"seed"`
	// NStartupTrials is how many finished trials must exist before the
	// estimator is used; until then parameters are drawn uniformly (default 10).
	NStartupTrials int `json:"n_startup_trials,omitempty"`
	// NEICandidates is how many candidates are drawn from the "below"
	// mixture to pick each suggestion from (default 24).
	NEICandidates int `json:"n_ei_candidates,omitempty"`
	// PriorWeight weighs the uniform prior kernel against the trials' kernels
	// (default 1.0).
	PriorWeight float64 `json:"prior_weight,omitempty"`
}

func (c Config) withDefaults() Config {
	if c.NStartupTrials <= 0 {
		c.NStartupTrials = 10
	}
	if c.NEICandidates <= 0 {
		c.NEICandidates = 24
	}
	if c.PriorWeight <= 0 {
		c.PriorWeight = 1.0
	}
	return c
}

// Trial is one trial: its number, the value of each parameter (in the order
// of the sampler's search space) and, once finished, its objective value.
type Trial struct {
	Number int     `json:"n"`
	Params []int   `json:"p"`
	Value  float64 `json:"v"`
}

// State is everything a Sampler needs to continue: its configuration and
// search space, both generators, the finished trials and the suggested trials
// not yet told.
type State struct {
	Config  Config       `json:"config"`
	Space   []Param      `json:"space"`
	Random  pyrand.State `json:"random"`
	Sampler pyrand.State `json:"sampler"`
	// Next is the number the next trial gets.
	Next     int     `json:"next"`
	Complete []Trial `json:"complete"`
	Running  []Trial `json:"running,omitempty"`
}

// Sampler suggests parameter values that maximise an objective. It is not
// safe for concurrent use.
type Sampler struct {
	cfg   Config
	space []Param
	// order lists the indices of the parameters with more than one choice,
	// sorted by name: the relative search space Optuna's estimator sees.
	order    []int
	random   *pyrand.Random
	sampler  *pyrand.Random
	next     int
	complete []Trial
	running  []Trial
}

// New returns a sampler over space, which must name each parameter once and
// give it at least one choice.
func New(space []Param, cfg Config) (*Sampler, error) {
	if err := validSpace(space); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Sampler{
		cfg:     cfg,
		space:   append([]Param(nil), space...),
		random:  pyrand.New(cfg.Seed),
		sampler: pyrand.New(cfg.Seed),
	}
	s.order = sortedOrder(s.space)
	return s, nil
}

// Restore returns the sampler whose State was st.
func Restore(st State) (*Sampler, error) {
	if err := validSpace(st.Space); err != nil {
		return nil, err
	}
	random, err := pyrand.FromState(st.Random)
	if err != nil {
		return nil, fmt.Errorf("tpe: restore startup generator: %w", err)
	}
	sampler, err := pyrand.FromState(st.Sampler)
	if err != nil {
		return nil, fmt.Errorf("tpe: restore estimator generator: %w", err)
	}
	s := &Sampler{
		cfg:      st.Config.withDefaults(),
		space:    append([]Param(nil), st.Space...),
		random:   random,
		sampler:  sampler,
		next:     st.Next,
		complete: cloneTrials(st.Complete),
		running:  cloneTrials(st.Running),
	}
	s.order = sortedOrder(s.space)
	for _, t := range append(append([]Trial(nil), s.complete...), s.running...) {
		if err := s.validParams(t.Params); err != nil {
			return nil, fmt.Errorf("tpe: restore trial %d: %w", t.Number, err)
		}
	}
	return s, nil
}

// State returns a copy of the sampler's state.
func (s *Sampler) State() State {
	return State{
		Config:   s.cfg,
		Space:    append([]Param(nil), s.space...),
		Random:   s.random.State(),
		Sampler:  s.sampler.State(),
		Next:     s.next,
		Complete: cloneTrials(s.complete),
		Running:  cloneTrials(s.running),
	}
}

// Space returns the sampler's parameters.
func (s *Sampler) Space() []Param { return append([]Param(nil), s.space...) }

// NextNumber is the number the next suggested or added trial will get.
func (s *Sampler) NextNumber() int { return s.next }

// Trials returns the finished trials in the order they finished.
func (s *Sampler) Trials() []Trial { return cloneTrials(s.complete) }

// Unguided is how many of the next suggestions no trial's value guides, if
// each is told before the next is made: those drawn uniformly while fewer
// than NStartupTrials trials are finished, or every one when no parameter
// has a choice (math.MaxInt). Making that many suggestions in a row without
// telling any returns the same trials, so their objectives can be computed
// at once; telling them in order then leaves the sampler as if each had
// been told before the next.
func (s *Sampler) Unguided() int {
	if len(s.order) == 0 {
		return math.MaxInt
	}
	return max(0, s.cfg.NStartupTrials-len(s.complete))
}

// Suggest starts a trial and returns its number and parameter values, in
// the order of the search space. Report its value with Tell.
func (s *Sampler) Suggest() (number int, params []int) {
	switch {
	case len(s.order) == 0:
		// Only single-choice parameters: nothing to draw.
		params = make([]int, len(s.space))
	case len(s.complete) < s.cfg.NStartupTrials:
		params = make([]int, len(s.space))
		for i, p := range s.space {
			// Optuna fixes a single-choice parameter without asking its sampler.
			if p.Choices > 1 {
				params[i] = s.random.RandBelow(p.Choices)
			}
		}
	default:
		params = s.sampleTPE()
	}
	number = s.next
	s.next++
	s.running = append(s.running, Trial{Number: number, Params: append([]int(nil), params...)})
	return number, params
}

// Tell finishes the suggested trial number with the objective's value.
func (s *Sampler) Tell(number int, value float64) error {
	if math.IsNaN(value) {
		return fmt.Errorf("tpe: trial %d: value is NaN", number)
	}
	for i, t := range s.running {
		if t.Number == number {
			t.Value = value
			s.running = append(s.running[:i:i], s.running[i+1:]...)
			s.complete = append(s.complete, t)
			return nil
		}
	}
	return fmt.Errorf("tpe: trial %d was not suggested or is already finished", number)
}

// AddTrial records a finished trial evaluated outside the sampler (a
// baseline, or a re-evaluation on more data), as Optuna's study.add_trial
// does, and returns the number it gets.
func (s *Sampler) AddTrial(params []int, value float64) (int, error) {
	if err := s.validParams(params); err != nil {
		return 0, fmt.Errorf("tpe: add trial: %w", err)
	}
	if math.IsNaN(value) {
		return 0, errors.New("tpe: add trial: value is NaN")
	}
	number := s.next
	s.next++
	s.complete = append(s.complete, Trial{Number: number, Params: append([]int(nil), params...), Value: value})
	return number, nil
}

func (s *Sampler) validParams(params []int) error {
	if len(params) != len(s.space) {
		return fmt.Errorf("%d values for %d parameters", len(params), len(s.space))
	}
	for i, v := range params {
		if v < 0 || v >= s.space[i].Choices {
			return fmt.Errorf("parameter %s: value %d outside 0..%d", s.space[i].Name, v, s.space[i].Choices-1)
		}
	}
	return nil
}

// sampleTPE is Optuna's TPESampler._sample for a single objective without
// constant liar: split, build both estimators, draw candidates from "below"
// and keep the first with the highest acquisition value.
func (s *Sampler) sampleTPE() []int {
	below, above := splitTrials(s.complete, DefaultGamma(len(s.complete)))
	dims := make([]int, len(s.order))
	for d, i := range s.order {
		dims[d] = s.space[i].Choices
	}
	mBelow := newMixture(below, s.order, dims, s.cfg.PriorWeight)
	mAbove := newMixture(above, s.order, dims, s.cfg.PriorWeight)
	candidates := mBelow.sample(s.sampler, s.cfg.NEICandidates)

	best, bestScore := 0, math.Inf(-1)
	for k, c := range candidates {
		score := mBelow.logPDF(c) - mAbove.logPDF(c)
		if score > bestScore || k == 0 {
			best, bestScore = k, score
		}
	}
	params := make([]int, len(s.space))
	for d, i := range s.order {
		params[i] = candidates[best][d]
	}
	return params
}

// splitTrials is Optuna's _split_trials for finished trials of a
// maximisation: the nBelow highest values (ties in trial order) are "below",
// the rest "above", each group then ordered by trial number so that the
// weights favour recent trials.
func splitTrials(trials []Trial, nBelow int) (below, above []Trial) {
	sorted := cloneTrials(trials)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Number < sorted[j].Number })
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Value > sorted[j].Value })
	nBelow = min(nBelow, len(sorted))
	below, above = sorted[:nBelow], sorted[nBelow:]
	byNumber := func(ts []Trial) {
		sort.SliceStable(ts, func(i, j int) bool { return ts[i].Number < ts[j].Number })
	}
	byNumber(below)
	byNumber(above)
	return below, above
}

// DefaultGamma is Optuna's default_gamma: how many of n finished trials
// count as good, min(⌈0.1·n⌉, 25). The product is rounded in float64 as
// numpy rounds it (0.1·30 rounds up to 4).
func DefaultGamma(n int) int {
	return min(int(math.Ceil(0.1*float64(n))), 25)
}

// DefaultWeights is Optuna's default_weights: equal weights for fewer than
// 25 trials, otherwise a ramp from 1/n up to 1 for all but the newest 25,
// which weigh 1.
func DefaultWeights(n int) []float64 {
	w := make([]float64, n)
	if n < 25 {
		for i := range w {
			w[i] = 1
		}
		return w
	}
	ramp := linspace(1/float64(n), 1, n-25)
	copy(w, ramp)
	for i := n - 25; i < n; i++ {
		w[i] = 1
	}
	return w
}

// linspace is numpy.linspace(start, stop, num) with its endpoint.
func linspace(start, stop float64, num int) []float64 {
	out := make([]float64, num)
	if num == 0 {
		return out
	}
	if num == 1 {
		out[0] = start
		return out
	}
	step := (stop - start) / float64(num-1)
	for i := range out {
		out[i] = start + float64(i)*step
	}
	out[num-1] = stop
	return out
}

func validSpace(space []Param) error {
	seen := map[string]bool{}
	for _, p := range space {
		if p.Name == "" {
			return errors.New("tpe: a parameter needs a name")
		}
		if seen[p.Name] {
			return fmt.Errorf("tpe: parameter %q appears twice", p.Name)
		}
		seen[p.Name] = true
		if p.Choices < 1 {
			return fmt.Errorf("tpe: parameter %q needs at least one choice", p.Name)
		}
	}
	return nil
}

func sortedOrder(space []Param) []int {
	var order []int
	for i, p := range space {
		if p.Choices > 1 {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return space[order[a]].Name < space[order[b]].Name })
	return order
}

func cloneTrials(ts []Trial) []Trial {
	if ts == nil {
		return nil
	}
	out := make([]Trial, len(ts))
	for i, t := range ts {
		out[i] = Trial{Number: t.Number, Params: append([]int(nil), t.Params...), Value: t.Value}
	}
	return out
}
