package cli

import (
	"errors"
	"fmt"

	"github.com/durable-dspy/durable-dspy/workflows"
)

// Exit codes of the CLI.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// usageError marks a mistake in how the CLI was called: a flag, file or line
// the user must fix. It makes the process exit with exitUsage.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError; its message should name the flag, file or
// line at fault.
func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// asUsage marks err as a usage error, keeping it for errors.Is and As.
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	var u *usageError
	if errors.As(err, &u) {
		return err
	}
	return &usageError{err: err}
}

// exitCode maps an error to the process exit code. A workflow that failed on
// its configuration (an unknown metric or program on the worker, a dataset
// the worker could not read) is bad usage too: only the worker could tell.
func exitCode(err error) int {
	var u *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &u), workflows.IsConfigError(err):
		return exitUsage
	}
	return exitFailed
}
