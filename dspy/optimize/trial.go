package optimize

import (
	"strings"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// instructionExcerpt bounds the instruction a Trial keeps: enough to tell
// candidates apart in a table, little enough that a long run's trial list
// stays small in checkpoints and queries.
const instructionExcerpt = 160

// newTrial describes an evaluated candidate: its number and label, the
// start of its first instruction and its demo count, and its score.
func newTrial(number int, label string, program dspy.ProgramState, score float64, full bool) Trial {
	t := Trial{Number: number, Label: label, Score: score, Full: full}
	for i, p := range program.Predictors {
		if i == 0 {
			t.Instruction = excerpt(p.State.Signature.Instructions, instructionExcerpt)
		}
		t.Demos += len(p.State.Demos)
	}
	return t
}

// excerpt is s on one line, cut to at most n runes with an ellipsis.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
