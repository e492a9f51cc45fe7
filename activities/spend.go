package activities

import (
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// errTypeParse marks an LM reply no adapter could read; its details hold the
// raw reply, then what the call spent.
const errTypeParse = "ParseError"

// UsageOfError returns what a failed activity reported it spent (a reply
// that did not parse is billed all the same), or the zero Usage when it
// reported nothing, as failures recorded by earlier versions do.
func UsageOfError(err error) dspy.Usage {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !appErr.HasDetails() {
		return dspy.Usage{}
	}
	var u dspy.Usage
	var derr error
	if appErr.Type() == errTypeParse {
		var raw string
		derr = appErr.Details(&raw, &u)
	} else {
		derr = appErr.Details(&u)
	}
	if derr != nil {
		return dspy.Usage{}
	}
	return u
}
