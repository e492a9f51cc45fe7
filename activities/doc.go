// Package activities implements durable-dspy's Temporal activities: loading
// a dataset on the worker, describing a program's predictors, running a
// candidate program on a batch of examples and scoring it, and making one
// prompt-model call. The workflows package calls them by name (see the
// *Name constants) and registers them with its plugin.
//
// Only references cross workflow history: a ProgramRef names a program in
// the worker's Catalog or carries a declarative spec, a DatasetRef names a
// file on the worker, and a metric is named. The LM clients are built on the
// worker, so API keys never leave it.
//
// Failures are typed for Temporal: a bad configuration (an unknown program
// or metric, an unreadable dataset) is a non-retryable ErrTypeConfig error,
// an LM request the provider rejects is ErrTypeBadRequest, and a rate limit
// is retried no sooner than the provider asked.
package activities
