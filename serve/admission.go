package serve

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// admission bounds one program's requests: at most limit run at once, at most
// maxQueue wait for a slot, each for at most timeout, and every runner also
// holds a slot of the handler-wide cap. Waiters queue inside the semaphores
// (FIFO, in their own request goroutines), so nothing grows without bound.
type admission struct {
	program  *semaphore.Weighted
	global   *semaphore.Weighted
	limit    int64
	maxQueue int64
	timeout  time.Duration
	waiting  atomic.Int64
	// serviceNanos is a moving average of run time, for Retry-After hints.
	serviceNanos atomic.Int64
}

func newAdmission(global *semaphore.Weighted, l Limits) *admission {
	return &admission{
		program:  semaphore.NewWeighted(int64(l.MaxConcurrent)),
		global:   global,
		limit:    int64(l.MaxConcurrent),
		maxQueue: int64(l.MaxQueue),
		timeout:  l.QueueTimeout,
	}
}

// acquire waits for a program slot and a global slot. It returns the release
// function and how long the request waited, or the rejection to send.
func (a *admission) acquire(ctx context.Context) (func(), time.Duration, *apiError) {
	if a.program.TryAcquire(1) {
		if a.global.TryAcquire(1) {
			return a.release, 0, nil
		}
		a.program.Release(1)
	}
	start := time.Now()
	n := a.waiting.Add(1)
	defer a.waiting.Add(-1)
	if n > a.maxQueue {
		e := newAPIError(http.StatusTooManyRequests, CodeQueueFull, "too many requests are waiting for this program; retry after the indicated delay")
		e.retryAfter = a.retryAfter(n)
		return nil, time.Since(start), e
	}
	wctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	if err := a.program.Acquire(wctx, 1); err != nil {
		return nil, time.Since(start), a.rejectWait(ctx, n)
	}
	if err := a.global.Acquire(wctx, 1); err != nil {
		a.program.Release(1)
		return nil, time.Since(start), a.rejectWait(ctx, n)
	}
	return a.release, time.Since(start), nil
}

func (a *admission) rejectWait(client context.Context, n int64) *apiError {
	if client.Err() != nil {
		return newAPIError(StatusClientClosedRequest, CodeClientClosed, "the client closed the request while it waited")
	}
	e := newAPIError(http.StatusTooManyRequests, CodeQueueTimeout, "no slot for this program freed up within the queue timeout; retry after the indicated delay")
	e.retryAfter = a.retryAfter(n)
	return e
}

func (a *admission) release() {
	a.global.Release(1)
	a.program.Release(1)
}

// observe folds one run's duration into the moving average.
func (a *admission) observe(d time.Duration) {
	old := a.serviceNanos.Load()
	a.serviceNanos.Store(old + (int64(d)-old)/8)
}

// retryAfter estimates when a slot frees for the n-th waiter: the rounds of
// runs ahead of it times the average run, between one second and a minute.
func (a *admission) retryAfter(n int64) time.Duration {
	rounds := (n + a.limit - 1) / a.limit
	d := time.Duration(rounds * a.serviceNanos.Load())
	return min(max(d, time.Second), time.Minute)
}
