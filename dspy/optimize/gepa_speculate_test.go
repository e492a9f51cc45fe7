package optimize

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/internal/testkit"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// gepaRecordingLM counts the LM requests sent through it.
type gepaRecordingLM struct {
	dspy.LM
	mu       sync.Mutex
	requests map[string]int
}

func (r *gepaRecordingLM) Call(ctx context.Context, req dspy.LMRequest) (dspy.LMResponse, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return dspy.LMResponse{}, err
	}
	r.mu.Lock()
	r.requests[string(b)]++
	r.mu.Unlock()
	return r.LM.Call(ctx, req)
}

// gepaCompile compiles with GEPA on engine, whose checkpoints fill states.
func gepaCompile(t *testing.T, g *GEPA, engine Engine, task Task, states *[]string) Result {
	t.Helper()
	res, err := g.Compile(context.Background(), engine, task)
	require.NoError(t, err)
	require.NotEmpty(t, *states)
	return res
}

// On the simulated LM, where some iterations are accepted, some rejected
// and some skipped, speculating gives the sequential run: the same program,
// trials, scores and every checkpoint. It sends every request the
// sequential run sends, as often, and some it prepared for nothing.
func TestGEPASpeculationGivesTheSequentialRun(t *testing.T) {
	_, client := testkit.SimLM(t, simlm.Config{Seed: 1}, lm.Options{Model: simlm.DefaultModel, MaxRetries: 3})
	task := qaTask(gepaArithmetic(1, 50), gepaArithmetic(2, 20))
	compile := func(sequential bool) (Result, []string, map[string]int) {
		model := &gepaRecordingLM{LM: client, requests: map[string]int{}}
		var states []string
		e, err := NewLocalEngine(LocalOptions{Program: qaProgram, Metric: evaluate.ExactMatch("answer"), TaskLM: model, Concurrency: 16,
			OnCheckpoint: func(_ context.Context, cp Checkpoint) error { states = append(states, string(cp.State)); return nil }})
		require.NoError(t, err)
		var engine Engine = e
		if sequential {
			engine = Sequential(e)
		}
		res := gepaCompile(t, &GEPA{Auto: "light"}, engine, task, &states)
		return res, states, model.requests
	}
	seq, seqStates, seqRequests := compile(true)
	spec, specStates, specRequests := compile(false)

	assert.Equal(t, mustJSON(t, seq), mustJSON(t, spec))
	assert.Equal(t, seqStates, specStates)
	assert.Greater(t, len(seq.Trials), 3, "too few accepted iterations to test")
	extra := 0
	for req, n := range seqRequests {
		assert.GreaterOrEqual(t, specRequests[req], n, "a request of the sequential run was not sent as often")
	}
	total := 0
	for _, n := range specRequests {
		total += n
	}
	for _, n := range seqRequests {
		extra -= n
	}
	extra += total
	assert.Positive(t, extra, "nothing was speculated, or nothing was prepared for nothing")
	assert.LessOrEqual(t, float64(total), 1.1*float64(total-extra), "speculation spent more than a tenth more calls")
}

// gepaLadderEngine scores a one-predictor program by the reflections it
// went through: each adds a "+" to the instruction, and example i passes
// once there are more than i/5 of them. A child beats its parent on a
// minibatch only when it crosses the threshold of one of its examples, so
// iterations are accepted, rejected and skipped (all examples already
// pass) in an order the LM cannot change. It runs forked work on
// goroutines and lets GEPA speculate.
type gepaLadderEngine struct {
	mu      sync.Mutex
	batches []string
	prompts []string
	states  []string
}

func (e *gepaLadderEngine) Run(_ context.Context, b Batch) ([]Outcome, error) {
	self, _ := b.Candidate.Get("self")
	rungs := strings.Count(self.Signature.Instructions, "+")
	outs := make([]Outcome, len(b.IDs))
	for i, id := range b.IDs {
		outs[i] = Outcome{ID: id, Prediction: dspy.NewExample("answer", "x")}
		if rungs > id/5 {
			outs[i].Score = 1
		}
		if b.Trace {
			outs[i].Trace = []TraceStep{{Predictor: "self", Inputs: dspy.NewExample("question", b.Examples[i].GetString("question")), Outputs: dspy.NewExample("answer", "x")}}
		}
	}
	e.mu.Lock()
	e.batches = append(e.batches, b.Label+" "+self.Signature.Instructions)
	e.mu.Unlock()
	return outs, nil
}

func (e *gepaLadderEngine) Prompt(_ context.Context, call PromptCall) ([]dspy.Example, error) {
	current, _, _ := strings.Cut(strings.SplitN(call.Text, "```\n", 2)[1], "\n```")
	e.mu.Lock()
	e.prompts = append(e.prompts, call.Label)
	e.mu.Unlock()
	return []dspy.Example{dspy.NewExample("text", "```\n"+current+"+\n```")}, nil
}

func (e *gepaLadderEngine) Checkpoint(_ context.Context, cp Checkpoint) error {
	e.states = append(e.states, string(cp.State))
	return nil
}

func (e *gepaLadderEngine) Parallel() bool    { return true }
func (e *gepaLadderEngine) Legacy() bool      { return false }
func (e *gepaLadderEngine) Speculative() bool { return true }

func (e *gepaLadderEngine) Fork(ctx context.Context, n int, fn func(context.Context, Engine, int) error, after func(int) error) error {
	return forkAll(ctx, e, n, fn, after)
}

// With accepted iterations in the middle of speculated ones, resolving them
// in order and redoing what an acceptance made stale gives the sequential
// run exactly: a speculation that took work prepared for a stale iteration,
// or resolved iterations out of order, would change the pool, the trials or
// a checkpoint.
func TestGEPASpeculationRedoesWhatAnAcceptanceMadeStale(t *testing.T) {
	calls := 400
	task := qaTask(qaExamples(20), nil)
	compile := func(sequential bool) (Result, *gepaLadderEngine) {
		e := &gepaLadderEngine{}
		var engine Engine = e
		if sequential {
			engine = Sequential(e)
		}
		res, err := (&GEPA{MaxMetricCalls: &calls, Seed: 4}).Compile(context.Background(), engine, task)
		require.NoError(t, err)
		return res, e
	}
	seq, seqEngine := compile(true)
	spec, specEngine := compile(false)

	assert.Equal(t, mustJSON(t, seq), mustJSON(t, spec))
	assert.Equal(t, seqEngine.states, specEngine.states)
	assert.Greater(t, len(seq.Trials), 3, "too few accepted iterations: %+v", seq.Trials)
	assert.Greater(t, len(specEngine.batches), len(seqEngine.batches), "nothing was speculated past an acceptance")
	for _, b := range seqEngine.batches {
		assert.Contains(t, specEngine.batches, b)
	}
}
