package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/durable-dspy/durable-dspy/activities"
)

// OptimizeStartOptions returns the options to start an optimization with: the
// workflow ID and task queue, plus the summary and details the Web UI shows on
// the run's page, built from the input.
func OptimizeStartOptions(id, taskQueue string, in OptimizeInput) client.StartWorkflowOptions {
	var d strings.Builder
	fmt.Fprintf(&d, "- program: `%s`\n", in.Program)
	fmt.Fprintf(&d, "- optimizer: `%s`", in.Optimizer)
	if len(in.Params) > 0 {
		fmt.Fprintf(&d, " `%s`", strings.Join(strings.Fields(string(in.Params)), " "))
	}
	fmt.Fprintf(&d, "\n- trainset: %s\n", describeDataset(in.Trainset))
	if in.Valset != nil {
		fmt.Fprintf(&d, "- valset: %s\n", describeDataset(*in.Valset))
	}
	fmt.Fprintf(&d, "- metric: `%s`\n", in.Metric)
	if b := in.Budget; b != (Budget{}) {
		fmt.Fprintf(&d, "- budget: %s\n", describeBudget(b))
	}
	return client.StartWorkflowOptions{
		ID: id, TaskQueue: taskQueue,
		StaticSummary: fmt.Sprintf("%s of %s on %s", in.Optimizer, in.Program, describeDataset(in.Trainset)),
		StaticDetails: d.String(),
	}
}

// EvaluateStartOptions is OptimizeStartOptions for an evaluation.
func EvaluateStartOptions(id, taskQueue string, in EvaluateInput) client.StartWorkflowOptions {
	state := "the program's own demos and instructions"
	if in.State != nil {
		state = "a compiled state"
	}
	return client.StartWorkflowOptions{
		ID: id, TaskQueue: taskQueue,
		StaticSummary: fmt.Sprintf("evaluate %s on %s", in.Program, describeDataset(in.Dataset)),
		StaticDetails: fmt.Sprintf("- program: `%s` with %s\n- dataset: %s\n- metric: `%s`\n", in.Program, state, describeDataset(in.Dataset), in.Metric),
		// So "starter list --program" finds evaluations beside optimizations.
		TypedSearchAttributes: temporal.NewSearchAttributes(SearchAttrProgram.ValueSet(in.Program.String())),
	}
}

func describeDataset(ref activities.DatasetRef) string {
	if ref.Path != "" {
		return "`" + ref.Path + "`"
	}
	return fmt.Sprintf("%d inline examples", len(ref.Examples))
}

func describeBudget(b Budget) string {
	var parts []string
	if b.MaxLMCalls > 0 {
		parts = append(parts, fmt.Sprintf("%d LM calls", b.MaxLMCalls))
	}
	if b.MaxTokens > 0 {
		parts = append(parts, fmt.Sprintf("%d tokens", b.MaxTokens))
	}
	if b.MaxCostUSD > 0 {
		parts = append(parts, fmt.Sprintf("$%.2f", b.MaxCostUSD))
	}
	return strings.Join(parts, ", ")
}
