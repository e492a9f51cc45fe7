package tests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// Scale-out throughput in the latency-bound case: the same evaluation on
// one worker process, then on three sharing the task queue, each worker
// capped at the same LM calls in flight, against a simulated LM answering
// in 100 ms. It reports examples per second for each and their ratio (the
// goal is at least 2.7). Run it alone, on a quiet machine:
//
//	go test ./tests/ -run '^$' -bench BenchmarkScaleOut -benchtime 1x
func BenchmarkScaleOut(b *testing.B) {
	const (
		lmCap    = 4    // LM calls in flight per worker
		perBatch = 20   // examples per batch activity
		examples = 1200 // examples per evaluation
	)
	// Every call is a cache miss: the examples are distinct and each worker
	// keeps its own cache in memory.
	lm := simlm.New(simlm.Config{Seed: 31, Latency: simlm.FixedLatency(100 * time.Millisecond)})
	if err := lm.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = lm.Close() })
	srv := sharedServer(b)
	sdk := dial(b, srv.address())
	data := writeEvalSet(b, examples)

	// A worker takes two batches at once, enough to keep its cap busy while
	// one ends, so the workers share the batches by pulling them.
	startWorkers := func(queue string, n int) {
		for range n {
			p, err := spawn("worker on "+queue, b.TempDir(), binaries.worker,
				"--address", srv.address(), "--task-queue", queue,
				"--lm-base-url", lm.URL(), "--lm-cache-dir", "off", "--log-level", "warn",
				"--lm-max-concurrency", strconv.Itoa(lmCap), "--concurrency", strconv.Itoa(2*lmCap),
				"--max-concurrent-activities", "2")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = p.kill() })
			if err := p.waitReady(); err != nil {
				b.Fatal(err)
			}
		}
	}
	sp, err := spec.Parse([]byte(qaSpec))
	if err != nil {
		b.Fatal(err)
	}
	off := false
	in := workflows.EvaluateInput{
		Program: activities.ProgramRef{Spec: sp.JSON()}, Dataset: activities.DatasetRef{Path: data},
		Metric: "exact_match",
		Execution: workflows.Execution{
			BatchSize: perBatch, MaxParallelActivities: 12, RecordLMCalls: &off,
		},
	}
	evaluate := func(workers int) float64 {
		queue := fmt.Sprintf("bench-scaleout-%d-%s", workers, uuid.NewString())
		startWorkers(queue, workers)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		start := time.Now()
		run, err := sdk.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: queue, TaskQueue: queue}, workflows.EvaluateWorkflowName, in)
		if err != nil {
			b.Fatal(err)
		}
		var res workflows.EvaluateResult
		if err := run.Get(ctx, &res); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		if res.Total != examples {
			b.Fatalf("evaluated %d examples, want %d", res.Total, examples)
		}
		rate := float64(examples) / elapsed.Seconds()
		b.Logf("%d worker(s), %d LM calls in flight each: %d examples in %v, %.0f examples/s (ideal %.0f)",
			workers, lmCap, examples, elapsed.Round(time.Millisecond), rate, float64(workers*lmCap)/0.1)
		return rate
	}
	for range b.N {
		one := evaluate(1)
		three := evaluate(3)
		b.Logf("three workers / one worker: %.2fx throughput (goal ≥ 2.7x)", three/one)
		b.ReportMetric(three/one, "x-throughput")
	}
}

// writeEvalSet writes n arithmetic examples to a JSONL file.
func writeEvalSet(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "eval.jsonl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := simlm.WriteJSONL(f, simlm.ArithmeticDataset(37, n)); err != nil {
		b.Fatal(err)
	}
	return path
}
