// Command compare runs this project's SIMBA, Ensemble, InferRules and KNNFewShot and
// DSPy 3.3.1's on the same simulated task: it starts the simulated LM on
// loopback, runs each optimizer here in process, runs DSPy's through
// optimizers.py beside this file, and writes both sides' baseline and
// optimized scores on the validation set and the LM calls each compile made.
//
//	go run ./scripts/compare -python /path/to/python-with-dspy > docs/table.md
//
// The Go tests do not need it: they assert the improvements on their own.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// variant is one optimizer run, the same on both sides: a registered
// optimizer and its settings, in DSPy's names.
type variant struct {
	name, optimizer string
	params          map[string]any
}

// variants are the runs compared. SIMBA runs with three seeds: its own
// random choices, and so its result, vary with the seed on either side.
var variants = []variant{
	{"simba", "simba", map[string]any{"bsize": 8, "num_candidates": 4, "max_steps": 4, "max_demos": 4, "seed": 0}},
	{"simba seed 1", "simba", map[string]any{"bsize": 8, "num_candidates": 4, "max_steps": 4, "max_demos": 4, "seed": 1}},
	{"simba seed 2", "simba", map[string]any{"bsize": 8, "num_candidates": 4, "max_steps": 4, "max_demos": 4, "seed": 2}},
	{"ensemble", "ensemble", map[string]any{"num_programs": 3, "max_bootstrapped_demos": 4, "max_labeled_demos": 4}},
	{"infer_rules", "infer_rules", map[string]any{"num_candidates": 3, "num_rules": 5, "max_bootstrapped_demos": 4, "max_labeled_demos": 4}},
	{"knn_fewshot", "knn_fewshot", map[string]any{"k": 3, "max_bootstrapped_demos": 2, "max_labeled_demos": 3}},
}

// side is one implementation's run of one optimizer.
type side struct {
	Baseline  float64 `json:"baseline"`
	Optimized float64 `json:"optimized"`
	LMCalls   int64   `json:"lm_calls"`
}

type row struct {
	Optimizer string         `json:"optimizer"`
	Params    map[string]any `json:"params"`
	Go        side           `json:"go"`
	DSPy      *side          `json:"dspy,omitempty"`
}

type report struct {
	Task      string `json:"task"`
	SimSeed   int64  `json:"simlm_seed"`
	Trainset  int    `json:"trainset"`
	Valset    int    `json:"valset"`
	Optimizer []row  `json:"optimizers"`
}

func main() {
	python := flag.String("python", "", "a Python with DSPy 3.3.1 (empty: the Go side only)")
	out := flag.String("out", "scripts/compare/optimizers.json", "where to write the results")
	seed := flag.Int64("seed", 5, "the simulated LM's seed")
	flag.Parse()
	if err := run(*python, *out, *seed); err != nil {
		log.Fatal(err)
	}
}

func run(python, out string, seed int64) error {
	srv := simlm.New(simlm.Config{Seed: seed})
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Close()
	client, err := lm.New(lm.Options{BaseURL: srv.URL(), Model: "simlm-1", APIKey: "x", MaxRetries: 3})
	if err != nil {
		return err
	}
	train, val := testkit.Arithmetic(1, 32), testkit.Arithmetic(2, 40)
	dir, err := os.MkdirTemp("", "compare")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "data.json")
	if err := writeData(data, train, val); err != nil {
		return err
	}

	rep := report{Task: "simulated arithmetic, predict(question -> answer), exact match", SimSeed: seed, Trainset: len(train), Valset: len(val)}
	for _, v := range variants {
		r := row{Optimizer: v.name, Params: v.params}
		if r.Go, err = runGo(srv, client, v, train, val); err != nil {
			return fmt.Errorf("%s here: %w", v.name, err)
		}
		if python != "" {
			py, err := runPython(python, srv.URL(), data, v.name)
			if err != nil {
				return fmt.Errorf("%s in DSPy: %w", v.name, err)
			}
			r.DSPy = &py
		}
		rep.Optimizer = append(rep.Optimizer, r)
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	printTable(rep)
	return nil
}

func writeData(path string, train, val []dspy.Example) error {
	unmark := func(xs []dspy.Example) []dspy.Example {
		out := make([]dspy.Example, len(xs))
		for i, x := range xs {
			out[i] = x.Unmarked()
		}
		return out
	}
	runs := map[string]any{}
	for _, v := range variants {
		runs[v.name] = map[string]any{"optimizer": v.optimizer, "params": v.params}
	}
	b, err := json.Marshal(map[string]any{"trainset": unmark(train), "valset": unmark(val), "runs": runs})
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// runGo compiles in process and scores the student and the result on the valset.
func runGo(srv *simlm.Server, client dspy.LM, v variant, train, val []dspy.Example) (side, error) {
	ctx := context.Background()
	newProgram := func() (dspy.Module, error) { return dspy.NewPredict(dspy.MustSignature("question -> answer")), nil }
	// knn_fewshot embeds with the simulated LM's embeddings, as DSPy's side does.
	embedder, err := lm.NewEmbedder(lm.EmbedderOptions{Model: "simlm-embed", BaseURL: srv.URL(), APIKey: "x", MaxRetries: 3})
	if err != nil {
		return side{}, err
	}
	engine, err := optimize.NewLocalEngine(optimize.LocalOptions{Program: newProgram, Metric: evaluate.ExactMatch("answer"), TaskLM: client, Embedder: embedder, Concurrency: 8})
	if err != nil {
		return side{}, err
	}
	p, err := json.Marshal(v.params)
	if err != nil {
		return side{}, err
	}
	opt, err := optimize.New(v.optimizer, p)
	if err != nil {
		return side{}, err
	}
	program, _ := newProgram()
	task := optimize.TaskFor(program, train, val)
	score := func(st dspy.ProgramState) (float64, error) {
		outs, err := engine.Run(ctx, optimize.Batch{Candidate: st, Examples: val, Label: "compare: validation"})
		return optimize.Percent(outs), err
	}
	var s side
	if s.Baseline, err = score(task.Student); err != nil {
		return side{}, err
	}
	before := srv.Stats().Requests
	res, err := opt.Compile(ctx, engine, task)
	if err != nil {
		return side{}, err
	}
	s.LMCalls = srv.Stats().Requests - before
	s.Optimized, err = score(res.Program)
	return s, err
}

func runPython(python, baseURL, data, name string) (side, error) {
	cmd := exec.Command(python, filepath.Join("scripts", "compare", "optimizers.py"), "--base-url", baseURL, "--data", data, "--run", name)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return side{}, err
	}
	// DSPy's progress bars share stdout; the result is the last line.
	lines := bytes.Split(bytes.TrimSpace(stdout.Bytes()), []byte("\n"))
	var s side
	if err := json.Unmarshal(lines[len(lines)-1], &s); err != nil {
		return side{}, fmt.Errorf("read %q: %w", lines[len(lines)-1], err)
	}
	return s, nil
}

func printTable(rep report) {
	fmt.Println("| optimizer | side | baseline | optimized | LM calls (compile) |")
	fmt.Println("|---|---|---:|---:|---:|")
	for _, r := range rep.Optimizer {
		fmt.Printf("| %s | durable-dspy | %.1f | %.1f | %d |\n", r.Optimizer, r.Go.Baseline, r.Go.Optimized, r.Go.LMCalls)
		if r.DSPy != nil {
			fmt.Printf("| %s | DSPy 3.3.1 | %.1f | %.1f | %d |\n", r.Optimizer, r.DSPy.Baseline, r.DSPy.Optimized, r.DSPy.LMCalls)
		}
	}
}
