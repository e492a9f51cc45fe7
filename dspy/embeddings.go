package dspy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
)

// DefaultRetrieveK is how many passages Embeddings returns when K is not
// set, as in DSPy.
const DefaultRetrieveK = 5

// Passage is one corpus text found by a search.
type Passage struct {
	// Index is the text's position in the corpus.
	Index int `json:"index"`
	// Text is the corpus text.
	Text string `json:"text"`
	// Score is the cosine similarity of the text and the query, in [-1, 1].
	Score float64 `json:"score"`
}

// Embeddings is an in-memory nearest-neighbour index over a corpus, as
// DSPy's dspy.retrievers.Embeddings is on its brute-force path: the corpus is
// embedded once, vectors are normalized, and a query's passages are the K
// texts of highest cosine similarity. Equal scores rank by corpus position,
// so a search gives the same answer on every run and platform. It is safe for
// concurrent searches.
type Embeddings struct {
	embedder Embedder
	corpus   []string
	vecs     [][]float32 // unit length, or zero for a zero vector
	k        int
}

// NewEmbeddings embeds corpus with embedder (counting the usage in ctx's
// trackers, see TrackUsage) and indexes it for searches returning k
// passages; k <= 0 means DefaultRetrieveK.
func NewEmbeddings(ctx context.Context, corpus []string, embedder Embedder, k int) (*Embeddings, error) {
	if embedder == nil {
		return nil, errors.New("dspy.NewEmbeddings: embedder is nil")
	}
	if k <= 0 {
		k = DefaultRetrieveK
	}
	e := &Embeddings{embedder: embedder, corpus: slices.Clone(corpus), k: k}
	if len(corpus) == 0 {
		return e, nil
	}
	vecs, _, err := CallEmbedder(ctx, embedder, e.corpus)
	if err != nil {
		return nil, fmt.Errorf("dspy.NewEmbeddings: embed the corpus: %w", err)
	}
	e.vecs = make([][]float32, len(vecs))
	for i, v := range vecs {
		if e.vecs[i], err = normalize(v); err != nil {
			return nil, fmt.Errorf("dspy.NewEmbeddings: corpus text %d: %w", i, err)
		}
	}
	return e, nil
}

// Len is the number of texts in the corpus.
func (e *Embeddings) Len() int { return len(e.corpus) }

// K is how many passages a search returns (fewer when the corpus is smaller).
func (e *Embeddings) K() int { return e.k }

// Search embeds query and returns the K passages nearest to it, nearest first.
func (e *Embeddings) Search(ctx context.Context, query string) ([]Passage, error) {
	found, err := e.SearchBatch(ctx, []string{query})
	if err != nil {
		return nil, err
	}
	return found[0], nil
}

// SearchBatch embeds every query in one Embed call and returns each one's
// passages, as Search would, in the order of queries.
func (e *Embeddings) SearchBatch(ctx context.Context, queries []string) ([][]Passage, error) {
	if len(queries) == 0 {
		return nil, nil
	}
	vecs, _, err := CallEmbedder(ctx, e.embedder, queries)
	if err != nil {
		return nil, fmt.Errorf("dspy.Embeddings: embed the queries: %w", err)
	}
	out := make([][]Passage, len(queries))
	for i, v := range vecs {
		if out[i], err = e.SearchVector(v); err != nil {
			return nil, fmt.Errorf("dspy.Embeddings: query %d: %w", i, err)
		}
	}
	return out, nil
}

// SearchVector returns the K passages nearest to an already embedded query,
// which must have the corpus vectors' length; it need not be normalized.
func (e *Embeddings) SearchVector(query []float32) ([]Passage, error) {
	if len(e.vecs) == 0 {
		return []Passage{}, nil
	}
	if len(query) != len(e.vecs[0]) {
		return nil, fmt.Errorf("query vector has %d dimensions, the corpus %d", len(query), len(e.vecs[0]))
	}
	q, err := normalize(query)
	if err != nil {
		return nil, err
	}
	scored := make([]Passage, len(e.vecs))
	for i, v := range e.vecs {
		scored[i] = Passage{Index: i, Score: dot(q, v)}
	}
	// A full sort costs little next to the dot products at the corpus sizes
	// a brute-force index is for, and its order is total, so ties are stable.
	slices.SortFunc(scored, func(a, b Passage) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Index, b.Index)
	})
	top := scored[:min(e.k, len(scored))]
	for i := range top {
		top[i].Text = e.corpus[top[i].Index]
	}
	return slices.Clip(top), nil
}

// CosineSimilarity is the cosine of the angle between a and b, zero when
// either is a zero vector; the vectors must have the same length.
func CosineSimilarity(a, b []float32) float64 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("dspy.CosineSimilarity: vectors of %d and %d dimensions", len(a), len(b)))
	}
	var ab, aa, bb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		ab += x * y
		aa += x * x
		bb += y * y
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// normalize returns v scaled to unit length, summing in float64 so that long
// vectors of small components keep their precision. A zero vector stays zero (it is no nearer to anything than to anything
// else); a NaN or infinite component is an error, since no order is sound.
func normalize(v []float32) ([]float32, error) {
	var ss float64
	for i, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("vector component %d is %v", i, x)
		}
		ss += f * f
	}
	out := make([]float32, len(v))
	if ss == 0 {
		return out, nil
	}
	inv := 1 / math.Sqrt(ss)
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out, nil
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
