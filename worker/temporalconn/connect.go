package temporalconn

import (
	"context"
	"log/slog"

	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/worker/devserver"
)

// Conn is a Temporal client and, with Options.Dev, the embedded server it
// is connected to.
type Conn struct {
	client                        client.Client
	dev                           *devserver.Server // nil unless Options.Dev
	address, namespace, taskQueue string
}

// Connect returns a client for a worker. With Options.Dev it first starts
// the embedded dev server (see StartDevServer) and dials it; otherwise it
// dials Options.Address (see Dial) and also checks that the workflows'
// search attributes exist, since a worker whose workflows set a missing one
// would hang. On error nothing is left running.
func Connect(ctx context.Context, o Options, logger *slog.Logger) (_ *Conn, err error) {
	o = o.WithDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	c := &Conn{address: o.Address, namespace: o.Namespace, taskQueue: o.TaskQueue}
	defer func() {
		if err != nil {
			_ = c.Close()
		}
	}()
	if o.Dev {
		if c.dev, err = StartDevServer(ctx, o, logger); err != nil {
			return nil, err
		}
		c.address, c.namespace = c.dev.FrontendAddress(), c.dev.Namespace()
	}
	if c.client, err = dial(ctx, o, c.address, o.Dev, logger); err != nil {
		return nil, err
	}
	if !o.Dev {
		if err := checkSearchAttributes(ctx, c.client, o.Namespace); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Client is the connected Temporal client. It stays valid until Close.
func (c *Conn) Client() client.Client { return c.client }

// Address is the Temporal frontend the client is connected to: the embedded
// server's with Options.Dev.
func (c *Conn) Address() string { return c.address }

// Namespace is the namespace the client uses.
func (c *Conn) Namespace() string { return c.namespace }

// TaskQueue is Options.TaskQueue, or its default.
func (c *Conn) TaskQueue() string { return c.taskQueue }

// UIURL is the embedded server's Web UI, e.g. http://127.0.0.1:8233, or ""
// without Options.Dev or with the UI disabled.
func (c *Conn) UIURL() string {
	if c.dev == nil {
		return ""
	}
	return c.dev.UIURL()
}

// Close closes the client, then stops the embedded server, if any, so the
// client logs no failures against a server that has already gone.
func (c *Conn) Close() error {
	if c.client != nil {
		c.client.Close()
	}
	if c.dev != nil {
		return c.dev.Stop()
	}
	return nil
}
