// Package exitcode is the exit-status convention durable-dspy's binaries
// share, so that scripts can tell a failed run from a command line to fix:
// OK on success (a run completed), Failure when the run failed or was
// canceled or terminated, Usage when the user must change a flag, a file or
// a line, Interrupted when the command itself was interrupted. A usage
// mistake is an error wrapped in UsageError; Of maps any error to its
// status.
package exitcode

import (
	"errors"
	"fmt"
)

// Exit statuses.
const (
	OK      = 0
	Failure = 1
	Usage   = 2
	// Interrupted is the status of a command stopped by SIGINT or SIGTERM,
	// 128 plus SIGINT's number, as shells report it.
	Interrupted = 130
)

// UsageError marks a mistake in how a binary was called: a flag, file or
// line the user must fix. It makes the process exit with Usage.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError; its message should name the flag, file or
// line at fault.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// AsUsage marks err as a usage error, keeping it for errors.Is and As; nil
// stays nil.
func AsUsage(err error) error {
	if err == nil || IsUsage(err) {
		return err
	}
	return &UsageError{Err: err}
}

// IsUsage reports whether err, or an error it wraps, is a UsageError.
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}

// Of maps an error to the process's exit status.
func Of(err error) int {
	switch {
	case err == nil:
		return OK
	case IsUsage(err):
		return Usage
	}
	return Failure
}
