package optimize

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// knnKey marks a compiled KNNFewShot program's state in its metadata; under
// it is a knnSpec.
const knnKey = "knn"

// knnSpec is everything a compiled KNNFewShot program needs at run time
// besides its embedder: the training examples, their unit vectors, and the
// demos each one's bootstrap run left.
type knnSpec struct {
	K               int        `json:"k"`
	MaxBootstrapped int        `json:"max_bootstrapped_demos"`
	MaxLabeled      int        `json:"max_labeled_demos"`
	Entries         []knnEntry `json:"entries"`
}

// knnEntry is one training example of the index.
type knnEntry struct {
	Example dspy.Example `json:"example"`
	Vector  []float32    `json:"vector"`
	// Demos holds, when the teacher's run on the example passed the metric,
	// the demo it gives each predictor; nil when it did not.
	Demos []namedDemos `json:"demos,omitempty"`
}

// knnState is the state of a compiled KNNFewShot program: the student's
// state with the index under knnKey.
func knnState(student dspy.ProgramState, spec knnSpec) dspy.ProgramState {
	out := ResetDemos(student)
	if out.Metadata == nil {
		out.Metadata = map[string]any{}
	}
	// Held as JSON values, as a state loaded from JSON holds it, so a state
	// compiled here and one passed through a workflow encode alike.
	var generic any
	if b, err := json.Marshal(spec); err == nil && json.Unmarshal(b, &generic) == nil {
		out.Metadata[knnKey] = generic
	} else {
		out.Metadata[knnKey] = spec
	}
	return out
}

// knnOf reads the KNN index of a state, if it has one. A state loaded from
// JSON holds it as generic values, so it goes through JSON either way.
func knnOf(st dspy.ProgramState) (knnSpec, bool, error) {
	raw, ok := st.Metadata[knnKey]
	if !ok {
		return knnSpec{}, false, nil
	}
	if spec, ok := raw.(knnSpec); ok {
		return spec, true, nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return knnSpec{}, true, err
	}
	var spec knnSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		return knnSpec{}, true, fmt.Errorf("knn metadata: %w", err)
	}
	if spec.K < 1 {
		return knnSpec{}, true, fmt.Errorf("knn metadata: k is %d", spec.K)
	}
	for i, e := range spec.Entries {
		if len(e.Vector) != len(spec.Entries[0].Vector) {
			return knnSpec{}, true, fmt.Errorf("knn metadata: entry %d has a %d-dimensional vector, entry 0 %d", i, len(e.Vector), len(spec.Entries[0].Vector))
		}
	}
	return spec, true, nil
}

// KNNProgram is the program KNNFewShot compiles: at each call it embeds the
// inputs, finds the K training examples nearest by cosine similarity, gives
// the program the demos BootstrapFewShot would build from those neighbours,
// and runs it. Build it with BuildProgram from a compiled state.
//
// The embedder is Embedder, or else the context's (dspy.WithEmbedder).
type KNNProgram struct {
	// Embedder embeds the inputs; nil means the context's.
	Embedder dspy.Embedder

	newProgram func() (dspy.Module, error)
	base       dspy.Module
	spec       knnSpec
}

// Predictors lists the underlying program's predictors: loading a state
// sets their instructions and signatures, which every call starts from.
func (p *KNNProgram) Predictors() []dspy.NamedPredictor { return p.base.Predictors() }

// Call embeds the inputs, picks the demos of their nearest neighbours and
// runs a fresh instance of the program with them.
func (p *KNNProgram) Call(ctx context.Context, inputs dspy.Example) (dspy.Prediction, error) {
	emb := p.Embedder
	if emb == nil {
		emb = dspy.EmbedderFromContext(ctx)
	}
	if emb == nil {
		return dspy.Prediction{}, fmt.Errorf("knn program: %w (dspy.WithEmbedder)", errNoEmbedder)
	}
	vecs, u, err := dspy.CallEmbedder(ctx, emb, []string{knnText(inputs, inputs.Keys())})
	if err != nil {
		return dspy.Prediction{}, fmt.Errorf("knn program: embed the inputs: %w", err)
	}
	st, err := p.demosFor(vecs[0])
	if err != nil {
		return dspy.Prediction{}, err
	}
	m, err := p.newProgram()
	if err != nil {
		return dspy.Prediction{}, err
	}
	if err := dspy.LoadState(m, st); err != nil {
		return dspy.Prediction{}, fmt.Errorf("knn program: %w", err)
	}
	pred, err := m.Call(ctx, inputs)
	pred.Usage = pred.Usage.Add(u)
	return pred, err
}

