package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// runDurable runs the program as a RunProgram workflow on a worker, each LM
// and tool call an activity, and prints its outputs as run does. The spec
// is built by the worker, whose tools react specs may use; here it is only
// checked.
func (a *app) runDurable(ctx context.Context, f *localFlags, id string) error {
	if f.specPath == "" {
		return usagef("--spec is required: the program's spec file (JSON or YAML)")
	}
	sp, err := loadSpec(f.specPath)
	if err != nil {
		return err
	}
	specJSON, err := json.Marshal(sp)
	if err != nil {
		return fmt.Errorf("--spec %s: %w", f.specPath, err)
	}
	st, err := loadState(f.statePath)
	if err != nil {
		return err
	}
	inputs, err := parseInputs(f.inputs, f.inputJSON)
	if err != nil {
		return err
	}
	ref := activities.ProgramRef{Spec: specJSON}
	if id == "" {
		id = newRunID("run")
	}
	in := workflows.RunProgramInput{Program: ref, State: st, Inputs: inputs, Model: a.opts.LM.Model}
	opts := client.StartWorkflowOptions{
		ID: id, TaskQueue: a.opts.Temporal.TaskQueue,
		StaticSummary: fmt.Sprintf("run %s", ref),
		StaticDetails: fmt.Sprintf("- program: `%s`\n- spec: `%s`\n", ref, f.specPath),
	}
	return a.withClient(ctx, func(c client.Client) error {
		run, err := c.ExecuteWorkflow(ctx, opts, workflows.RunProgramWorkflowName, in)
		if err != nil {
			return fmt.Errorf("start run %s: %w", id, err)
		}
		fmt.Fprintf(a.stderr, "workflow ID: %s\nweb UI:      %s\n", run.GetID(), uiLink(a.uiURL, a.opts.Temporal.Namespace, run.GetID()))
		var out workflows.RunProgramOutput
		if err := run.Get(ctx, &out); err != nil {
			if ctx.Err() != nil {
				fmt.Fprintf(a.stderr, "stopped waiting; the run goes on: starter status %s\n", run.GetID())
				return ctx.Err()
			}
			return durableRunError(err)
		}
		fmt.Fprintf(a.stderr, "LM calls %d · tokens %d · tool calls %d\n", out.Usage.Calls, out.Usage.TotalTokens(), out.ToolCalls)
		return printPrediction(a, out.Outputs)
	})
}

// durableRunError says why a durable run failed in one line, from the
// innermost error the workflow reported.
func durableRunError(err error) error {
	failure, errType, ok := workflows.RunFailureOf(err)
	if !ok {
		return err
	}
	var inner error = err
	for u := errors.Unwrap(inner); u != nil; u = errors.Unwrap(inner) {
		inner = u
	}
	msg := inner.Error()
	if errType == workflows.ErrTypeParse && failure.Raw != "" {
		msg += fmt.Sprintf("\nthe reply was: %.300s", failure.Raw)
	}
	return fmt.Errorf("run failed (%s): %s", errType, msg)
}

// printPrediction writes a prediction's fields as JSON: indented, or on one
// line for --output jsonl.
func printPrediction(a *app, outputs dspy.Example) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	if a.output != outputJSONL {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(outputs)
}
