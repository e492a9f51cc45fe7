// Command optimizers measures this project's optimizers side by side with
// DSPy 3.3.1 itself: the same simulated LM (one server, fixed latency), the
// same task, data, seed and thread count, in one run, and prints the ratios
// of wall time and LM calls. It also measures evaluation throughput at a
// high concurrency against its ideal, and the wall time of durable runs
// (through an embedded Temporal server) against in-process ones.
//
//	go run ./scripts/bench/optimizers --python ../shared/pydspy/python
//
// DSPy runs through scripts/bench/dspy_optimizers.py; only each compile is
// timed on either side. LM calls are the requests the simulated LM received
// during the compile. Both sides run without an LM cache and with at most
// --threads LM calls in flight.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/internal/bench"
	"github.com/durable-dspy/durable-dspy/internal/bench/durable"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/worker/devserver"
)

// optimizerCase is one optimizer run on both sides.
type optimizerCase struct {
	name      string
	optimizer string
	params    string
	// wallGoal and callsGoal are the goals: at most this share of
	// DSPy's wall time, at most this multiple of its calls.
	wallGoal, callsGoal float64
}

var cases = []optimizerCase{
	{"miprov2_light", "miprov2", `{"auto": "light", "seed": 9}`, 1.0 / 4, 1.1},
	{"bootstrap_16", "bootstrap_fewshot", `{"max_bootstrapped_demos": 16, "max_labeled_demos": 16}`, 1.0 / 5, 1.15},
	{"bootstrap_4", "bootstrap_fewshot", `{"max_bootstrapped_demos": 4, "max_labeled_demos": 16}`, 1.0 / 5, 1.15},
	{"gepa_light", "gepa", `{"auto": "light"}`, 1.0 / 3, 1.1},
}

type options struct {
	python, script string
	latency        time.Duration
	threads        int
	train, val     int
	seed           int64
	only           string
	evalLevel      int
	durableCases   string
}

func main() {
	var o options
	flag.StringVar(&o.python, "python", "", "DSPy 3.3.1's interpreter (the pydspy python wrapper); empty skips the DSPy side")
	flag.StringVar(&o.script, "script", "scripts/bench/dspy_optimizers.py", "the DSPy side's script")
	flag.DurationVar(&o.latency, "latency", 100*time.Millisecond, "the simulated LM's fixed latency")
	flag.IntVar(&o.threads, "threads", 16, "LM calls in flight on either side (DSPy's num_threads)")
	flag.IntVar(&o.train, "train", 50, "training examples")
	flag.IntVar(&o.val, "val", 20, "validation examples")
	flag.Int64Var(&o.seed, "seed", 1, "dataset and simulated LM seed")
	flag.StringVar(&o.only, "cases", "miprov2_light,bootstrap_16,bootstrap_4,gepa_light", "optimizer cases to run")
	flag.IntVar(&o.evalLevel, "eval-concurrency", 256, "concurrency of the evaluation throughput measure (0 skips it)")
	flag.StringVar(&o.durableCases, "durable", "miprov2,bootstrap_random_search", "optimizers to time durably against in-process (empty skips)")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "optimizers bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	sim := simlm.New(simlm.Config{Seed: o.seed, Latency: simlm.FixedLatency(o.latency)})
	if err := sim.Start(); err != nil {
		return err
	}
	defer sim.Close()
	lmOpts := lm.Options{Model: simlm.DefaultModel, BaseURL: sim.URL(), APIKey: "simulated", MaxConcurrency: o.threads}
	train, val := dataset(o.seed, o.train), dataset(o.seed+1, o.val)
	dataFile, err := writeData(train, val)
	if err != nil {
		return err
	}
	defer os.Remove(dataFile)

	fmt.Printf("simulated LM at %s fixed latency, %d threads, %d train / %d validation examples, seed %d\n\n",
		o.latency, o.threads, o.train, o.val, o.seed)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "case\tDSPy wall s\tDSPy calls\there wall s\there calls\twall ratio\tcalls ratio\tgoal (wall, calls)")
	for _, c := range cases {
		if !strings.Contains(","+o.only+",", ","+c.name+",") {
			continue
		}
		var py sideResult
		if o.python != "" {
			before := sim.Stats().Requests
			var warmup int64
			if py.wall, warmup, err = runDSPy(ctx, o, c.name, sim.URL(), dataFile); err != nil {
				return err
			}
			py.calls = sim.Stats().Requests - before - warmup
		}
		before := sim.Stats().Requests
		if py.wall > 0 || o.python == "" {
			var goWall time.Duration
			if goWall, err = runHere(ctx, lmOpts, o.threads, c, train, val); err != nil {
				return err
			}
			here := sideResult{wall: goWall, calls: sim.Stats().Requests - before}
			fmt.Fprintf(w, "%s\t%s\t%s\t%.2f\t%d\t%s\t%s\t≤ %.2f, ≤ %.2f\n", c.name, secs(py.wall), count(py.calls, py.wall),
				here.wall.Seconds(), here.calls, ratio(here.wall.Seconds(), py.wall.Seconds()), ratio(float64(here.calls), float64(py.calls)), c.wallGoal, c.callsGoal)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}

	if o.evalLevel > 0 {
		if err := evaluateLevel(ctx, o, lmOpts); err != nil {
			return err
		}
	}
	if o.durableCases != "" {
		return durableRuns(ctx, o, lmOpts, train, val)
	}
	return nil
}

