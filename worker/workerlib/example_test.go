package workerlib_test

import (
	"context"
	"fmt"
	"log"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
	"github.com/durable-dspy/durable-dspy/worker/workerlib"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// Start an offline worker, with an embedded Temporal server and the simulated
// LM, and evaluate a program through it.
func Example() {
	ctx := context.Background()
	w, err := workerlib.Start(ctx, workerlib.Options{Temporal: temporalconn.Options{Dev: true}})
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = w.Stop() }()
	fmt.Println("Temporal UI:", w.UIURL())
	fmt.Println("LM:", w.LMDescription())

	run, err := w.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue()},
		workflows.EvaluateWorkflowName, workflows.EvaluateInput{
			Program: activities.ProgramRef{Spec: spec.Program{Module: "predict", Signature: "question -> answer"}.JSON()},
			Dataset: activities.DatasetRef{Examples: []dspy.Example{dspy.NewExample("question", "What is 2 + 3?", "answer", "5")}},
			Metric:  "exact_match",
		})
	if err != nil {
		log.Fatal(err)
	}
	var res workflows.EvaluateResult
	if err := run.Get(ctx, &res); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("score %.1f on %d examples\n", res.Score, res.Total)
}

// Share the worker's flags with another command, so both accept the same
// command lines and environment variables.
func ExampleBindFlags() {
	var o workerlib.Options
	fs := pflag.NewFlagSet("demo", pflag.ExitOnError)
	workerlib.BindFlags(fs, &o)
	_ = fs.Parse([]string{"--dev", "--sim", "seed=3"})
	fmt.Println(o.Temporal.Dev, o.LM.Sim, o.Temporal.TaskQueue)
}
