package cli

import (
	"github.com/durable-dspy/durable-dspy/internal/exitcode"
	"github.com/durable-dspy/durable-dspy/workflows"
)

// usagef returns an exitcode.UsageError; its message should name the flag,
// file or line at fault.
func usagef(format string, args ...any) error {
	return exitcode.Usagef(format, args...)
}

// asUsage marks err as a usage error, keeping it for errors.Is and As.
func asUsage(err error) error { return exitcode.AsUsage(err) }

// exitCode maps an error to the process exit code. A workflow that failed on
// its configuration (an unknown metric or program on the worker, a dataset
// the worker could not read) is bad usage too: only the worker could tell.
func exitCode(err error) int {
	if workflows.IsConfigError(err) {
		return exitcode.Usage
	}
	return exitcode.Of(err)
}
