package tpe

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
)

var twoParams = []Param{{Name: "0_predictor_instruction", Choices: 4}, {Name: "0_predictor_demos", Choices: 8}}

// objective rewards demo set 5 and, less, instruction 2.
func objective(p []int) float64 {
	v := 0.0
	if p[1] == 5 {
		v += 60
	}
	if p[0] == 2 {
		v += 30
	}
	return v
}

func run(t *testing.T, s *Sampler, n int) [][]int {
	t.Helper()
	var out [][]int
	for range n {
		num, p := s.Suggest()
		require.NoError(t, s.Tell(num, objective(p)))
		out = append(out, p)
	}
	return out
}

func TestStartupTrialsAreUniformDrawsInSpaceOrder(t *testing.T) {
	s, err := New(twoParams, Config{Seed: 3})
	require.NoError(t, err)
	got := run(t, s, 10)

	ref := pyrand.New(3)
	for i, p := range got {
		assert.Equal(t, []int{ref.RandBelow(4), ref.RandBelow(8)}, p, "trial %d", i)
	}
}

func TestAddedTrialsCountTowardsStartup(t *testing.T) {
	s, err := New(twoParams, Config{Seed: 3, NStartupTrials: 2})
	require.NoError(t, err)
	n, err := s.AddTrial([]int{0, 0}, 10)
	require.NoError(t, err)
	assert.Equal(t, 0, n)
	_, err = s.AddTrial([]int{1, 1}, 20)
	require.NoError(t, err)

	before := s.random.State()
	num, _ := s.Suggest()
	assert.Equal(t, 2, num)
	assert.Equal(t, before, s.random.State(), "past startup the uniform generator is not used")
}

func TestSamplerConcentratesOnGoodCategoriesAfterStartup(t *testing.T) {
	good, total := 0, 0
	for seed := range int64(5) {
		s, err := New(twoParams, Config{Seed: seed})
		require.NoError(t, err)
		for _, p := range run(t, s, 60)[10:] {
			total++
			if p[1] == 5 {
				good++
			}
		}
	}
	// Uniform sampling picks demo set 5 one time in eight.
	assert.Greater(t, float64(good)/float64(total), 0.35, "TPE trials should favour the best demo set; got %d of %d", good, total)
}

func TestSameSeedSameSuggestionsOtherSeedOthers(t *testing.T) {
	a, _ := New(twoParams, Config{Seed: 9})
	b, _ := New(twoParams, Config{Seed: 9})
	c, _ := New(twoParams, Config{Seed: 10})
	ra, rb, rc := run(t, a, 30), run(t, b, 30), run(t, c, 30)
	assert.Equal(t, ra, rb)
	assert.NotEqual(t, ra, rc)
}

func TestRestoredStateContinuesTheSameSequence(t *testing.T) {
	for _, after := range []int{4, 10, 17} {
		full, _ := New(twoParams, Config{Seed: 5})
		want := run(t, full, 30)

		first, _ := New(twoParams, Config{Seed: 5})
		got := run(t, first, after)
		b, err := json.Marshal(first.State())
		require.NoError(t, err)
		var st State
		require.NoError(t, json.Unmarshal(b, &st))
		restored, err := Restore(st)
		require.NoError(t, err)
		got = append(got, run(t, restored, 30-after)...)
		assert.Equal(t, want, got, "restored after %d trials", after)
	}
}

// The trials Unguided counts, suggested in a row before any is told, are
// the ones suggested and told one at a time, and telling them in order ends
// in the same state; one more would have been guided by the values.
func TestUnguidedSuggestionsMadeAtOnceEqualOneAtATime(t *testing.T) {
	for _, added := range []int{0, 1, 6, 9} {
		seq, _ := New(twoParams, Config{Seed: 4})
		batch, _ := New(twoParams, Config{Seed: 4})
		for i := range added {
			_, err := seq.AddTrial([]int{i % 4, i % 8}, float64(i))
			require.NoError(t, err)
			_, err = batch.AddTrial([]int{i % 4, i % 8}, float64(i))
			require.NoError(t, err)
		}
		n := batch.Unguided()
		require.Equal(t, 10-added, n)
		want := run(t, seq, n)

		numbers, got := make([]int, n), make([][]int, n)
		for k := range n {
			numbers[k], got[k] = batch.Suggest()
		}
		for k := range n {
			require.NoError(t, batch.Tell(numbers[k], objective(got[k])))
		}
		assert.Equal(t, want, got, "after %d added trials", added)
		assert.Equal(t, seq.State(), batch.State(), "after %d added trials", added)
		assert.Zero(t, batch.Unguided())
		assert.Equal(t, run(t, seq, 3), run(t, batch, 3), "guided suggestions after %d added trials", added)
	}

	only, _ := New([]Param{{Name: "a", Choices: 1}}, Config{Seed: 4})
	assert.Equal(t, math.MaxInt, only.Unguided())
}

