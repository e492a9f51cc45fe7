// Command starter is durable-dspy's command-line interface: it starts,
// watches and steers optimizations and evaluations running as Temporal
// workflows, exports the compiled programs, and runs or inspects programs
// locally.
//
// Every command has --help. The Temporal connection flags (--address,
// --namespace, --task-queue, the TLS flags) are shared with the worker
// binary, so one spelling works everywhere:
//
//	starter demo                                   # everything in-process, no setup
//	starter optimize --spec qa.yaml --trainset train.jsonl --valset val.jsonl \
//	    --metric exact_match --optimizer miprov2 --param auto=light --wait
//	starter optimize ... --dry-run                 # planned LM calls and cost, no run
//	starter list --optimizer miprov2
//	starter watch dspy-miprov2-1a2b3c4d
//	starter stop dspy-miprov2-1a2b3c4d             # finish now with the best so far
//	starter export dspy-miprov2-1a2b3c4d --out program.json
//	starter run --spec qa.yaml --state program.json --input question="What is 2+2?"
//	starter serve --spec qa.yaml --state program.json --name qa --addr 127.0.0.1:8080
//	starter serve --config serve.yaml             # several programs over HTTP
//
// Exit codes, the same for every command: 0 on success (a run completed),
// 1 when a run failed or was canceled or terminated, 2 on bad usage (a
// flag, a file or a line at fault, which the message names), 130 when
// interrupted.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/durable-dspy/durable-dspy/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, cli.Options{Args: os.Args[1:], Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
