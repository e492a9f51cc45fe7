package activities

import (
	"encoding/json"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
)

// ProgramRef names a program the worker can build: a name registered on the
// worker, or an inline declarative spec (see package spec). Only the reference
// travels through workflow history; the program itself is built worker-side.
type ProgramRef struct {
	Name string          `json:"name,omitempty"`
	Spec json.RawMessage `json:"spec,omitempty"`
}

// String names the program for summaries and search attributes: its
// registered name, or for a spec its module and signature, e.g.
// "predict(question -> answer)".
func (r ProgramRef) String() string {
	if r.Name != "" {
		return r.Name
	}
	var s struct {
		Module    string `json:"module"`
		Signature string `json:"signature"`
	}
	if json.Unmarshal(r.Spec, &s) != nil || s.Module == "" {
		return "inline-spec"
	}
	return s.Module + "(" + s.Signature + ")"
}

// DatasetRef says where a dataset comes from: a file the worker can read
// (JSONL or CSV), or examples inline when they are small.
type DatasetRef struct {
	Path      string         `json:"path,omitempty"`
	Examples  []dspy.Example `json:"examples,omitempty"`
	InputKeys []string       `json:"input_keys,omitempty"`
	// ProgramInputs, used when InputKeys is empty, are the program's input
	// fields: those present in the data become its input keys.
	ProgramInputs []string `json:"program_inputs,omitempty"`
	// SHA256 pins the content: DatasetSHA256 of the file's bytes, or for
	// inline examples of their fields' JSON. LoadDataset refuses content
	// that hashes otherwise, so a file edited after the run started fails
	// the run instead of silently optimizing on other data. The starter
	// sets it from the file it checks when it starts a run.
	SHA256 string `json:"sha256,omitempty"`
}

// LoadDatasetOutput is a loaded dataset, its examples marked with InputKeys,
// and its content hash.
type LoadDatasetOutput struct {
	Examples  []dspy.Example `json:"examples"`
	InputKeys []string       `json:"input_keys"`
	SHA256    string         `json:"sha256"`
}

// ProgramDescription is a program's structure and starting state.
type ProgramDescription struct {
	Student    dspy.ProgramState         `json:"student"`
	Signatures []optimize.NamedSignature `json:"signatures"`
	// InputKeys are the input fields of the program's predictors, in order;
	// datasets that do not name their inputs use those present in them.
	InputKeys []string `json:"input_keys"`
}

// RunBatchInput asks a worker to run a candidate on a batch and score it.
type RunBatchInput struct {
	Program ProgramRef `json:"program"`
	Metric  string     `json:"metric"`
	// Label is the gold field a built-in metric reads instead of "answer";
	// empty for the default (see Catalog.MetricFor).
	Label        string  `json:"label,omitempty"`
	FailureScore float64 `json:"failure_score"`
	// InputKeys are the dataset's input keys. The batch's examples carry
	// their own marking; these mark only examples that arrive without one,
	// from batches scheduled before examples carried it.
	InputKeys []string       `json:"input_keys,omitempty"`
	Batch     optimize.Batch `json:"batch"`
	// Done are outcomes of this batch finished before an earlier attempt
	// failed on an LM outage; they are kept, not run again.
	Done []optimize.Outcome `json:"done,omitempty"`
}

// RunBatchOutput holds one outcome per example, in the batch's order.
type RunBatchOutput struct {
	Outcomes []optimize.Outcome `json:"outcomes"`
	// Discarded is what runs cut short by a transient LM failure spent
	// before the activity was retried; the outcomes' usage does not hold it.
	Discarded dspy.Usage `json:"discarded,omitzero"`
}

// PromptInput is one call of the prompt model.
type PromptInput struct {
	Call optimize.PromptCall `json:"call"`
}

// PromptOutput holds the completions' output fields and what the call cost.
type PromptOutput struct {
	Outputs []dspy.Example `json:"outputs"`
	Usage   dspy.Usage     `json:"usage"`
	// Calls are the LM calls made, with their messages and replies, so the
	// Web UI shows the prompt model's exact exchange.
	Calls []optimize.LMCall `json:"calls,omitempty"`
}
