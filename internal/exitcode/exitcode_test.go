package exitcode_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/durable-dspy/durable-dspy/internal/exitcode"
)

func TestOfMapsErrorsToStatuses(t *testing.T) {
	assert.Equal(t, exitcode.OK, exitcode.Of(nil))
	assert.Equal(t, exitcode.Failure, exitcode.Of(errors.New("the run failed")))
	assert.Equal(t, exitcode.Usage, exitcode.Of(exitcode.Usagef("--x %d", 1)))
	assert.Equal(t, exitcode.Usage, exitcode.Of(fmt.Errorf("wrapped: %w", exitcode.AsUsage(errors.New("bad flag")))))
}

func TestAsUsageKeepsTheErrorAndDoesNotWrapTwice(t *testing.T) {
	assert.NoError(t, exitcode.AsUsage(nil))
	cause := errors.New("bad flag")
	err := exitcode.AsUsage(cause)
	assert.ErrorIs(t, err, cause)
	assert.Equal(t, "bad flag", err.Error())
	assert.Same(t, err, exitcode.AsUsage(err))
}
