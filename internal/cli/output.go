package cli

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	workflowpb "go.temporal.io/api/workflow/v1"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// Output formats of --output, as the temporal CLI names them: text for
// people, json for one document, jsonl for one object a line, which
// commands whose output streams (watch, optimize --wait) write as it comes.
const (
	outputText  = "text"
	outputJSON  = "json"
	outputJSONL = "jsonl"
)

var outputFormats = []string{outputText, outputJSON, outputJSONL}

// bindOutput adds the global --output flag and checks its value before any
// command runs, so a typo fails as bad usage instead of printing text.
func (a *app) bindOutput(root *cobra.Command) {
	root.PersistentFlags().StringVarP(&a.output, "output", "o", outputText,
		"format of the data printed on stdout: "+strings.Join(outputFormats, ", ")+" (progress stays on stderr)")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		if !slices.Contains(outputFormats, a.output) {
			return usagef("--output %q is not a format; valid formats: %s", a.output, strings.Join(outputFormats, ", "))
		}
		return nil
	}
}

// structured reports whether --output asks for JSON instead of text.
func (a *app) structured() bool { return a.output != outputText }

// printData writes v to stdout as --output says: indented JSON for json,
// one line for jsonl.
func (a *app) printData(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	if a.output == outputJSON {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(v)
}

// runRecord is a run as status prints it with --output json: what Temporal
// knows of it, its progress when it answered, and its result once done.
type runRecord struct {
	WorkflowID string            `json:"workflow_id"`
	RunID      string            `json:"run_id"`
	Type       string            `json:"type"`
	Status     string            `json:"status"`
	Optimizer  string            `json:"optimizer,omitempty"`
	Program    string            `json:"program,omitempty"`
	Started    *time.Time        `json:"started,omitempty"`
	Closed     *time.Time        `json:"closed,omitempty"`
	WebUI      string            `json:"web_ui,omitempty"`
	Progress   *workflows.Status `json:"progress,omitempty"`
	Result     any               `json:"result,omitempty"`
}

// newRunRecord fills a runRecord from what Temporal describes.
func newRunRecord(info *workflowpb.WorkflowExecutionInfo, link string) runRecord {
	attrs := searchAttributes(info)
	r := runRecord{
		WorkflowID: info.GetExecution().GetWorkflowId(), RunID: info.GetExecution().GetRunId(),
		Type: info.GetType().GetName(), Status: executionStatus(info.GetStatus()),
		Optimizer: attrs["DspyOptimizer"], Program: attrs["DspyProgram"], WebUI: link,
	}
	if t := info.GetStartTime(); t != nil {
		v := t.AsTime()
		r.Started = &v
	}
	if t := info.GetCloseTime(); t != nil {
		v := t.AsTime()
		r.Closed = &v
	}
	return r
}

// statusRecord is one line of a streamed watch (--output jsonl): a progress
// report while the run goes, then its result.
type statusRecord struct {
	Status *workflows.Status `json:"status,omitempty"`
	Result any               `json:"result,omitempty"`
}

// startedRecord is what optimize and evaluate print on starting a run with
// --output json, and with --wait the result beside it.
type startedRecord struct {
	WorkflowID string `json:"workflow_id"`
	RunID      string `json:"run_id"`
	Program    string `json:"program"`
	WebUI      string `json:"web_ui,omitempty"`
	Result     any    `json:"result,omitempty"`
}

// startedData is the record of a started run, with its result once known.
func (a *app) startedData(ref activities.ProgramRef, id, runID string, result any) startedRecord {
	return startedRecord{WorkflowID: id, RunID: runID, Program: ref.String(), WebUI: a.link(context.Background(), id), Result: result}
}

// exportRecord is what export prints with --output json once it wrote the
// program to a file.
type exportRecord struct {
	WorkflowID         string  `json:"workflow_id"`
	Out                string  `json:"out"`
	Score              float64 `json:"score"`
	BaselineScore      float64 `json:"baseline_score"`
	BaselineUnmeasured bool    `json:"baseline_unmeasured,omitempty"`
}
