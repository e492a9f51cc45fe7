package optimize

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// Engine is the seam between an optimizer's decisions and the work they cause.
// An optimizer is deterministic code over an Engine and its own seeded PRNG: it
// decides which candidate programs to run on which examples, and which prompts
// to send the prompt model; the engine runs that work, in parallel, and returns
// the outcomes in order. The in-process engine (NewLocalEngine) runs jobs on
// goroutines; the Temporal engine (package workflows) runs them as activities.
// The optimizer cannot tell which, so with the same seed, data and LM both
// produce the same compiled program.
//
// Engines must return outcomes in the order of the request, and must not let
// the order in which parallel work finishes change any result.
type Engine interface {
	// Run runs a candidate program on a batch of examples and scores each one.
	// A failed example is an Outcome with Error set and the failure score, not
	// an error: Run returns an error only when the batch as a whole could not
	// run (cancelled, budget exhausted, infrastructure down).
	Run(ctx context.Context, batch Batch) ([]Outcome, error)
	// Prompt runs one call of the prompt model (instruction proposals, dataset
	// summaries, reflections) and returns its completions' output fields.
	Prompt(ctx context.Context, call PromptCall) ([]dspy.Example, error)
	// Checkpoint is called by the optimizer at every boundary of its loop (a
	// candidate, a trial, an iteration) with its resumable state and progress.
	// It returns nil to go on, an error wrapping ErrStop to finish now with the
	// best program so far (stop requested, budget spent), or any other error to
	// unwind: the Temporal engine uses that to continue-as-new with the state,
	// after which Task.Resume carries it back into the optimizer.
	Checkpoint(ctx context.Context, cp Checkpoint) error
}

// ErrStop asks an optimizer to finish now and return its best program so far.
var ErrStop = errors.New("optimization stopped")

// Checkpoint is an optimizer's resumable state at a loop boundary.
type Checkpoint struct {
	// State is the optimizer's own encoding of everything it needs to resume
	// (PRNG state, candidate pool, scores); compact, since it may be carried
	// through continue-as-new.
	State json.RawMessage `json:"state"`
	// Progress says how far the run is.
	Progress Progress `json:"progress"`
}

// Progress is how far an optimization is, for progress bars, queries and the UI.
type Progress struct {
	// Phase names the current stage ("bootstrap", "propose", "search", ...).
	Phase string `json:"phase"`
	// Step counts finished units of the phase (candidates, trials, iterations) out of Total.
	Step  int `json:"step"`
	Total int `json:"total"`
	// Unit names what Step counts when it is not the phase's candidates or
	// trials ("metric calls" for GEPA), so a counter reads right.
	Unit string `json:"unit,omitempty"`
	// BestScore is the best validation score so far (percent), and Best the program that got it.
	BestScore float64            `json:"best_score"`
	Best      *dspy.ProgramState `json:"best,omitempty"`
	// Trials holds one row per evaluated candidate so far.
	Trials []Trial `json:"trials,omitempty"`
	// Pareto lists, for optimizers that keep one (GEPA), the candidates on
	// the Pareto front: best on at least one validation example and not
	// dominated. They are Trial numbers.
	Pareto []int `json:"pareto,omitempty"`
}

// Trial is one evaluated candidate: what it was and how it scored.
type Trial struct {
	Number int `json:"number"`
	// Label describes the candidate ("seed 3", "instr 2 + demos 4", "iteration 7").
	Label string `json:"label"`
	// Score is the candidate's score in percent; Full tells whether it was on
	// the whole validation set or a minibatch.
	Score float64 `json:"score"`
	Full  bool    `json:"full"`
	// Instruction is an excerpt of the candidate's first instruction and
	// Demos its demos across predictors, so a trial table shows what was
	// tried without the whole program.
	Instruction string `json:"instruction,omitempty"`
	Demos       int    `json:"demos"`
}

// Batch is a candidate program and the examples to run it on.
type Batch struct {
	// Candidate is the state (demos, instructions) applied to a fresh instance
	// of the program before it runs.
	Candidate dspy.ProgramState `json:"candidate"`
	// Examples are the examples to run, with their inputs marked.
	Examples []dspy.Example `json:"examples"`
	// IDs identify the examples in their dataset, parallel to Examples; they
	// name the work in progress reports and let a retried batch skip finished
	// examples.
	IDs []int `json:"ids"`
	// Trace asks for each run's predictor trace (needed to bootstrap demos).
	Trace bool `json:"trace,omitempty"`
	// RecordCalls asks for every LM call of each run (messages and replies),
	// so a durable run's history shows exactly what the LM saw and said.
	RecordCalls bool `json:"record_calls,omitempty"`
	// ExcludeSelfDemo removes, for each example, demos equal to that example
	// from every predictor before it runs, as BootstrapFewShot does with its
	// teacher so an example never answers itself.
	ExcludeSelfDemo bool `json:"exclude_self_demo,omitempty"`
	// Temperature and Rollout override the task LM's sampling for this batch;
	// a non-zero Rollout asks for fresh samples that bypass cached replies.
	Temperature *float64 `json:"temperature,omitempty"`
	Rollout     int      `json:"rollout,omitempty"`
	// Label says what the batch is for ("trial 4: candidate 2 on minibatch"),
	// for progress reports and activity summaries.
	Label string `json:"label,omitempty"`
	// Precedence orders the batch's LM calls among others waiting for a slot
	// of an LM that caps its calls in flight (see dspy.Precedence): Behind
	// for work started early that nothing waits on soon, so it fills slots
	// the work that gates the run leaves idle. It changes only when calls
	// start, never what they send or return.
	Precedence dspy.Precedence `json:"precedence,omitempty"`
}

