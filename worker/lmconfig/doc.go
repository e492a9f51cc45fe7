// Package lmconfig turns a worker's LM settings (Options, their flags and
// environment variables) into the two LM clients durable-dspy's activities
// call: the task LM runs programs inside batch activities and retries each
// call itself, so one rate-limited call does not fail a batch; the prompt LM
// answers optimizers' meta-prompts, one call per activity, and never
// retries, because Temporal's retry policy owns that. Both share one cache,
// in memory and optionally on disk, so a retried activity or a rerun does
// not pay twice. API keys are read on the worker and never reach workflow
// history.
//
// With neither $OPENAI_API_KEY nor a base URL, both clients talk to the
// simulated LM (package simlm), started in-process: a demo needs no network
// and no account.
package lmconfig
