package workflows_test

import (
	"context"
	"log"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/durable-dspy/durable-dspy/activities"
	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/evaluate"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// A user's own worker adds durable-dspy with one plugin: register your Go
// programs and metrics by name, build the LM clients here (keys stay in this
// process's environment), and start workflows that name them.
func ExampleNewPlugin() {
	taskLM, err := lm.New(lm.Options{Model: "gpt-4o-mini", MaxRetries: 3}) // OPENAI_API_KEY
	if err != nil {
		log.Fatal(err)
	}
	promptLM, err := lm.New(lm.Options{Model: "gpt-4o"}) // one attempt: Temporal retries prompt calls
	if err != nil {
		log.Fatal(err)
	}
	plugin, err := workflows.NewPlugin(workflows.Config{
		Programs: map[string]activities.ProgramFactory{
			"qa": func() (dspy.Module, error) {
				return dspy.NewChainOfThought(dspy.MustSignature("question -> answer"))
			},
		},
		Metrics:  map[string]evaluate.Metric{"qa_f1": evaluate.F1("answer")},
		TaskLM:   taskLM,
		PromptLM: promptLM,
	})
	if err != nil {
		log.Fatal(err)
	}

	c, err := client.Dial(client.Options{HostPort: "127.0.0.1:7233"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, "durable-dspy", worker.Options{Plugins: []worker.Plugin{plugin}})
	if err := w.Start(); err != nil {
		log.Fatal(err)
	}
	defer w.Stop()

	run, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: "durable-dspy"},
		workflows.OptimizeWorkflowName, workflows.OptimizeInput{
			Optimizer: "miprov2", Params: []byte(`{"auto": "light"}`),
			Program:  activities.ProgramRef{Name: "qa"},
			Trainset: activities.DatasetRef{Path: "/data/train.jsonl"},
			Metric:   "qa_f1",
			Budget:   workflows.Budget{MaxCostUSD: 5},
		})
	if err != nil {
		log.Fatal(err)
	}
	var result workflows.OptimizeResult
	if err := run.Get(context.Background(), &result); err != nil {
		log.Fatal(err)
	}
	log.Printf("baseline %.2f → optimized %.2f", result.BaselineScore, result.Score)
}