// demosFor is the program's state with the demos of the neighbours of v.
func (p *KNNProgram) demosFor(v []float32) (dspy.ProgramState, error) {
	near, err := nearest(p.spec.Entries, v, p.spec.K)
	if err != nil {
		return dspy.ProgramState{}, fmt.Errorf("knn program: %w", err)
	}
	return p.spec.bootstrap(dspy.StateOf(p.base), near), nil
}

// bootstrap is BootstrapFewShot over the neighbours, nearest first, from
// the runs made at compile time: the first neighbours whose run passed give
// their demos (up to MaxBootstrapped), and the rest are the labeled pool.
func (s knnSpec) bootstrap(student dspy.ProgramState, near []int) dspy.ProgramState {
	cfg := bootstrapConfig{maxBootstrapped: s.MaxBootstrapped, maxLabeled: s.MaxLabeled}
	st := &bootstrapState{}
	for _, name := range student.Names() {
		st.Traces = append(st.Traces, namedDemos{Name: name, Demos: []dspy.Example{}})
	}
	trainset := make([]dspy.Example, len(near))
	for j, i := range near {
		trainset[j] = s.Entries[i].Example
		if s.Entries[i].Demos == nil || len(st.Bootstrapped) >= cfg.maxBootstrapped {
			continue
		}
		for _, nd := range s.Entries[i].Demos {
			for t := range st.Traces {
				if st.Traces[t].Name == nd.Name {
					st.Traces[t].Demos = append(st.Traces[t].Demos, nd.Demos...)
				}
			}
		}
		st.Bootstrapped = append(st.Bootstrapped, j)
	}
	return cfg.train(student, trainset, st)
}

// nearest returns the indices of the k entries of highest cosine similarity
// to v, nearest first; equal similarities rank by index so every platform
// picks the same. Entry vectors are unit length (or zero).
func nearest(entries []knnEntry, v []float32, k int) ([]int, error) {
	if len(entries) > 0 && len(v) != len(entries[0].Vector) {
		return nil, fmt.Errorf("the inputs' vector has %d dimensions, the index %d", len(v), len(entries[0].Vector))
	}
	q := unit(v)
	scores := make([]float64, len(entries))
	idx := make([]int, len(entries))
	for i, e := range entries {
		idx[i] = i
		for d, x := range e.Vector {
			scores[i] += float64(x) * float64(q[d])
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	return idx[:min(k, len(idx))], nil
}

// unit is v scaled to length 1, or v itself when it is zero.
func unit(v []float32) []float32 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 {
		return v
	}
	n = math.Sqrt(n)
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) / n)
	}
	return out
}

// knnText is the text DSPy's KNN embeds for an example: "key: value" for
// each of keys, joined by " | ".
func knnText(ex dspy.Example, keys []string) string {
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v, _ := ex.Get(k)
		parts = append(parts, k+": "+dspy.ValueString(v))
	}
	return strings.Join(parts, " | ")
}

// trainText is knnText over a training example's inputs, in its key order.
func trainText(ex dspy.Example) (string, error) {
	inputs := ex.InputKeys()
	if len(inputs) == 0 {
		return "", errors.New("a training example has no inputs marked")
	}
	var keys []string
	for _, k := range ex.Keys() {
		if slices.Contains(inputs, k) {
			keys = append(keys, k)
		}
	}
	return knnText(ex, keys), nil
}
