// Package setup assembles a durable-dspy worker from options: the Temporal
// connection (or an embedded dev server), the language models and the
// Temporal worker with durable-dspy's plugin. The worker binary and the
// CLI's demo command both build on it, and share its flags (BindFlags), so
// the two accept the same command lines and environment.
//
// A minimal use, fully offline:
//
//	w, err := setup.Start(ctx, setup.Options{Dev: true})
//	if err != nil {
//		return err
//	}
//	defer w.Stop()
//	fmt.Println("Temporal UI:", w.UIURL(), "LM:", w.LMDescription())
//	run, err := w.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue()}, ...)
//
// # Language models
//
// The worker builds two LM clients: the task LM runs programs inside batch
// activities and retries each call itself, so one rate-limited call does not
// fail a batch; the prompt LM answers optimizers' meta-prompts, one call per
// activity, and never retries, because Temporal's retry policy owns that.
// Both share one cache, in memory and optionally on disk, so a retried
// activity or a rerun does not pay twice. API keys are read on the worker
// and never reach workflow history.
//
// With neither $OPENAI_API_KEY nor a base URL, both clients talk to the
// simulated LM (package simlm), started in-process: a demo needs no network
// and no account.
//
// # Options and defaults
//
// Start takes Options literally where zero has a meaning (an in-memory dev
// database, no disk cache, a free port, no retries), which suits tests and
// embedding. DefaultOptions and BindFlags give the command-line defaults:
// Temporal's usual ports, and state persisted under .durable-dspy/ in the
// working directory. BindFlags reads environment variables (TEMPORAL_*,
// OPENAI_*, DSPY_*) as flag defaults; the two secrets, TEMPORAL_API_KEY and
// OPENAI_API_KEY, have no flags at all.
//
// Errors name the flag or environment variable to change.
package workerlib
