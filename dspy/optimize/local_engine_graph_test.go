package optimize

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each call of a graph starts only once its dependencies have returned,
// while calls that do not depend on each other overlap; after runs in order.
func TestLocalEngineForkGraphStartsEachCallAfterItsDependencies(t *testing.T) {
	eng := newTestEngine(1, arithmeticLM())
	// 0 and 1 wait for each other, so they must overlap; 2 needs both; 3 needs 2.
	deps := [][]int{nil, nil, {0, 1}, {2}}
	var mu sync.Mutex
	var finished []int
	var arrived atomic.Int32
	release := make(chan struct{})
	var afters []int
	err := eng.ForkGraph(context.Background(), 4, deps, func(_ context.Context, _ Engine, i int) error {
		if i < 2 {
			if arrived.Add(1) == 2 {
				close(release)
			}
			<-release
		}
		mu.Lock()
		defer mu.Unlock()
		for _, d := range deps[i] {
			assert.Contains(t, finished, d, "call %d started before call %d returned", i, d)
		}
		finished = append(finished, i)
		return nil
	}, func(i int) error {
		afters = append(afters, i)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 2, 3}, afters)
}

// A failed call's dependents, and theirs, are not made, and the fork
// returns the first error in order.
func TestLocalEngineForkGraphSkipsTheDependentsOfAFailedCall(t *testing.T) {
	eng := newTestEngine(1, arithmeticLM())
	boom := errors.New("boom")
	var made [3]atomic.Bool
	var afters []int
	err := eng.ForkGraph(context.Background(), 3, [][]int{nil, {0}, {1}}, func(_ context.Context, _ Engine, i int) error {
		made[i].Store(true)
		if i == 0 {
			return boom
		}
		return nil
	}, func(i int) error {
		afters = append(afters, i)
		return nil
	})
	require.ErrorIs(t, err, boom)
	assert.Empty(t, afters)
	assert.False(t, made[1].Load())
	assert.False(t, made[2].Load())
}

// Once an after fails, no later after runs and the fork returns that error
// when the calls it started are over.
func TestLocalEngineForkGraphEndsAtAFailedAfter(t *testing.T) {
	eng := newTestEngine(1, arithmeticLM())
	var afters []int
	err := eng.ForkGraph(context.Background(), 3, [][]int{nil, {0}, {1}}, func(context.Context, Engine, int) error {
		return nil
	}, func(i int) error {
		afters = append(afters, i)
		if i == 0 {
			return ErrStop
		}
		return nil
	})
	require.ErrorIs(t, err, ErrStop)
	assert.Equal(t, []int{0}, afters)
}

// A graph whose call depends on itself or a later call, or that does not
// give every call its list, is refused before anything runs: it could never
// run in order.
func TestForkGraphRefusesDependenciesThatAreNotBefore(t *testing.T) {
	eng := newTestEngine(1, arithmeticLM())
	for _, deps := range [][][]int{{{0}, nil}, {nil, {1}}, {{1}, nil}, {nil}} {
		var ran atomic.Bool
		err := eng.ForkGraph(context.Background(), 2, deps, func(context.Context, Engine, int) error {
			ran.Store(true)
			return nil
		}, func(int) error { return nil })
		require.Error(t, err, "%v", deps)
		assert.False(t, ran.Load())
	}
}
