package optimize

import (
	"context"
	"errors"
	"sync/atomic"
)

var _ GraphForker = (*LocalEngine)(nil)

// errForkStopped is what a graph's call that was never made returns: the
// fork had already stopped at an earlier call's error, which it returns.
var errForkStopped = errors.New("optimize: fork stopped before this call started")

// ForksGraph reports true: an in-process run has no history to keep.
func (e *LocalEngine) ForksGraph() bool { return true }

// ForkGraph calls fn for every i on a goroutine of its own as soon as the
// calls deps[i] names have returned, and after(i) on the caller's, in
// order, as Fork does.
func (e *LocalEngine) ForkGraph(ctx context.Context, n int, deps [][]int, fn func(ctx context.Context, eng Engine, i int) error, after func(i int) error) error {
	if err := CheckGraph(n, deps); err != nil {
		return err
	}
	errs := make([]error, n)
	finished := make([]chan struct{}, n)
	for i := range n {
		finished[i] = make(chan struct{})
	}
	var stopped atomic.Bool
	for i := range n {
		go func() {
			defer close(finished[i])
			for _, d := range deps[i] {
				<-finished[d]
				if errs[d] != nil {
					errs[i] = errs[d]
					return
				}
			}
			if stopped.Load() {
				errs[i] = errForkStopped
				return
			}
			errs[i] = fn(ctx, e, i)
		}()
	}
	var err error
	for i := range n {
		<-finished[i]
		if err == nil {
			if err = errs[i]; err == nil {
				err = after(i)
			}
			if err != nil {
				stopped.Store(true)
			}
		}
	}
	return err
}