type sideResult struct {
	wall  time.Duration
	calls int64
}

func secs(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", d.Seconds())
}

func count(n int64, d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// dataset is n of the simulated LM's arithmetic problems.
func dataset(seed int64, n int) []dspy.Example {
	var out []dspy.Example
	for _, ex := range simlm.ArithmeticDataset(seed, n) {
		out = append(out, dspy.NewExample("question", ex.Question, "answer", ex.Answer).WithInputs("question"))
	}
	return out
}

// writeData writes the examples for the DSPy side.
func writeData(train, val []dspy.Example) (string, error) {
	rows := func(exs []dspy.Example) []map[string]string {
		out := make([]map[string]string, len(exs))
		for i, ex := range exs {
			out[i] = map[string]string{"question": ex.GetString("question"), "answer": ex.GetString("answer")}
		}
		return out
	}
	b, err := json.Marshal(map[string]any{"train": rows(train), "val": rows(val)})
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "optimizers-bench-*.json")
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, err = f.Write(b)
	return f.Name(), err
}

// runDSPy runs one case with DSPy and returns the compile's wall time and
// the LM calls the script made before it.
func runDSPy(ctx context.Context, o options, name, baseURL, dataFile string) (time.Duration, int64, error) {
	script, err := filepath.Abs(o.script)
	if err != nil {
		return 0, 0, err
	}
	cmd := exec.CommandContext(ctx, o.python, script, "--base-url", baseURL, "--data", dataFile, "--case", name, "--threads", fmt.Sprint(o.threads))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, 0, fmt.Errorf("DSPy %s: %w\n%s", name, err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var res struct {
		Wall   float64 `json:"wall_s"`
		Warmup int64   `json:"warmup_calls"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		return 0, 0, fmt.Errorf("DSPy %s: read its result: %w (output %q)", name, err, out)
	}
	return time.Duration(res.Wall * float64(time.Second)), res.Warmup, nil
}

// program is the task's program: Predict over "question -> answer".
func program() (dspy.Module, error) {
	return dspy.NewPredict(dspy.MustSignature("question -> answer")), nil
}

// runHere compiles the case in-process and returns its wall time.
func runHere(ctx context.Context, lmOpts lm.Options, threads int, c optimizerCase, train, val []dspy.Example) (time.Duration, error) {
	client, err := lm.New(lmOpts)
	if err != nil {
		return 0, err
	}
	eng, err := optimize.NewLocalEngine(optimize.LocalOptions{Program: program, Metric: evaluate.ExactMatch("answer"), TaskLM: client, Concurrency: threads})
	if err != nil {
		return 0, err
	}
	opt, err := optimize.New(c.optimizer, json.RawMessage(c.params))
	if err != nil {
		return 0, err
	}
	student, _ := program()
	task := optimize.TaskFor(student, train, val)
	if c.optimizer == "bootstrap_fewshot" {
		task.Valset = nil
	}
	start := time.Now()
	if _, err := opt.Compile(ctx, eng, task); err != nil {
		return 0, fmt.Errorf("%s: %w", c.name, err)
	}
	return time.Since(start), nil
}

// evalRounds is how many examples per slot the throughput measure runs: at
// 256 in flight the slots take six to eight rounds to spread their calls
// over the latency, so a steady state needs many more (see
// BenchmarkEvaluateThroughput).
const evalRounds = 64

// evaluateLevel measures evaluation at one concurrency in steady state.
func evaluateLevel(ctx context.Context, o options, lmOpts lm.Options) error {
	lmOpts.MaxConcurrency = 0
	rep, err := bench.RunThroughput(ctx, bench.Target{LM: lmOpts, SimLatency: o.latency, Program: program, Inputs: dataset(o.seed, 64)},
		bench.ThroughputOptions{Concurrency: []int{o.evalLevel}, Rounds: evalRounds})
	if err != nil {
		return err
	}
	for _, l := range rep.Levels {
		fmt.Printf("\nevaluate at concurrency %d, %d rounds: %.0f calls/s of an ideal %.0f: %.1f %%; without the first and last rounds: %.0f calls/s, %.1f %% (goal ≥ 95 %%)\n",
			l.Concurrency, evalRounds, l.CallsPerSec, l.IdealCallsPerSec, 100*l.ShareOfIdeal, l.SteadyCallsPerSec, 100*l.SteadyShareOfIdeal)
	}
	return nil
}

// durableRuns times optimizers durably (embedded Temporal server) and in-process.
func durableRuns(ctx context.Context, o options, lmOpts lm.Options, train, val []dspy.Example) error {
	srv, err := devserver.Start(ctx, devserver.Options{UIPort: devserver.NoUI, LogLevel: "error", SearchAttributes: devserver.DefaultSearchAttributes})
	if err != nil {
		return fmt.Errorf("embedded Temporal server: %w", err)
	}
	defer srv.Stop()
	c, err := client.DialContext(ctx, client.Options{HostPort: srv.FrontendAddress(), Namespace: srv.Namespace(), Logger: durable.QuietLogger()})
	if err != nil {
		return err
	}
	defer c.Close()
	lmOpts.MaxConcurrency = 0
	setup := durable.Setup{Client: c, Server: "embedded dev server", LM: lmOpts, Spec: spec.Program{Module: "predict", Signature: "question -> answer"},
		Concurrency: o.threads, BatchSize: o.threads}
	params := map[string]string{
		"miprov2":                 `{"auto": "light", "seed": 9}`,
		"bootstrap_random_search": `{"num_candidate_programs": 8}`,
	}
	fmt.Println()
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "durable vs in-process\tin-process s\tdurable s\tratio\tactivities\tgoal")
	for _, name := range strings.Split(o.durableCases, ",") {
		p, ok := params[name]
		if !ok {
			return errors.New("durable: no parameters for " + name)
		}
		rep, err := durable.RunOptimize(ctx, setup, name, json.RawMessage(p), train, val)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\t%.2f\t%.2f\t%.2f\t%d\t≤ 1.15\n", name, rep.InProcessMS/1000, rep.TemporalMS/1000, rep.Ratio, rep.Activities)
	}
	return w.Flush()
}
