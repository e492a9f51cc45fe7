package workerlib

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/worker/lmconfig"
	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// Worker is a running durable-dspy worker with everything it depends on:
// the Temporal connection (and, with Options.Temporal.Dev, the embedded
// Temporal server) and the LM clients (and the simulated LM, if used). Its
// methods are safe for concurrent use.
type Worker struct {
	conn   *temporalconn.Conn
	lms    *lmconfig.Clients
	worker sdkworker.Worker

	done      chan struct{}
	closeDone sync.Once

	mu    sync.Mutex
	fatal error

	stopOnce sync.Once
	stopErr  error
}

// Start starts a worker as o describes and returns once it is polling. With
// Options.Temporal.Dev it first starts the embedded Temporal server,
// persisted in Options.Temporal.DevDB with the workflows' search attributes
// registered; otherwise it dials Options.Temporal.Address and checks the
// namespace and search attributes (see temporalconn.Connect).
//
// ctx bounds start-up only; the worker runs until Stop. Start prints
// nothing: the caller shows Address, UIURL and LMDescription as it likes.
// On error nothing is left running.
func Start(ctx context.Context, o Options) (_ *Worker, err error) {
	o = o.withDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	w := &Worker{done: make(chan struct{})}
	defer func() {
		if err != nil {
			_ = w.release()
		}
	}()
	// The LM goes first: its failures (a bad --sim, a locked cache) are
	// instant, while a dev server takes a second to start and stop.
	if w.lms, err = lmconfig.Open(o.LM, o.Logger); err != nil {
		return nil, err
	}
	if w.conn, err = temporalconn.Connect(ctx, o.Temporal, o.Logger); err != nil {
		return nil, err
	}
	plugin, err := workflows.NewPlugin(workflows.Config{
		Programs:    o.Programs,
		Metrics:     o.Metrics,
		Tools:       o.Tools,
		TaskLM:      w.lms.Task,
		PromptLM:    w.lms.Prompt,
		Concurrency: o.Concurrency,
		Embedder:    w.lms.AsEmbedder(),
	})
	if err != nil {
		return nil, fmt.Errorf("worker plugin: %w", err)
	}
	w.worker = sdkworker.New(w.conn.Client(), w.conn.TaskQueue(), sdkworker.Options{
		Plugins:                            []sdkworker.Plugin{plugin},
		MaxConcurrentActivityExecutionSize: o.MaxConcurrentActivities,
		WorkerStopTimeout:                  o.StopTimeout,
		OnFatalError:                       w.onFatal,
	})
	if err := w.worker.Start(); err != nil {
		return nil, fmt.Errorf("start worker on task queue %q: %w", w.conn.TaskQueue(), err)
	}
	return w, nil
}

// onFatal records an error that stopped the worker, such as its namespace
// being deleted, and wakes up whoever waits on Done.
func (w *Worker) onFatal(err error) {
	w.mu.Lock()
	if w.fatal == nil {
		w.fatal = err
	}
	w.mu.Unlock()
	w.closeDone.Do(func() { close(w.done) })
}

// Client is the worker's Temporal client, for starting and watching
// workflows in the same process. It stays valid until Stop.
func (w *Worker) Client() client.Client { return w.conn.Client() }

// Address is the Temporal frontend the worker is connected to: the embedded
// server's with Options.Temporal.Dev.
func (w *Worker) Address() string { return w.conn.Address() }

// Namespace is the namespace the worker polls.
func (w *Worker) Namespace() string { return w.conn.Namespace() }

// TaskQueue is the task queue the worker polls; start workflows on it.
func (w *Worker) TaskQueue() string { return w.conn.TaskQueue() }

// UIURL is the embedded server's Web UI, e.g. http://127.0.0.1:8233, or ""
// without Options.Temporal.Dev or with the UI disabled.
func (w *Worker) UIURL() string { return w.conn.UIURL() }

// LMDescription says which model answers where, e.g. "simulated LM at
// http://127.0.0.1:PORT/v1 (seed 0)" or "gpt-4o-mini at
// https://api.openai.com/v1". It never holds a key.
func (w *Worker) LMDescription() string { return w.lms.Description() }

// LMUsage is what the task and prompt LMs have used so far in this process.
func (w *Worker) LMUsage() dspy.Usage { return w.lms.Usage() }

// Done is closed once the worker has stopped polling: when Stop returns, or
// when a fatal error (see Err) stopped it, in which case call Stop to
// release the rest.
func (w *Worker) Done() <-chan struct{} { return w.done }

// Err is the fatal error that stopped the worker, or nil.
func (w *Worker) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fatal
}

// Wait blocks until Done is closed and returns Err.
func (w *Worker) Wait() error {
	<-w.done
	return w.Err()
}

// Stop shuts everything down in dependency order: the worker stops polling
// and gives in-flight activities up to Options.StopTimeout to finish, then
// the LM disk cache is flushed, the simulated LM stops, the client closes,
// and the dev server stops last, so nothing logs failures against a server
// that has already gone. Calling it again returns the first call's result.
func (w *Worker) Stop() error {
	w.stopOnce.Do(func() {
		w.stopErr = w.release()
		w.closeDone.Do(func() { close(w.done) })
	})
	return w.stopErr
}

// release stops whatever has been started, also on a failed Start.
func (w *Worker) release() error {
	var errs []error
	if w.worker != nil {
		w.worker.Stop()
	}
	if w.lms != nil {
		errs = append(errs, w.lms.Close())
	}
	if w.conn != nil {
		errs = append(errs, w.conn.Close())
	}
	return errors.Join(errs...)
}
