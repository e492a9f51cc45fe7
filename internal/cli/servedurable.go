package cli

import (
	"context"
	"sync"

	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/serve"
	"github.com/durable-dspy/durable-dspy/serve/durable"
)

// durableDialer makes durable programs' sources, dialling Temporal once for
// all of them when the first is built; the plan closes the connection.
type durableDialer struct {
	a    *app
	ctx  context.Context
	plan *servePlan

	mu sync.Mutex
	c  client.Client
}

func (d *durableDialer) source(name, model, registered string, base serve.Source) (serve.Source, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c == nil {
		c, err := d.a.dial(d.ctx)
		if err != nil {
			return nil, err
		}
		d.c = c
		d.plan.closers = append(d.plan.closers, func() error { c.Close(); return nil })
	}
	return durable.Source{Base: base, Registered: registered, Runner: durable.Runner{
		Client: d.c, TaskQueue: d.a.opts.Temporal.TaskQueue, Name: name, Model: model,
	}}, nil
}
