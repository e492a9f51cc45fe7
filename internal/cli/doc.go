// Package cli implements the starter command, durable-dspy's command-line
// interface: one cobra command per file, sharing the Temporal connection
// and worker flags with the worker binary (packages temporalconn,
// lmconfig and workerlib), so one spelling works everywhere.
//
// Execute runs a command line with the streams and seams given in Options,
// so the commands are tested in-process, without building a binary; the
// starter's main only hands it the process's arguments and streams. Errors
// map to exit statuses as package exitcode says, a workflow's configuration
// error counting as bad usage.
package cli
