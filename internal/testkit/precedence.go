package testkit

import (
	"context"
	"maps"
	"sync"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// PrecedenceLM wraps an LM and counts its calls by the precedence their
// context carries (dspy.WithPrecedence), for tests of which work an engine
// marks Ahead or Behind.
type PrecedenceLM struct {
	dspy.LM
	mu   sync.Mutex
	seen map[dspy.Precedence]int
}

// Call counts the call under its precedence and passes it on.
func (l *PrecedenceLM) Call(ctx context.Context, req dspy.LMRequest) (dspy.LMResponse, error) {
	l.mu.Lock()
	if l.seen == nil {
		l.seen = map[dspy.Precedence]int{}
	}
	l.seen[dspy.PrecedenceFromContext(ctx)]++
	l.mu.Unlock()
	return l.LM.Call(ctx, req)
}

// Seen returns the calls counted so far by precedence.
func (l *PrecedenceLM) Seen() map[dspy.Precedence]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.seen)
}