func TestSingleChoiceParametersAreFixedWithoutDraws(t *testing.T) {
	space := []Param{{Name: "a", Choices: 1}, {Name: "b", Choices: 3}}
	s, _ := New(space, Config{Seed: 2, NStartupTrials: 3})
	ref := pyrand.New(2)
	for range 3 {
		n, p := s.Suggest()
		assert.Equal(t, []int{0, ref.RandBelow(3)}, p)
		require.NoError(t, s.Tell(n, float64(p[1])))
	}
	for range 5 {
		n, p := s.Suggest()
		assert.Equal(t, 0, p[0])
		require.NoError(t, s.Tell(n, float64(p[1])))
	}

	only, _ := New([]Param{{Name: "a", Choices: 1}}, Config{Seed: 2})
	before := only.State()
	_, p := only.Suggest()
	assert.Equal(t, []int{0}, p)
	assert.Equal(t, before.Random, only.State().Random)
}

func TestTellRejectsUnknownTrialsAndNaN(t *testing.T) {
	s, _ := New(twoParams, Config{Seed: 1})
	n, _ := s.Suggest()
	assert.Error(t, s.Tell(n, math.NaN()))
	require.NoError(t, s.Tell(n, 1))
	assert.Error(t, s.Tell(n, 1), "told twice")
	assert.Error(t, s.Tell(42, 1), "never suggested")
	_, err := s.AddTrial([]int{4, 0}, 1)
	assert.Error(t, err, "instruction 4 is out of range")
}

func TestNewRejectsBadSpaces(t *testing.T) {
	for name, space := range map[string][]Param{
		"duplicate": {{Name: "a", Choices: 2}, {Name: "a", Choices: 2}},
		"no choice": {{Name: "a", Choices: 0}},
		"no name":   {{Choices: 2}},
	} {
		_, err := New(space, Config{})
		assert.Error(t, err, name)
	}
}

func TestDefaultGammaAndWeightsFollowOptuna(t *testing.T) {
	for n, want := range map[int]int{0: 0, 1: 1, 10: 1, 11: 2, 30: 3, 31: 4, 250: 25, 400: 25} {
		assert.Equal(t, want, DefaultGamma(n), "gamma(%d)", n)
	}
	assert.Empty(t, DefaultWeights(0))
	assert.Equal(t, []float64{1, 1, 1}, DefaultWeights(3))
	w := DefaultWeights(27)
	require.Len(t, w, 27)
	assert.InDelta(t, 1.0/27, w[0], 1e-15)
	for _, x := range w[1:] {
		assert.Equal(t, 1.0, x)
	}
}

func TestMixtureMatchesHandComputedDensity(t *testing.T) {
	// One trial chose 1 of 3: its kernel is (0.5, 1.5, 0.5)/2.5, the prior
	// is uniform, and both weigh 1/2.
	m := newMixture([]Trial{{Params: []int{1}}}, []int{0}, []int{3}, 1)
	assert.InDeltaSlice(t, []float64{0.5, 0.5}, m.weights, 1e-15)
	assert.InDeltaSlice(t, []float64{0.2, 0.6, 0.2}, m.probs[0][0], 1e-15)
	assert.InDelta(t, math.Log(0.5*0.6+0.5/3), m.logPDF([]int{1}), 1e-12)
	assert.InDelta(t, math.Log(0.5*0.2+0.5/3), m.logPDF([]int{0}), 1e-12)

	empty := newMixture(nil, []int{0}, []int{4}, 1)
	assert.InDelta(t, math.Log(0.25), empty.logPDF([]int{3}), 1e-12)
}

func TestSplitPutsTheBestTrialsBelowInTrialOrder(t *testing.T) {
	trials := []Trial{{Number: 0, Value: 5}, {Number: 1, Value: 9}, {Number: 2, Value: 9}, {Number: 3, Value: 1}}
	below, above := splitTrials(trials, 2)
	assert.Equal(t, []int{1, 2}, numbers(below))
	assert.Equal(t, []int{0, 3}, numbers(above))
	below, _ = splitTrials(trials, 1)
	assert.Equal(t, []int{1}, numbers(below), "ties keep trial order")
}

func numbers(ts []Trial) []int {
	var out []int
	for _, t := range ts {
		out = append(out, t.Number)
	}
	return out
}
