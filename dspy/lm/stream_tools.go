package lm

import (
	"fmt"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// A streamed completion sends its tool calls as deltas, each naming the
// call's index within the completion: OpenAI sends the id, type and function
// name in a call's first delta and the arguments in fragments after it.
// Assembly follows LiteLLM's stream_chunk_builder, which DSPy streams
// through: a delta's id or name, when present, replaces the one before (some
// compatible servers repeat them in every delta), and argument fragments are
// appended in the order they arrive.

// maxStreamToolCalls bounds the call index a stream may name, so a broken
// server cannot make the client allocate without limit.
const maxStreamToolCalls = 1024

// toolCallDelta is one piece of one tool call of a streamed completion.
type toolCallDelta struct {
	Index     int
	ID        string
	Name      string
	Arguments string
}

// toolCallAssembler gathers one completion's tool-call deltas.
type toolCallAssembler struct {
	calls []assembledCall
}

type assembledCall struct {
	id, name string
	args     []byte // not a strings.Builder, which may not be copied as the slice grows
	seen     bool
}

// add folds one delta in.
func (a *toolCallAssembler) add(d toolCallDelta) error {
	if d.Index < 0 || d.Index >= maxStreamToolCalls {
		return fmt.Errorf("the stream names tool call %d", d.Index)
	}
	for len(a.calls) <= d.Index {
		a.calls = append(a.calls, assembledCall{})
	}
	c := &a.calls[d.Index]
	c.seen = true
	if d.ID != "" {
		c.id = d.ID
	}
	if d.Name != "" {
		c.name = d.Name
	}
	c.args = append(c.args, d.Arguments...)
	return nil
}

// result returns the calls as the unstreamed reply gives them, in index
// order; nil when no delta came. An index no delta named is an error: an
// unstreamed reply's list has no holes.
func (a *toolCallAssembler) result() ([]dspy.LMToolCall, error) {
	if len(a.calls) == 0 {
		return nil, nil
	}
	out := make([]dspy.LMToolCall, len(a.calls))
	for i := range a.calls {
		c := &a.calls[i]
		if !c.seen {
			return nil, fmt.Errorf("the stream skipped tool call %d", i)
		}
		out[i] = dspy.LMToolCall{ID: c.id, Name: c.name, Arguments: string(c.args)}
	}
	return out, nil
}
