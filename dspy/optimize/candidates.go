package optimize

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// Candidates are program states: the student's state with other demos or
// instructions. These helpers edit copies, never the state they are given, so
// a state held in a checkpoint or a trial stays as it was.

// CloneState returns a copy of st that shares nothing mutable with it: the
// predictor list, each demo list and each field list are copied (examples are
// immutable values and need no copy).
func CloneState(st dspy.ProgramState) dspy.ProgramState {
	out := dspy.ProgramState{Predictors: make([]dspy.NamedState, len(st.Predictors))}
	for i, ns := range st.Predictors {
		ps := ns.State
		ps.Demos = append([]dspy.Example{}, ps.Demos...)
		ps.Signature.Fields = append([]dspy.FieldState(nil), ps.Signature.Fields...)
		ps.Traces = append([]any{}, ps.Traces...)
		ps.Train = append([]any{}, ps.Train...)
		out.Predictors[i] = dspy.NamedState{Name: ns.Name, State: ps}
	}
	if st.Metadata != nil {
		out.Metadata = make(map[string]any, len(st.Metadata))
		for k, v := range st.Metadata {
			out.Metadata[k] = v
		}
	}
	return out
}

// ResetDemos returns a copy of st with every predictor's demos removed, as
// DSPy's reset_copy does before an optimizer fills them in.
func ResetDemos(st dspy.ProgramState) dspy.ProgramState {
	out := CloneState(st)
	for i := range out.Predictors {
		out.Predictors[i].State.Demos = []dspy.Example{}
	}
	return out
}

// WithDemos returns a copy of st whose predictor at path has the given demos.
func WithDemos(st dspy.ProgramState, path string, demos []dspy.Example) (dspy.ProgramState, error) {
	out := CloneState(st)
	i, err := predictorIndex(out, path)
	if err != nil {
		return dspy.ProgramState{}, err
	}
	out.Predictors[i].State.Demos = append([]dspy.Example{}, demos...)
	return out, nil
}

// WithInstructions returns a copy of st whose predictor at path has the given
// instructions and, when prefix is not empty, the given prefix on its last
// field (the last output), as COPRO proposes them.
func WithInstructions(st dspy.ProgramState, path, instructions, prefix string) (dspy.ProgramState, error) {
	out := CloneState(st)
	i, err := predictorIndex(out, path)
	if err != nil {
		return dspy.ProgramState{}, err
	}
	sig := &out.Predictors[i].State.Signature
	sig.Instructions = instructions
	if prefix != "" && len(sig.Fields) > 0 {
		sig.Fields[len(sig.Fields)-1].Prefix = prefix
	}
	return out, nil
}

func predictorIndex(st dspy.ProgramState, path string) (int, error) {
	for i, ns := range st.Predictors {
		if ns.Name == path {
			return i, nil
		}
	}
	return -1, fmt.Errorf("program state has no predictor %q (it has %q)", path, st.Names())
}

// lastPrefix is the prefix of a predictor's last field, COPRO's output prefix.
func lastPrefix(ps dspy.PredictorState) string {
	if n := len(ps.Signature.Fields); n > 0 {
		return ps.Signature.Fields[n-1].Prefix
	}
	return ""
}

// sameFields reports whether two examples hold the same fields with equal
// values, in any order, as Python's Example equality compares their dicts.
// ExcludeSelfDemo uses it to find the demo that is the example itself.
func sameFields(a, b dspy.Example) bool {
	if a.Len() != b.Len() {
		return false
	}
	for _, k := range a.Keys() {
		av, _ := a.Get(k)
		bv, ok := b.Get(k)
		if !ok || !sameValue(av, bv) {
			return false
		}
	}
	return true
}

func sameValue(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// Percent scores outcomes as DSPy's Evaluate does: round(100·Σscore/N, 2),
// summing in order. It returns 0 for no outcomes.
func Percent(outcomes []Outcome) float64 {
	if len(outcomes) == 0 {
		return 0
	}
	return round2(percentExact(outcomes))
}

// percentExact is Percent before rounding: optimizers decide on the rounded
// score, as DSPy does, but a difference of two scores is taken unrounded.
func percentExact(outcomes []Outcome) float64 {
	if len(outcomes) == 0 {
		return 0
	}
	sum := 0.0
	for _, o := range outcomes {
		sum += o.Score
	}
	return 100 * sum / float64(len(outcomes))
}

// round2 rounds to two decimals on the exact binary value, as Python's
// round(x, 2) does (FormatFloat rounds correctly, ties to even).
func round2(x float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 2, 64), 64)
	if err != nil {
		return x
	}
	return r
}

// indexIDs returns 0..n-1, the IDs of a dataset's examples by position.
func indexIDs(n int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	return ids
}

// countFailures counts outcomes that failed.
func countFailures(outcomes []Outcome) int {
	n := 0
	for _, o := range outcomes {
		if o.Failed() {
			n++
		}
	}
	return n
}

// firstFailure returns the first failed outcome's error text.
func firstFailure(outcomes []Outcome) string {
	for _, o := range outcomes {
		if o.Failed() {
			return o.Error
		}
	}
	return ""
}

// checkpoint encodes state and hands it to the engine.
func checkpoint(ctx context.Context, engine Engine, state any, progress Progress) error {
	b, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("encode checkpoint: %w", err)
	}
	return engine.Checkpoint(ctx, Checkpoint{State: b, Progress: progress})
}
