package workflows

import (
	"encoding/json"
	"time"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

// OptimizeInput starts an optimization. Everything in it lands in workflow
// history, so it holds names and references, never API keys.
type OptimizeInput struct {
	// Optimizer is the registry name ("bootstrap_random_search", "miprov2", ...)
	// and Params its JSON parameters (DSPy's names, snake_case).
	Optimizer string                `json:"optimizer"`
	Params    json.RawMessage       `json:"params,omitempty"`
	Program   activities.ProgramRef `json:"program"`
	// Student, when set, is the starting state instead of the program's own.
	Student  *dspy.ProgramState     `json:"student,omitempty"`
	Trainset activities.DatasetRef  `json:"trainset"`
	Valset   *activities.DatasetRef `json:"valset,omitempty"`
	// Metric is a metric name registered on the worker, and Label the gold
	// field it reads when a built-in metric should read another than
	// "answer" (see activities.Catalog.MetricFor).
	Metric       string    `json:"metric"`
	Label        string    `json:"label,omitempty"`
	FailureScore float64   `json:"failure_score,omitempty"`
	Budget       Budget    `json:"budget,omitempty"`
	Execution    Execution `json:"execution,omitempty"`
	// Carry is what a previous run of this optimization handed over through
	// continue-as-new; empty on the first run.
	Carry *Carry `json:"carry,omitempty"`
}

// Budget caps what a run may spend; zero means no cap. A run that reaches a
// cap ends cleanly with the best program found so far, having spent at most
// the cap plus the batches already in flight. It is optimize.Budget, so the
// in-process and the durable engines count and stop alike.
type Budget = optimize.Budget

// Execution tunes how work is fanned out; zero values take the defaults.
type Execution struct {
	// BatchSize is the number of examples one activity runs (default 20).
	BatchSize int `json:"batch_size,omitempty"`
	// MaxParallelActivities bounds the activities in flight (default 100).
	MaxParallelActivities int `json:"max_parallel_activities,omitempty"`
	// ActivityTimeout bounds one batch activity attempt (default 10m).
	ActivityTimeout time.Duration `json:"activity_timeout,omitempty"`
	// HeartbeatTimeout is how soon a dead worker's batch is retried (default 30s).
	HeartbeatTimeout time.Duration `json:"heartbeat_timeout,omitempty"`
	// RecordLMCalls keeps every LM call's messages and replies in the batch
	// activities' results, so the Web UI shows what the LM saw and said
	// (default true; turn off to keep history small for large runs).
	RecordLMCalls *bool `json:"record_lm_calls,omitempty"`
	// ContinueAsNewEvents continues as new at the next checkpoint once
	// history has this many events (default 4000), or when the server suggests it.
	ContinueAsNewEvents int `json:"continue_as_new_events,omitempty"`
	// MaxOutage is how long a batch or prompt activity may keep failing
	// because the LM is unavailable (unreachable, timing out, failing, rate
	// limiting) before the run pauses itself, naming the outage, until
	// "unpause" (default DefaultMaxOutage). Negative: retry without limit.
	MaxOutage time.Duration `json:"max_outage,omitempty"`
}

func (e Execution) withDefaults() Execution {
	if e.BatchSize <= 0 {
		e.BatchSize = 20
	}
	if e.MaxParallelActivities <= 0 {
		e.MaxParallelActivities = 100
	}
	if e.ActivityTimeout <= 0 {
		e.ActivityTimeout = 10 * time.Minute
	}
	if e.HeartbeatTimeout <= 0 {
		e.HeartbeatTimeout = 30 * time.Second
	}
	if e.ContinueAsNewEvents <= 0 {
		e.ContinueAsNewEvents = 4000
	}
	if e.MaxOutage == 0 {
		e.MaxOutage = DefaultMaxOutage
	}
	if e.RecordLMCalls == nil {
		on := true
		e.RecordLMCalls = &on
	}
	return e
}

// Carry is the compact state handed from one run to the next through
// continue-as-new.
type Carry struct {
	// Resume is the optimizer's last checkpoint state.
	Resume json.RawMessage `json:"resume"`
	// Spent is what earlier runs spent, counted against the budget.
	Spent    dspy.Usage        `json:"spent"`
	Progress optimize.Progress `json:"progress"`
	// Runs counts the runs so far, this optimization's continue-as-new chain length.
	Runs int `json:"runs"`
	// TrainSHA256 and ValSHA256 pin the data of the first run.
	TrainSHA256 string `json:"train_sha256"`
	ValSHA256   string `json:"val_sha256,omitempty"`
	// Paused carries a pause across continue-as-new.
	Paused bool `json:"paused,omitempty"`
}

// OptimizeResult is a finished optimization.
type OptimizeResult struct {
	Program       dspy.ProgramState `json:"program"`
	Score         float64           `json:"score"`
	BaselineScore float64           `json:"baseline_score"`
	// BaselineUnmeasured is set when the optimizer never scored the
	// starting program, so BaselineScore means nothing.
	BaselineUnmeasured bool             `json:"baseline_unmeasured,omitempty"`
	Trials             []optimize.Trial `json:"trials,omitempty"`
	// ScoreExact and BaselineExact are the scores before rounding, for an
	// exact improvement; zero beside a nonzero rounded score means unknown.
	ScoreExact    float64 `json:"score_exact,omitempty"`
	BaselineExact float64 `json:"baseline_exact,omitempty"`
	// Pareto is GEPA's final Pareto front, as Trial numbers.
	Pareto []int `json:"pareto,omitempty"`
	// Stopped tells why the run ended early ("stop requested", "budget: ..."),
	// empty when it ran to completion.
	Stopped string     `json:"stopped,omitempty"`
	Spent   dspy.Usage `json:"spent"`
	Runs    int        `json:"runs"`
}

// Status is what the progress query returns.
type Status struct {
	Optimizer string            `json:"optimizer"`
	Program   string            `json:"program"`
	State     string            `json:"state"`
	Progress  optimize.Progress `json:"progress"`
	Spent     dspy.Usage        `json:"spent"`
	Budget    Budget            `json:"budget"`
	Paused    bool              `json:"paused"`
	Runs      int               `json:"runs"`
	// PauseReason says why the run paused itself (an LM outage longer than
	// Execution.MaxOutage); empty for a pause the user asked for.
	PauseReason string `json:"pause_reason,omitempty"`
	// OutageSince is when the outage that paused the run began.
	OutageSince *time.Time `json:"outage_since,omitempty"`
}

// EvaluateInput evaluates a program state on a dataset.
type EvaluateInput struct {
	Program activities.ProgramRef `json:"program"`
	State   *dspy.ProgramState    `json:"state,omitempty"`
	Dataset activities.DatasetRef `json:"dataset"`
	Metric  string                `json:"metric"`
	// Label is the gold field the metric reads, as OptimizeInput.Label.
	Label        string    `json:"label,omitempty"`
	FailureScore float64   `json:"failure_score,omitempty"`
	Execution    Execution `json:"execution,omitempty"`
}

// EvaluateResult is an evaluation's score and per-example outcomes.
type EvaluateResult struct {
	// Score is DSPy's figure: round(100 × mean score, 2).
	Score    float64            `json:"score"`
	Total    int                `json:"total"`
	Errors   int                `json:"errors"`
	Outcomes []optimize.Outcome `json:"outcomes"`
	Spent    dspy.Usage         `json:"spent"`
}
