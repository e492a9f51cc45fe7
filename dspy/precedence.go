package dspy

import "context"

// Precedence orders LM calls that wait for a concurrency slot: when an LM
// caps its calls in flight, a freed slot goes to the waiting call of highest
// precedence, first come first served among equals. It changes only when a
// call starts, never what it sends or what comes back, so results stay the
// same whatever the precedence. An LM without a cap ignores it.
//
// Work that gates what comes next (a prompt-model call an optimizer waits
// on) runs Ahead; work nothing waits on soon (scoring started early, only to
// fill otherwise idle slots) runs Behind.
type Precedence int8

const (
	// PrecedenceBehind calls take a slot only when no call of higher
	// precedence waits, and not one that such a call has just given back,
	// which the next call of its chain may be about to take.
	PrecedenceBehind Precedence = -1
	// PrecedenceNormal is the default: calls take slots in arrival order.
	PrecedenceNormal Precedence = 0
	// PrecedenceAhead calls take the next free slot before any other waiting call.
	PrecedenceAhead Precedence = 1
)

// String names the precedence, for logs and test messages.
func (p Precedence) String() string {
	switch {
	case p < PrecedenceNormal:
		return "behind"
	case p > PrecedenceNormal:
		return "ahead"
	}
	return "normal"
}

// WithPrecedence returns a context whose LM calls wait for a slot with
// precedence p.
func WithPrecedence(ctx context.Context, p Precedence) context.Context {
	return context.WithValue(ctx, precedenceKey, p)
}

// PrecedenceFromContext returns the precedence set with WithPrecedence, or
// PrecedenceNormal.
func PrecedenceFromContext(ctx context.Context) Precedence {
	p, _ := ctx.Value(precedenceKey).(Precedence)
	return p
}
