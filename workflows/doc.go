// Package workflows runs durable-dspy's optimizers as Temporal workflows.
//
// An optimizer from package optimize is deterministic code over an Engine.
// Here the engine turns each batch of (candidate program, examples) into
// activities fanned out with a bounded window, and each prompt-model call into
// an activity of its own; the optimizer's loop runs inside the workflow, so a
// crashed worker or server resumes where it stopped and no completed activity
// runs again. At each of the optimizer's checkpoints the workflow publishes
// progress (a status query, search attributes, the Web UI's current details),
// applies stop and pause requests, enforces the budget, and continues as new
// with the optimizer's compact state once history grows.
//
// NewPlugin adds the workflows and activities to a worker from one Config:
// the programs and metrics workflows may name, the tools specs may use, and
// the task and prompt LM clients. Register does the same where plugins do
// not run, such as the SDK's test environment, and RegisterWorkflows
// registers the workflows alone, for a replayer.
package workflows
