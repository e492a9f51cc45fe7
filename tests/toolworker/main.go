// Command toolworker is a durable-dspy worker that registers one tool, for
// the end-to-end tests of durable ReAct runs: "lookup" waits --tool-delay,
// as a slow search would, then answers a fixed text. It logs each call's
// start on stderr, so a test can kill the worker while a tool runs.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/worker/workerlib"
)

// lookupArgs are the tool's arguments.
type lookupArgs struct {
	Topic string `json:"topic,omitempty"`
}

func main() {
	opts := workerlib.DefaultOptions()
	fs := pflag.NewFlagSet("toolworker", pflag.ContinueOnError)
	workerlib.BindFlags(fs, &opts)
	delay := fs.Duration("tool-delay", 0, "how long each lookup takes")
	if err := fs.Parse(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "toolworker:", err)
		os.Exit(2)
	}
	opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts.Tools = []*dspy.Tool{dspy.MustTool("lookup", "Looks a topic up in the reference book.",
		func(ctx context.Context, a lookupArgs) (string, error) {
			fmt.Fprintln(os.Stderr, "lookup started")
			select {
			case <-time.After(*delay):
			case <-ctx.Done():
				return "", ctx.Err()
			}
			return "The reference book says: seven plus eight is fifteen.", nil
		})}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	w, err := workerlib.Start(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "toolworker:", err)
		os.Exit(1)
	}
	fmt.Println("toolworker ready. Press Ctrl+C to stop.")
	select {
	case <-ctx.Done():
	case <-w.Done():
	}
	if err := w.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "toolworker:", err)
		os.Exit(1)
	}
}
