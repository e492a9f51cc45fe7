package cli

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/internal/bench"
	"github.com/durable-dspy/durable-dspy/internal/bench/durable"
	"github.com/durable-dspy/durable-dspy/simlm"
	"github.com/durable-dspy/durable-dspy/worker/devserver"
	"github.com/durable-dspy/durable-dspy/worker/lmconfig"
	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
)

// benchSections lists the sections of starter bench, in the order they run.
var benchSections = []string{"latency", "throughput", "modules", "memory", "durable"}

// benchDefaultSpec is the program measured when no --spec is given: the
// simulated LM's arithmetic task.
var benchDefaultSpec = spec.Program{Module: "predict", Signature: "question -> answer"}

type benchFlags struct {
	specPath, statePath, datasetPath, metric string
	calls, warmup, rounds, seqCalls          int
	concurrency                              string
	inflight                                 int
	inflightLatency, simLatency              time.Duration
	sections                                 string
	json                                     bool
	durableExamples, durableConcurrency      int
	batchSize                                int
}

// newBenchCmd builds "starter bench": the figures a user wants before a long
// run, measured on their own program and LM.
func newBenchCmd() *cobra.Command {
	f := &benchFlags{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure latency, throughput, memory and durable overhead of a program on an LM",
		Long: `bench measures a program (--spec, optionally with a saved --state) on the
configured LM ($OPENAI_BASE_URL / $OPENAI_API_KEY / $OPENAI_MODEL) or, with
--sim-latency or when no LM is configured, on the simulated LM in-process.

Sections (--sections, comma-separated, all by default):
  latency     single calls: min/mean/p50/p95/p99/max after a warm-up, the LM's
              round trip and the framework's share (total minus round trip)
  throughput  sequential vs parallel evaluation at each --concurrency, in
              calls/s, speedup, and share of the ideal (concurrency / latency)
  modules     Predict vs ChainOfThought over the spec's signature, same inputs
  memory      --inflight concurrent calls against a slow simulated LM served
              in this process: baseline, peak (VmHWM) and per-call memory
  durable     the same evaluation in-process and through Temporal: an embedded
              dev server, or the server given with --address

Percentiles are nearest-rank over the measured calls (warm-up excluded); a
p99 over fewer than 100 calls is reported with a warning. The report is a
table, or JSON with --json.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBench(cmd, f) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.specPath, "spec", "", "program spec file (JSON or YAML); default: predict over \"question -> answer\"")
	fs.StringVar(&f.statePath, "state", "", "saved program (DSPy JSON) to load onto the spec's program")
	fs.StringVar(&f.datasetPath, "dataset", "", "inputs (JSONL or CSV with the program's input fields); default: the simulated LM's arithmetic problems")
	fs.StringVar(&f.metric, "metric", "exact_match", "metric for throughput, modules and durable: "+strings.Join(evaluate.NewRegistry().Names(), ", "))
	fs.IntVar(&f.calls, "calls", 100, "measured calls per latency and modules run (at least 100 for a meaningful p99)")
	fs.IntVar(&f.warmup, "warmup", 10, "warm-up calls before measuring, excluded from the figures")
	fs.StringVar(&f.concurrency, "concurrency", "16,64,256,1024", "concurrency levels of the throughput section")
	fs.IntVar(&f.rounds, "rounds", 4, "examples per concurrent slot at each throughput level")
	fs.IntVar(&f.seqCalls, "sequential-calls", 20, "examples of the sequential throughput baseline")
	fs.IntVar(&f.inflight, "inflight", 10000, "concurrent calls of the memory section")
	fs.DurationVar(&f.inflightLatency, "inflight-latency", 10*time.Second, "simulated LM latency of the memory section, long enough for every call to be in flight together")
	fs.DurationVar(&f.simLatency, "sim-latency", 0, "use the simulated LM with this fixed latency (e.g. 100ms); default: the configured LM, else the simulated one at 100ms")
	fs.StringVar(&f.sections, "sections", strings.Join(benchSections, ","), "sections to run: "+strings.Join(benchSections, ", "))
	fs.BoolVar(&f.json, "json", false, "write the report as JSON")
	fs.IntVar(&f.durableExamples, "durable-examples", 200, "examples of the durable section's evaluation")
	fs.IntVar(&f.durableConcurrency, "durable-concurrency", 16, "LM calls in flight in both runs of the durable section")
	fs.IntVar(&f.batchSize, "batch-size", 20, "examples per Temporal activity in the durable section")
	return cmd
}

// parseSections checks a --sections list and returns it in run order.
func parseSections(s string) ([]string, error) {
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.Contains(benchSections, name) {
			return nil, usagef("--sections: unknown section %q; use %s", name, strings.Join(benchSections, ", "))
		}
		out = append(out, name)
	}
	if len(out) == 0 {
		return nil, usagef("--sections: no section named; use %s", strings.Join(benchSections, ", "))
	}
	slices.SortFunc(out, func(a, b string) int { return slices.Index(benchSections, a) - slices.Index(benchSections, b) })
	return slices.Compact(out), nil
}

// parseConcurrency reads a --concurrency list such as "16,64,256".
func parseConcurrency(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, err := strconv.Atoi(part)
		if err != nil || n <= 0 {
			return nil, usagef("--concurrency: %q is not a positive integer", part)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, usagef("--concurrency: no level given")
	}
	return out, nil
}

// benchProgram resolves --spec and --state into the spec, the state and a
// factory of fresh instances.
func benchProgram(f *benchFlags) (spec.Program, *dspy.ProgramState, func() (dspy.Module, error), error) {
	sp := benchDefaultSpec
	if f.specPath != "" {
		var err error
		if sp, err = loadSpec(f.specPath); err != nil {
			return spec.Program{}, nil, nil, err
		}
	}
	st, err := loadState(f.statePath)
	if err != nil {
		return spec.Program{}, nil, nil, err
	}
	build := func() (dspy.Module, error) {
		m, err := sp.Build(nil)
		if err != nil {
			return nil, err
		}
		if st != nil {
			if err := dspy.LoadState(m, *st); err != nil {
				return nil, err
			}
		}
		return m, nil
	}
	// Build once now, so a mismatch is reported as bad usage up front.
	if _, err := build(); err != nil {
		if st != nil && f.specPath == "" {
			return spec.Program{}, nil, nil, usagef("--state %s does not fit the default program %q: %v; pass its --spec", f.statePath, sp.Signature, err)
		}
		return spec.Program{}, nil, nil, usagef("program: %v", err)
	}
	return sp, st, build, nil
}

// benchInputs loads --dataset, or generates arithmetic problems.
func benchInputs(f *benchFlags, sp spec.Program, n int) ([]dspy.Example, error) {
	if f.datasetPath == "" {
		out := make([]dspy.Example, 0, n)
		for _, ex := range simlm.ArithmeticDataset(1, n) {
			out = append(out, dspy.NewExample("question", ex.Question, "answer", ex.Answer).WithInputs("question"))
		}
		return out, nil
	}
	sig, err := dspy.ParseSignature(sp.Signature)
	if err != nil {
		return nil, usagef("--spec: %v", err)
	}
	if err := checkFile("dataset", f.datasetPath); err != nil {
		return nil, err
	}
	examples, err := dspy.LoadDataset(f.datasetPath, sig.InputNames()...)
	if err != nil {
		return nil, usagef("--dataset: %v", err)
	}
	if len(examples) == 0 {
		return nil, usagef("--dataset %s: no examples", f.datasetPath)
	}
	return examples, nil
}

// benchLM chooses the LM: the simulated one, served in-process, when
// --sim-latency is given or nothing is configured; else the configured one.
// The returned function stops the simulated server.
func benchLM(f *benchFlags) (lm.Options, time.Duration, string, func(), error) {
	baseURL, apiKey := os.Getenv(lm.EnvBaseURL), os.Getenv(lm.EnvAPIKey)
	if f.simLatency > 0 || (baseURL == "" && apiKey == "") || baseURL == lmconfig.SimulatedBaseURL {
		latency := f.simLatency
		if latency <= 0 {
			latency = 100 * time.Millisecond
		}
		sim := simlm.New(simlm.Config{Seed: 1, Latency: simlm.FixedLatency(latency)})
		if err := sim.Start(); err != nil {
			return lm.Options{}, 0, "", nil, fmt.Errorf("simulated LM: %w", err)
		}
		desc := fmt.Sprintf("simulated (fixed %s latency)", latency)
		return lm.Options{Model: simlm.DefaultModel, BaseURL: sim.URL(), APIKey: "simulated"}, latency, desc, func() { _ = sim.Close() }, nil
	}
	model := os.Getenv(lmconfig.EnvModel)
	if model == "" {
		model = lmconfig.DefaultModel
	}
	return lm.Options{Model: model, BaseURL: baseURL, APIKey: apiKey}, 0, model, func() {}, nil
}

func runBench(cmd *cobra.Command, f *benchFlags) error {
	ctx := cmd.Context()
	sections, err := parseSections(f.sections)
	if err != nil {
		return err
	}
	levels, err := parseConcurrency(f.concurrency)
	if err != nil {
		return err
	}
	if f.calls <= 0 || f.warmup < 0 || f.inflight <= 0 || f.rounds <= 0 || f.durableExamples <= 0 {
		return usagef("--calls, --rounds, --inflight and --durable-examples must be positive and --warmup not negative")
	}
	metric, err := evaluate.NewRegistry().Lookup(f.metric)
	if err != nil {
		return usagef("--metric: %v", err)
	}
	sp, st, build, err := benchProgram(f)
	if err != nil {
		return err
	}
	inputs, err := benchInputs(f, sp, max(f.calls+f.warmup, f.durableExamples))
	if err != nil {
		return err
	}
	lmOpts, simLatency, lmDesc, stopLM, err := benchLM(f)
	if err != nil {
		return err
	}
	defer stopLM()

	program := sp.Module + " " + strconv.Quote(sp.Signature)
	if f.statePath != "" {
		program += " + " + f.statePath
	}
	rep := bench.Report{Environment: bench.NewEnvironment(program, lmDesc, simLatency)}
	target := bench.Target{LM: lmOpts, SimLatency: simLatency, Program: build, Inputs: inputs}
	progress := func(s string) {
		if !f.json {
			fmt.Fprintf(cmd.ErrOrStderr(), "bench: %s…\n", s)
		}
	}
	for _, s := range sections {
		progress(s)
		switch s {
		case "latency":
			r, err := bench.RunLatency(ctx, target, bench.LatencyOptions{Calls: f.calls, Warmup: f.warmup})
			if err != nil {
				return err
			}
			rep.Latency = &r
		case "throughput":
			r, err := bench.RunThroughput(ctx, target, bench.ThroughputOptions{Concurrency: levels, Rounds: f.rounds, SequentialCalls: f.seqCalls, Metric: metric})
			if err != nil {
				return err
			}
			rep.Throughput = &r
		case "modules":
			sig, err := dspy.ParseSignature(sp.Signature)
			if err != nil {
				return usagef("--spec: %v", err)
			}
			r, err := bench.RunModules(ctx, target, bench.ModulesOptions{Signature: sig, Calls: f.calls, Warmup: f.warmup, Metric: metric})
			if err != nil {
				return err
			}
			rep.Modules = &r
		case "memory":
			r, err := bench.RunMemory(ctx, target, bench.MemoryOptions{InFlight: f.inflight, Latency: f.inflightLatency})
			if err != nil {
				return err
			}
			rep.Memory = &r
		case "durable":
			r, err := benchDurable(cmd, f, lmOpts, sp, st, inputs[:min(len(inputs), f.durableExamples)])
			if err != nil {
				return err
			}
			rep.Durable = &r
		}
	}
	rep.CollectWarnings()
	if f.json {
		return rep.WriteJSON(cmd.OutOrStdout())
	}
	return rep.WriteTable(cmd.OutOrStdout())
}

// benchDurable runs the durable section on the server named by the global
// --address flag when it was given, else on an embedded in-memory dev server.
func benchDurable(cmd *cobra.Command, f *benchFlags, lmOpts lm.Options, sp spec.Program, st *dspy.ProgramState, examples []dspy.Example) (bench.DurableReport, error) {
	ctx := cmd.Context()
	var c client.Client
	var server string
	if addr := cmd.Flag(temporalconn.FlagAddress); addr != nil && addr.Changed {
		namespace := "default"
		if ns := cmd.Flag(temporalconn.FlagNamespace); ns != nil && ns.Value.String() != "" {
			namespace = ns.Value.String()
		}
		var err error
		c, err = client.DialContext(ctx, client.Options{HostPort: addr.Value.String(), Namespace: namespace, Logger: durable.QuietLogger()})
		if err != nil {
			return bench.DurableReport{}, fmt.Errorf("connect to Temporal at %s (--%s): %w", addr.Value.String(), temporalconn.FlagAddress, err)
		}
		server = "server at " + addr.Value.String()
	} else {
		srv, err := devserver.Start(ctx, devserver.Options{UIPort: devserver.NoUI, LogLevel: "error", SearchAttributes: devserver.DefaultSearchAttributes})
		if err != nil {
			return bench.DurableReport{}, fmt.Errorf("embedded Temporal server: %w", err)
		}
		defer func() { _ = srv.Stop() }()
		c, err = client.DialContext(ctx, client.Options{HostPort: srv.FrontendAddress(), Namespace: srv.Namespace(), Logger: durable.QuietLogger()})
		if err != nil {
			return bench.DurableReport{}, fmt.Errorf("connect to the embedded Temporal server: %w", err)
		}
		server = "embedded dev server (in-memory SQLite)"
	}
	defer c.Close()
	return durable.RunEvaluate(ctx, durable.Setup{
		Client: c, Server: server, LM: lmOpts, Spec: sp, State: st, Metric: f.metric,
		Concurrency: f.durableConcurrency, BatchSize: f.batchSize,
	}, examples)
}
