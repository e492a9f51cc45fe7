package tests

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/durable-dspy/durable-dspy/simlm"
)

// devServer is a `worker --dev-only` process: the embedded Temporal server
// and its Web UI on loopback ports, persisted in a SQLite file.
type devServer struct {
	proc         *process
	db           string
	port, uiPort int
}

// address is the server's gRPC frontend.
func (s *devServer) address() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// devServerArgs are the worker's flags for a dev server alone.
func devServerArgs(db string, port, uiPort int) []string {
	return []string{
		"--dev-only", "--dev-db", db,
		"--port", strconv.Itoa(port), "--ui-port", strconv.Itoa(uiPort),
		"--log-level", "warn",
	}
}

// startDevServer starts a dev server of the test's own on the given SQLite
// file and ports, waits until it serves, and kills it when the test ends.
func startDevServer(t *testing.T, db string, port, uiPort int) *devServer {
	t.Helper()
	p := startProcess(t, "dev server", binaries.worker, devServerArgs(db, port, uiPort)...)
	require.NoError(t, p.waitReady())
	return &devServer{proc: p, db: db, port: port, uiPort: uiPort}
}

// shared is the dev server the tests that do not kill a server share, so
// that each does not pay for a server start. Tests keep apart by task queue
// and workflow ID.
var shared struct {
	once sync.Once
	srv  *devServer
	dir  string
	err  error
}

// sharedServer returns the shared dev server, starting it on first use.
// TestMain stops it after the last test.
func sharedServer(t testing.TB) *devServer {
	t.Helper()
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "durable-dspy-e2e-server-")
		if shared.err != nil {
			return
		}
		var port, uiPort int
		if port, shared.err = pickPort(); shared.err != nil {
			return
		}
		if uiPort, shared.err = pickPort(); shared.err != nil {
			return
		}
		db := filepath.Join(shared.dir, "temporal.db")
		p, err := spawn("shared dev server", shared.dir, binaries.worker, devServerArgs(db, port, uiPort)...)
		if err != nil {
			shared.err = err
			return
		}
		shared.srv = &devServer{proc: p, db: db, port: port, uiPort: uiPort}
		shared.err = p.waitReady()
	})
	require.NoError(t, shared.err, "shared dev server")
	return shared.srv
}

// stopSharedServer kills the shared dev server, if one was started, and
// removes its database.
func stopSharedServer() {
	if shared.srv != nil {
		if err := shared.srv.proc.kill(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
		}
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
}

// workerConfig says how to start a worker process.
type workerConfig struct {
	address   string
	taskQueue string
	// lmURL is the OpenAI-compatible endpoint the worker calls.
	lmURL string
	// cacheDir is the worker's LM disk cache; empty keeps it in memory.
	cacheDir string
	// concurrency bounds the examples one batch activity runs at once; 0
	// keeps the worker's default.
	concurrency int
	// lmTimeout bounds one LM call attempt; 0 keeps the worker's default.
	lmTimeout time.Duration
	// lmConcurrency caps the worker's LM calls in flight; 0 means no cap.
	lmConcurrency int
	// maxActivities bounds the activities the worker runs at once; 0 keeps
	// the worker's default.
	maxActivities int
}

// startWorker starts a worker process against a Temporal server and waits
// until it polls. It is killed when the test ends.
func startWorker(t *testing.T, cfg workerConfig) *process {
	t.Helper()
	cache := cfg.cacheDir
	if cache == "" {
		cache = "off"
	}
	args := []string{
		"--address", cfg.address, "--task-queue", cfg.taskQueue,
		"--lm-base-url", cfg.lmURL, "--lm-cache-dir", cache,
		"--log-level", "warn",
	}
	if cfg.concurrency > 0 {
		args = append(args, "--concurrency", strconv.Itoa(cfg.concurrency))
	}
	if cfg.lmTimeout > 0 {
		args = append(args, "--lm-timeout", cfg.lmTimeout.String())
	}
	if cfg.lmConcurrency > 0 {
		args = append(args, "--lm-max-concurrency", strconv.Itoa(cfg.lmConcurrency))
	}
	if cfg.maxActivities > 0 {
		args = append(args, "--max-concurrent-activities", strconv.Itoa(cfg.maxActivities))
	}
	p := startProcess(t, "worker on "+cfg.taskQueue, binaries.worker, args...)
	require.NoError(t, p.waitReady())
	return p
}

// startSimLM serves a simulated LM on a loopback port for the test's
// workers. Its request counters live in the test process, so they count
// every call across worker restarts.
func startSimLM(t *testing.T, cfg simlm.Config) *simlm.Server {
	t.Helper()
	srv := simlm.New(cfg)
	require.NoError(t, srv.Start())
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// dial connects a Temporal SDK client to address, for what the CLI does not
// show: histories, termination.
func dial(t testing.TB, address string) client.Client {
	t.Helper()
	quiet := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: address, Logger: quiet})
	require.NoError(t, err, "dial Temporal at %s", address)
	t.Cleanup(c.Close)
	return c
}

// cli runs starter commands against one Temporal server and task queue.
type cli struct {
	address, taskQueue string
}

// run runs the CLI with the connection flags appended.
func (c cli) run(t *testing.T, timeout time.Duration, args ...string) cliResult {
	t.Helper()
	return runCLI(t, timeout, append(args, "--address", c.address, "--task-queue", c.taskQueue)...)
}

// mustRun runs the CLI and requires exit code 0.
func (c cli) mustRun(t *testing.T, timeout time.Duration, args ...string) cliResult {
	t.Helper()
	res := c.run(t, timeout, args...)
	require.Zero(t, res.code, "starter %v\n%s", args, res)
	return res
}
