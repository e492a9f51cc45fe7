package optimize

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize/pyrand"
)

// EnsembleProgram runs several programs on the same inputs and reduces
// their predictions to one, as the program DSPy's Ensemble compiles does.
// Its predictors are its members', named "programs[i]" (or
// "programs[i].<path>"), the paths DSPy gives a list attribute, so its state
// saves and loads like DSPy's.
type EnsembleProgram struct {
	// Programs are the members.
	Programs []dspy.Module
	// Size, when between 1 and len(Programs)-1, is how many members each call
	// runs. DSPy samples them from the global random generator; here the
	// sample is drawn from a generator seeded by the inputs, so a call is
	// reproducible (DSPy's Ensemble leaves its deterministic mode to do).
	Size int
	// Reduce combines the members' predictions; nil means Majority with its
	// defaults.
	Reduce func([]dspy.Prediction) (dspy.Prediction, error)
}

// Call runs the chosen members in order and reduces their predictions.
func (e *EnsembleProgram) Call(ctx context.Context, inputs dspy.Example) (dspy.Prediction, error) {
	members := e.Programs
	if e.Size > 0 && e.Size < len(members) {
		rng := pyrand.NewFromBig(demosHash([]dspy.Example{inputs.Unmarked()}))
		members = pyrand.SampleOf(rng, members, e.Size)
	}
	preds := make([]dspy.Prediction, 0, len(members))
	var usage dspy.Usage
	for i, m := range members {
		p, err := m.Call(ctx, inputs)
		if err != nil {
			return dspy.Prediction{}, fmt.Errorf("ensemble member %d: %w", i, err)
		}
		usage = usage.Add(p.Usage)
		preds = append(preds, p)
	}
	reduce := e.Reduce
	if reduce == nil {
		reduce = func(ps []dspy.Prediction) (dspy.Prediction, error) { return Majority(ps, MajorityOptions{}) }
	}
	out, err := reduce(preds)
	if err != nil {
		return dspy.Prediction{}, err
	}
	out.Usage = usage
	return out, nil
}

// Predictors lists every member's predictors under "programs[i]".
func (e *EnsembleProgram) Predictors() []dspy.NamedPredictor {
	var out []dspy.NamedPredictor
	for i, m := range e.Programs {
		out = append(out, dspy.PrefixPredictors(fmt.Sprintf("programs[%d]", i), m.Predictors())...)
	}
	return out
}

// ensembleKey marks an ensemble's state in its metadata, with its member
// count and size, so an engine knows to build the ensemble around fresh
// instances of the program.
const ensembleKey = "ensemble"

// ensembleSpec is the metadata under ensembleKey.
type ensembleSpec struct {
	Members int    `json:"members"`
	Size    int    `json:"size,omitempty"`
	Reduce  string `json:"reduce"`
}

// EnsembleState is the state of an ensemble of members (states of the same
// program), each call running size of them (0: all) and voting by Majority.
// An engine given it as a candidate builds the ensemble from fresh instances
// of the program (see BuildProgram).
func EnsembleState(members []dspy.ProgramState, size int) dspy.ProgramState {
	out := dspy.ProgramState{Metadata: map[string]any{}}
	for i, m := range members {
		for _, ns := range CloneState(m).Predictors {
			name := fmt.Sprintf("programs[%d]", i)
			if ns.Name != "self" && ns.Name != "" {
				name += "." + ns.Name
			}
			out.Predictors = append(out.Predictors, dspy.NamedState{Name: name, State: ns.State})
		}
		for k, v := range m.Metadata {
			if k != ensembleKey {
				out.Metadata[k] = v
			}
		}
	}
	out.Metadata[ensembleKey] = map[string]any{"members": len(members), "size": size, "reduce": "majority"}
	return out
}

// ensembleOf reads the ensemble marker of a state, if it has one.
func ensembleOf(st dspy.ProgramState) (ensembleSpec, bool, error) {
	raw, ok := st.Metadata[ensembleKey]
	if !ok {
		return ensembleSpec{}, false, nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return ensembleSpec{}, true, err
	}
	var spec ensembleSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		return ensembleSpec{}, true, fmt.Errorf("ensemble metadata: %w", err)
	}
	if spec.Members < 1 {
		return ensembleSpec{}, true, fmt.Errorf("ensemble metadata: %d members", spec.Members)
	}
	if spec.Reduce != "" && spec.Reduce != "majority" {
		return ensembleSpec{}, true, fmt.Errorf("ensemble metadata: unknown reduce %q (only majority)", spec.Reduce)
	}
	return spec, true, nil
}

// BuildProgram returns a fresh instance for the state st: newProgram's, or,
// when st is an ensemble's (see EnsembleState, or a file DSPy's Ensemble
// saved: its members' predictors under "programs[i]" and no marker), an
// EnsembleProgram of fresh instances of it, or, when st is a compiled
// KNNFewShot program's, a KNNProgram around them. The state is not applied;
// dspy.LoadState does that.
func BuildProgram(newProgram func() (dspy.Module, error), st dspy.ProgramState) (dspy.Module, error) {
	if knn, ok, err := knnOf(st); ok || err != nil {
		if err != nil {
			return nil, err
		}
		base, err := newProgram()
		if err != nil {
			return nil, err
		}
		return &KNNProgram{newProgram: newProgram, base: base, spec: knn}, nil
	}
	spec, ok, err := ensembleOf(st)
	if err != nil {
		return nil, err
	}
	if !ok {
		base, err := newProgram()
		if err != nil {
			return nil, err
		}
		n := dspyEnsembleMembers(base, st)
		if n == 0 {
			return base, nil
		}
		e := &EnsembleProgram{Programs: []dspy.Module{base}}
		for range n - 1 {
			m, err := newProgram()
			if err != nil {
				return nil, err
			}
			e.Programs = append(e.Programs, m)
		}
		return e, nil
	}
	e := &EnsembleProgram{Size: spec.Size}
	for range spec.Members {
		m, err := newProgram()
		if err != nil {
			return nil, err
		}
		e.Programs = append(e.Programs, m)
	}
	return e, nil
}

// dspyEnsembleMembers returns how many members an ensemble DSPy saved holds,
// or 0 when st is not one. DSPy's Ensemble saves no marker, only each
// member's predictors under the paths of its list attribute "programs", so
// st is one when its paths are exactly base's under "programs[0]" to
// "programs[n-1]", in order. DSPy's own size and reduce_fn are not saved:
// the ensemble runs every member and votes by Majority.
func dspyEnsembleMembers(base dspy.Module, st dspy.ProgramState) int {
	paths := base.Predictors()
	names := st.Names()
	if len(paths) == 0 || len(names) == 0 || len(names)%len(paths) != 0 {
		return 0
	}
	n := len(names) / len(paths)
	for i := range n {
		for j, p := range dspy.PrefixPredictors(fmt.Sprintf("programs[%d]", i), paths) {
			if names[i*len(paths)+j] != p.Name {
				return 0
			}
		}
	}
	return n
}
