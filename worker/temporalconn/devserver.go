package temporalconn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/durable-dspy/durable-dspy/worker/devserver"
)

// StartDevServer starts the embedded Temporal dev server and its Web UI as
// o's Dev options describe, with the workflows' search attributes
// registered in o's namespace. The database's directory is created if
// missing. Connect calls it for Options.Dev; call it directly to serve
// Temporal without a worker in this process (the worker's --dev-only). The
// server logs to logger; nil means slog.Default().
func StartDevServer(ctx context.Context, o Options, logger *slog.Logger) (*devserver.Server, error) {
	o = o.WithDefaults()
	if logger == nil {
		logger = slog.Default()
	}
	db := o.DevDB
	if db == InMemoryDB || o.DevPostgres != "" {
		db = ""
	}
	if db != "" {
		if err := os.MkdirAll(filepath.Dir(db), 0o755); err != nil {
			return nil, fmt.Errorf("--%s %s: %w", FlagDevDB, db, err)
		}
	}
	srv, err := devserver.Start(ctx, devserver.Options{
		DBPath:           db,
		Postgres:         o.DevPostgres,
		IP:               o.DevIP,
		Port:             o.DevPort,
		UIPort:           o.DevUIPort,
		Namespace:        o.Namespace,
		SearchAttributes: SearchAttributes(),
		Logger:           logger,
	})
	switch {
	case err == nil:
		return srv, nil
	case errors.Is(err, devserver.ErrPortInUse):
		// Its message already names --port or --ui-port.
		return nil, err
	case o.DevPostgres != "":
		// The URL may hold a password: the message names the flag only.
		return nil, fmt.Errorf("start dev server on --%s: %w", FlagDevPG, err)
	case db != "":
		// The usual cause is another dev server holding the same file.
		return nil, fmt.Errorf("start dev server on --%s %s (is another dev server using it?): %w", FlagDevDB, db, err)
	default:
		return nil, fmt.Errorf("start dev server: %w", err)
	}
}