// Outcome is the result of running a candidate on one example.
type Outcome struct {
	// ID is the example's ID from Batch.IDs.
	ID int `json:"id"`
	// Score is the metric's value, or the failure score when Error is set.
	Score float64 `json:"score"`
	// Feedback is the metric's textual feedback, if it gave any.
	Feedback string `json:"feedback,omitempty"`
	// Prediction holds the program's output fields.
	Prediction dspy.Example `json:"prediction"`
	// Trace holds the predictor calls of the run when Batch.Trace was set.
	Trace []TraceStep `json:"trace,omitempty"`
	// Error says why the example failed (program error, unparseable reply,
	// metric error); empty on success.
	Error string `json:"error,omitempty"`
	// Raw is the LM reply that could not be parsed, when that was the failure.
	Raw string `json:"raw,omitempty"`
	// Usage is what the run cost, a failed run's included: every request the
	// LM server answered (see dspy.Usage), not only those behind Prediction.
	Usage dspy.Usage `json:"usage"`
	// Calls holds the run's LM calls when Batch.RecordCalls was set.
	Calls []LMCall `json:"calls,omitempty"`
}

// LMCall is one LM call as sent and answered.
type LMCall struct {
	Messages []dspy.Message `json:"messages"`
	Replies  []string       `json:"replies,omitempty"`
	CacheHit bool           `json:"cache_hit,omitempty"`
	Error    string         `json:"error,omitempty"`
}

// Failed reports whether the example failed to run or score.
func (o Outcome) Failed() bool { return o.Error != "" }

// TraceStep is one predictor call of a run, named by the predictor's path.
type TraceStep struct {
	Predictor string       `json:"predictor"`
	Inputs    dspy.Example `json:"inputs"`
	Outputs   dspy.Example `json:"outputs"`
}

// PromptCall is one call of the prompt model: through a signature (formatted
// and parsed by the adapter), or, when Text is set, as one plain user message
// whose replies come back unparsed under the field "text" (GEPA's reflection
// prompt is plain text).
type PromptCall struct {
	Signature dspy.Signature `json:"signature"`
	// Text, when set, is sent as the only message instead of formatting
	// Signature, Inputs and Demos.
	Text   string         `json:"text,omitempty"`
	Inputs dspy.Example   `json:"inputs"`
	Demos  []dspy.Example `json:"demos,omitempty"`
	// Temperature and Rollout control sampling, as in Batch.
	Temperature *float64 `json:"temperature,omitempty"`
	Rollout     int      `json:"rollout,omitempty"`
	// N asks for several completions.
	N int `json:"n,omitempty"`
	// Label says what the call is for, for progress reports.
	Label string `json:"label,omitempty"`
}

// Task is what an optimizer compiles: the student program's structure and
// starting state, and the data.
type Task struct {
	// Student is the program's starting state; its predictor paths and
	// signatures define the structure the optimizer may tune.
	Student dspy.ProgramState
	// Signatures holds each predictor's full signature (with types), by path,
	// in the order of Student.Predictors.
	Signatures []NamedSignature
	Trainset   []dspy.Example
	// Valset is the validation set; optimizers that need one and find it empty
	// derive it from Trainset as DSPy does.
	Valset []dspy.Example
	// Resume, when set, is the State of the last Checkpoint of an earlier run
	// of the same optimizer with the same parameters and data; the optimizer
	// continues from there instead of starting over.
	Resume json.RawMessage
}

// NamedSignature is a predictor path and its signature.
type NamedSignature struct {
	Name      string         `json:"name"`
	Signature dspy.Signature `json:"signature"`
}

// TaskFor builds a Task from a program instance and data.
func TaskFor(program dspy.Module, trainset, valset []dspy.Example) Task {
	t := Task{Student: dspy.StateOf(program), Trainset: trainset, Valset: valset}
	for _, np := range program.Predictors() {
		t.Signatures = append(t.Signatures, NamedSignature{Name: np.Name, Signature: np.Predictor.Signature})
	}
	return t
}

// name is the call's label, or a stand-in for error messages.
func (c PromptCall) name() string {
	if c.Label == "" {
		return "(unlabelled call)"
	}
	return c.Label
}
