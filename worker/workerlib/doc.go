// Package workerlib is the durable-dspy worker as a library: Start assembles
// a running worker from Options, out of the Temporal connection (package
// temporalconn, which also runs the embedded dev server), the task and
// prompt LM clients (package lmconfig) and a Temporal worker with
// durable-dspy's plugin (package workflows). The worker binary and the CLI
// both build on it, and share its flags (BindFlags), so the two accept the
// same command lines and environment.
//
// A minimal use, fully offline:
//
//	w, err := workerlib.Start(ctx, workerlib.Options{Temporal: temporalconn.Options{Dev: true}})
//	if err != nil {
//		return err
//	}
//	defer w.Stop()
//	fmt.Println("Temporal UI:", w.UIURL(), "LM:", w.LMDescription())
//	run, err := w.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue()}, ...)
//
// Register your own Go programs, metrics and tools in Options; workflows
// name them, and inline specs need no registration.
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
