package dspy

import (
	"context"
	"fmt"
)

// Adapter turns a signature, demos and inputs into LM messages, and the LM's
// reply back into typed output fields. ChatAdapter (DSPy's default
// "[[ ## field ## ]]" format), JSONAdapter, XMLAdapter and TwoStepAdapter
// implement it.
type Adapter interface {
	// Format builds the chat messages for one call.
	Format(sig Signature, demos []Example, inputs Example) ([]Message, error)
	// Parse reads one completion into the signature's output fields, typed.
	Parse(sig Signature, completion string) (Example, error)
	// Call formats, calls the LM with req (whose Messages it fills in), and
	// parses every completion. A reply that does not parse yields a *ParseError
	// that keeps the raw text.
	Call(ctx context.Context, lm LM, req LMRequest, sig Signature, demos []Example, inputs Example) (AdapterResult, error)
}

// AdapterResult is what one adapter call produced.
type AdapterResult struct {
	// Outputs holds the parsed output fields of each completion.
	Outputs []Example
	// Usage is what the LM calls cost (a fallback to another adapter makes two).
	Usage Usage
	// Messages are the messages of the call that produced Outputs.
	Messages []Message
	// Raw holds the completion texts, in the order of Outputs.
	Raw []string
}

// ParseError means an LM reply could not be read into the signature's output
// fields. It keeps the raw reply, so a failed example can be inspected later.
type ParseError struct {
	Adapter string
	// Field is the output field at fault, if one is.
	Field string
	// Raw is the completion text as the LM sent it.
	Raw string
	Err error
}

func (e *ParseError) Error() string {
	msg := e.Adapter + " could not parse the LM reply"
	if e.Field != "" {
		msg += fmt.Sprintf(" (field %q)", e.Field)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *ParseError) Unwrap() error { return e.Err }

// InputError means a program was called without an input its signature needs.
type InputError struct {
	Predictor string
	Missing   []string
	Present   []string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("%s: missing input field(s) %q (present: %q); pass every input the signature declares", e.Predictor, e.Missing, e.Present)
}
