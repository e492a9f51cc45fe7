package temporalconn_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/worker/devserver"
	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
)

func TestDialNamesTheNamespaceFlagWhenTheNamespaceIsMissing(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	// Generous: the tests may run on a loaded two-core machine.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	srv, err := devserver.Start(ctx, devserver.Options{UIPort: devserver.NoUI, SearchAttributes: temporalconn.SearchAttributes(), Logger: logger, LogLevel: "error"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })

	_, err = temporalconn.Dial(t.Context(), temporalconn.Options{Address: srv.FrontendAddress(), Namespace: "no-such-namespace"}, logger)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `namespace "no-such-namespace" does not exist`)
	assert.Contains(t, err.Error(), "--namespace")
}
