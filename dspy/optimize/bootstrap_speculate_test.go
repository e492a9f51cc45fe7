package optimize

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// legacyEngine is a parallel engine that says no, as a durable run started
// before the parallel schedule does.
type legacyEngine struct{ *fakeEngine }

func (legacyEngine) Parallel() bool { return true }

func (legacyEngine) Legacy() bool { return true }

func (l legacyEngine) Fork(ctx context.Context, n int, fn func(context.Context, Engine, int) error, after func(int) error) error {
	for i := range n {
		if err := fn(ctx, l, i); err != nil {
			return err
		}
		if err := after(i); err != nil {
			return err
		}
	}
	return nil
}

// dspyPicks is DSPy's one-at-a-time bootstrap: the first demos successes in
// trainset order, and how many examples it ran to find them.
func dspyPicks(n, demos int, succeed func(int) bool) (picks []int, calls int) {
	for id := range n {
		if len(picks) == demos {
			break
		}
		calls++
		if succeed(id) {
			picks = append(picks, id)
		}
	}
	return picks, calls
}

func examplesRun(e *fakeEngine) int {
	n := 0
	for _, b := range e.batches {
		n += len(b.Examples)
	}
	return n
}

// The bootstrap speculates only as far as the success rate seen calls for:
// it picks DSPy's demos, in DSPy's order, for at most 15 % more runs than
// DSPy's one-at-a-time loop, in a few batches.
func TestBootstrapSpeculatesOnlyAsFarAsNeeded(t *testing.T) {
	tests := []struct {
		name    string
		demos   int
		succeed func(int) bool
		batches int
	}{
		{"every run succeeds, 4 demos", 4, func(int) bool { return true }, 1},
		{"every run succeeds, 16 demos", 16, func(int) bool { return true }, 1},
		{"nine in ten succeed, 16 demos", 16, func(id int) bool { return id%10 != 3 }, 3},
		{"two failures early, 16 demos", 16, func(id int) bool { return id != 2 && id != 9 }, 2},
		{"half succeed, 4 demos", 4, func(id int) bool { return id%2 == 1 }, 3},
		{"one in five succeeds, 4 demos", 4, func(id int) bool { return id%5 == 4 }, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := Task{Student: twoPredictorState(), Trainset: qaExamples(50)}
			opt := &BootstrapFewShot{MaxBootstrappedDemos: tt.demos, MaxLabeledDemos: tt.demos + 4}
			eng := &fakeEngine{succeed: func(id, _ int) bool { return tt.succeed(id) }}
			res, err := opt.Compile(context.Background(), eng, task)
			require.NoError(t, err)

			picks, calls := dspyPicks(len(task.Trainset), tt.demos, tt.succeed)
			var want []string
			for _, id := range picks {
				want = append(want, fmt.Sprintf("q%d+d%d-r0", id, id))
			}
			assert.Equal(t, want, demoQuestions(res.Program, "first")[:len(want)])

			// The whole program, labeled demos included, is the one the
			// batches of the earlier schedule chose.
			old := &fakeEngine{succeed: eng.succeed}
			legacy, err := opt.Compile(context.Background(), legacyEngine{old}, task)
			require.NoError(t, err)
			assert.Equal(t, mustJSON(t, legacy.Program), mustJSON(t, res.Program))

			ran := examplesRun(eng)
			t.Logf("DSPy %d runs; here %d runs in %d batches (before: %d runs)", calls, ran, len(eng.batches), examplesRun(old))
			assert.LessOrEqual(t, float64(ran), math.Floor(1.15*float64(calls)+0.5), "runs against DSPy's %d", calls)
			assert.GreaterOrEqual(t, ran, calls)
			assert.LessOrEqual(t, len(eng.batches), tt.batches)
		})
	}
}
