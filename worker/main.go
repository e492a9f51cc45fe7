// Command worker runs a durable-dspy worker: it polls a Temporal task queue
// and runs durable-dspy's optimization and evaluation workflows, calling the
// configured language model from its activities.
//
// With --dev it also runs an embedded Temporal dev server and its Web UI in
// the same process, persisted in a local SQLite file; with --dev-only it runs
// just that server, for a worker started separately. With no OPENAI_API_KEY
// and no --lm-base-url it talks to the built-in simulated LM, so
//
//	worker --dev
//
// is a complete offline workerlib. Run `worker --help` for every flag; each has
// an environment variable as its default.
//
// Exit status: 0 after a clean shutdown (SIGINT or SIGTERM), 1 on a runtime
// failure, 2 on bad usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/durable-dspy/durable-dspy/internal/exitcode"
	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
	"github.com/durable-dspy/durable-dspy/worker/tracing"
	"github.com/durable-dspy/durable-dspy/worker/workerlib"
)

const flagDevOnly = "dev-only"

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line and returns the process's exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := newCommand(stdout, stderr)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitcode.OK
	}
	fmt.Fprintln(stderr, "worker:", err)
	if exitcode.IsUsage(err) {
		fmt.Fprintln(stderr, "Run 'worker --help' for usage.")
	}
	return exitcode.Of(err)
}

// newCommand builds the worker command; stdout gets the start-up banner and
// stderr the logs.
func newCommand(stdout, stderr io.Writer) *cobra.Command {
	var (
		opts     workerlib.Options
		devOnly  bool
		logLevel slog.Level
	)
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a durable-dspy worker, optionally with an embedded Temporal dev server",
		Long: `Run a durable-dspy worker: poll a Temporal task queue and run durable-dspy's
optimization and evaluation workflows.

  worker --dev        embedded Temporal dev server + Web UI + worker (offline demo)
  worker              worker against the Temporal at --address
  worker --dev-only   embedded Temporal dev server + Web UI, no worker

With no OPENAI_API_KEY and no --lm-base-url the worker uses the built-in
simulated LM. Secrets come only from the environment: OPENAI_API_KEY for the
LM and TEMPORAL_API_KEY for Temporal Cloud. Every flag's default can be set
through the environment variable shown beside it.

SIGINT or SIGTERM stops the worker gracefully: polling stops, in-flight
activities get --stop-timeout to finish, and the dev server stops last.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return exitcode.Usagef("unexpected argument %q: the worker takes flags only", args[0])
			}
			return nil
		},
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFlags(cmd, opts, devOnly); err != nil {
				return exitcode.AsUsage(err)
			}
			logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel}))
			opts.Logger = logger
			traces, err := tracing.Setup(cmd.Context(), tracing.Options{ServiceName: "durable-dspy-worker"})
			if err != nil {
				return exitcode.AsUsage(err)
			}
			defer traces.Close(logger)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if devOnly {
				return serveDev(ctx, stop, opts, stdout)
			}
			return serveWorker(ctx, stop, opts, stdout)
		},
	}
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return exitcode.AsUsage(err) })

	fs := cmd.Flags()
	fs.SortFlags = false
	workerlib.BindFlags(fs, &opts)
	fs.BoolVar(&devOnly, flagDevOnly, false, "run only the embedded Temporal dev server and Web UI, without a worker")
	fs.TextVar(&logLevel, "log-level", slog.LevelInfo, "least severe log level written: debug, info, warn or error")
	return cmd
}

// checkFlags rejects combinations that cannot mean what the user intended.
func checkFlags(cmd *cobra.Command, o workerlib.Options, devOnly bool) error {
	fs := cmd.Flags()
	if devOnly && o.Temporal.Dev {
		return fmt.Errorf("--%s and --%s exclude each other: --%s runs server and worker, --%s the server alone", flagDevOnly, temporalconn.FlagDev, temporalconn.FlagDev, flagDevOnly)
	}
	if o.Temporal.Dev || devOnly {
		for _, name := range []string{temporalconn.FlagAddress, temporalconn.FlagTLSCert, temporalconn.FlagTLSKey, temporalconn.FlagTLSCA, temporalconn.FlagTLSServerName} {
			if fs.Changed(name) {
				return fmt.Errorf("--%s does not apply to the embedded dev server; drop it, or drop --%s to connect to an existing Temporal", name, temporalconn.FlagDev)
			}
		}
	}
	return o.Validate()
}

// serveWorker runs the worker until a signal or a fatal error.
func serveWorker(ctx context.Context, stopSignals context.CancelFunc, o workerlib.Options, stdout io.Writer) error {
	w, err := workerlib.Start(ctx, o)
	if err != nil {
		return err
	}
	banner(stdout, "durable-dspy worker ready", [][2]string{
		{"Temporal", w.Address() + " (namespace " + w.Namespace() + ")"},
		{"Web UI", w.UIURL()},
		{"Task queue", w.TaskQueue()},
		{"LM", w.LMDescription()},
	})

	select {
	case <-ctx.Done():
		// A second signal now kills the process, for a shutdown that hangs.
		stopSignals()
		fmt.Fprintf(stdout, "Stopping: in-flight activities have up to %v to finish (signal again to force)...\n", o.StopTimeout)
	case <-w.Done():
	}
	stopErr := w.Stop()
	if u := w.LMUsage(); u.Calls > 0 {
		fmt.Fprintf(stdout, "LM usage: %d calls (%d from cache), %d tokens, $%.4f\n", u.Calls, u.CacheHits, u.TotalTokens(), u.Cost)
	}
	if err := w.Err(); err != nil {
		return fmt.Errorf("worker stopped: %w", errors.Join(err, stopErr))
	}
	if stopErr != nil {
		return fmt.Errorf("shut down: %w", stopErr)
	}
	fmt.Fprintln(stdout, "Stopped.")
	return nil
}

// serveDev runs the embedded dev server alone until a signal.
func serveDev(ctx context.Context, stopSignals context.CancelFunc, o workerlib.Options, stdout io.Writer) error {
	srv, err := temporalconn.StartDevServer(ctx, o.Temporal, o.Logger)
	if err != nil {
		return err
	}
	banner(stdout, "Temporal dev server ready (no worker)", [][2]string{
		{"Temporal", srv.FrontendAddress() + " (namespace " + srv.Namespace() + ")"},
		{"Web UI", srv.UIURL()},
	})
	<-ctx.Done()
	stopSignals()
	fmt.Fprintln(stdout, "Stopping...")
	if err := srv.Stop(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Stopped.")
	return nil
}

// banner prints the start-up summary, one aligned line per non-empty value,
// and how to stop. Tests and scripts wait for its last line.
func banner(w io.Writer, title string, rows [][2]string) {
	var b strings.Builder
	b.WriteString(title + "\n")
	for _, r := range rows {
		if r[1] != "" {
			fmt.Fprintf(&b, "  %-11s %s\n", r[0]+":", r[1])
		}
	}
	b.WriteString("Press Ctrl+C to stop.\n")
	_, _ = io.WriteString(w, b.String())
}
