package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"
	"golang.org/x/term"

	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
	"github.com/durable-dspy/durable-dspy/worker/workerlib"
)

// EnvUIURL names the environment variable that sets the Web UI's base URL
// for printed links, as --ui-url does.
const EnvUIURL = "DSPY_UI_URL"

// Options are what the CLI runs on: its arguments, its streams, and the
// seams a test replaces to run commands in-process. A nil field means the
// process's own: os.Stdin, os.Stdout, os.Stderr, a real dial, a real
// terminal check.
type Options struct {
	// Args are the command-line arguments, without the program name.
	Args []string
	// Stdin, Stdout and Stderr are the CLI's streams: results go to
	// Stdout, progress and errors to Stderr.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Dial connects to Temporal once the connection flags are validated;
	// nil means temporalconn.Dial.
	Dial func(ctx context.Context, o temporalconn.Options, logger *slog.Logger) (client.Client, error)
	// IsTerminal reports whether w is an interactive terminal, which gets a
	// live progress bar instead of periodic lines; nil checks w's file
	// descriptor.
	IsTerminal func(w io.Writer) bool
}

// Execute runs the CLI as o describes and returns the process's exit
// status (see package exitcode). Every error leaves through here, printed
// once to Stderr.
func Execute(ctx context.Context, o Options) int {
	return newApp(o).run(ctx, o.Args)
}

// app is what every command shares: the connection options bound to the
// global flags, the output streams and the seams tests replace.
type app struct {
	opts   workerlib.Options
	uiURL  string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	// dial connects to Temporal as the flags say.
	dial func(ctx context.Context) (client.Client, error)
	// terminal reports whether w is an interactive terminal, which gets a
	// live progress bar instead of periodic lines.
	terminal func(w io.Writer) bool
	// pollEvery is how often a watch asks a run for its status.
	pollEvery time.Duration
	// uiResolved is set once uiURL holds the UI actually in use (see uiBase).
	uiResolved bool
	// output is --output: text, json or jsonl.
	output string
}

func newApp(o Options) *app {
	a := &app{stdin: o.Stdin, stdout: o.Stdout, stderr: o.Stderr, terminal: o.IsTerminal, pollEvery: time.Second}
	if a.stdin == nil {
		a.stdin = os.Stdin
	}
	if a.stdout == nil {
		a.stdout = os.Stdout
	}
	if a.stderr == nil {
		a.stderr = os.Stderr
	}
	if a.terminal == nil {
		a.terminal = isTerminal
	}
	dial := o.Dial
	if dial == nil {
		dial = temporalconn.Dial
	}
	// The SDK and the embedded server log at info level; a CLI shows only
	// what needs the user's attention.
	a.opts.Logger = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a.dial = func(ctx context.Context) (client.Client, error) {
		// Bad connection flags are the caller's to fix; an unreachable
		// server is a failed run. Dial's errors already name the flag.
		if err := a.opts.Validate(); err != nil {
			return nil, asUsage(err)
		}
		return dial(ctx, a.opts.Temporal, a.opts.Logger)
	}
	return a
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// run runs the command line args with a's streams and seams.
func (a *app) run(ctx context.Context, args []string) int {
	root := newRootCmd(a)
	root.SetArgs(args)
	stopTracing, err := a.startTracing(ctx)
	if err != nil {
		return a.exit(ctx, err)
	}
	defer stopTracing()
	err = root.ExecuteContext(ctx)
	return a.exit(ctx, err)
}

// newRootCmd builds the command tree. Subcommands are listed in one place,
// so adding one is one line.
func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "starter",
		Short: "Optimize DSPy-style LM programs durably on Temporal",
		Long: `starter drives durable-dspy: it starts optimizations and evaluations as
Temporal workflows, follows and steers them, exports compiled programs, and
runs or inspects programs locally. "starter demo" shows it all with no workerlib.

Exit codes, the same for every command: 0 success (a run completed), 1 the
run failed or was canceled or terminated, 2 bad usage, 130 interrupted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Without this, cobra reports an unknown subcommand as a plain error,
		// which would exit 1 instead of 2.
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q; run %q for the list", args[0], "starter --help")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usagef("%s: %v (see %q)", cmd.CommandPath(), err, cmd.CommandPath()+" --help")
	})
	root.CompletionOptions.DisableDefaultCmd = true

	pf := root.PersistentFlags()
	temporalconn.BindFlags(pf, &a.opts.Temporal)
	a.uiURL = os.Getenv(EnvUIURL)
	pf.StringVar(&a.uiURL, "ui-url", a.uiURL, "Temporal Web UI base URL for printed links ($"+EnvUIURL+"); default: the dev server's UI beside --address (its port + 1000) when one answers there; \""+noUI+"\" prints no links")
	a.bindOutput(root)

	root.AddCommand(
		newOptimizeCmd(a),
		newEvaluateCmd(a),
		newStatusCmd(a),
		newWatchCmd(a),
		newListCmd(a),
		newStopCmd(a),
		newPauseCmd(a),
		newUnpauseCmd(a),
		newCancelCmd(a),
		newResumeCmd(a),
		newExportCmd(a),
		newRunCmd(a),
		newPromptCmd(a),
		newDemoCmd(a),
		newServeCmd(a),
		newBenchCmd(),
	)
	return root
}

// bindWorkerFlags adds to cmd the worker flags (workerlib.BindFlags) named in
// names, bound to a's options, so commands that need, say, the LM settings
// spell them exactly as the worker does.
func bindWorkerFlags(cmd *cobra.Command, o *workerlib.Options, names ...string) {
	all := pflag.NewFlagSet("worker", pflag.ContinueOnError)
	workerlib.BindFlags(all, o)
	for _, name := range names {
		f := all.Lookup(name)
		if f == nil {
			panic("starter: the worker has no flag --" + name)
		}
		cmd.Flags().AddFlag(f)
	}
}

// withClient dials Temporal, runs fn and closes the client.
func (a *app) withClient(ctx context.Context, fn func(client.Client) error) error {
	c, err := a.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(c)
}

// idArg checks that a command got exactly one workflow ID.
func idArg(cmd *cobra.Command, args []string) error {
	switch {
	case len(args) == 1 && strings.TrimSpace(args[0]) != "":
		return nil
	case len(args) == 0:
		return usagef("%s needs a workflow ID (see %q)", cmd.CommandPath(), cmd.CommandPath()+" --help")
	}
	return usagef("%s takes one workflow ID, got %d arguments", cmd.CommandPath(), len(args))
}

// noArgs rejects positional arguments as bad usage.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.CommandPath(), strings.Join(args, " "))
	}
	return nil
}
