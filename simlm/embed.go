package simlm

import (
	"bytes"
	"math"
	"net/http"
	"strings"
	"time"
	"unicode"
)

// DefaultEmbeddingDimensions is the length of the simulator's vectors when a
// request does not ask for another through "dimensions".
const DefaultEmbeddingDimensions = 256

// maxEmbeddingDimensions bounds "dimensions" so one request cannot ask for
// unbounded work; OpenAI's largest model has 3072.
const maxEmbeddingDimensions = 4096

// stopWords carry no topic, so they are left out of a text's features: two
// questions are near because they share what they ask about, not "what is the".
var stopWords = map[string]bool{
	"a": true, "an": true, "the": true, "is": true, "are": true, "was": true, "were": true,
	"of": true, "in": true, "on": true, "at": true, "to": true, "for": true, "and": true,
	"or": true, "what": true, "which": true, "who": true, "how": true, "does": true,
	"do": true, "did": true, "it": true, "its": true, "by": true, "with": true, "as": true,
	"be": true, "this": true, "that": true, "from": true,
}

// embed maps a text to a unit vector of dims components, a pure function of
// the seed and the text. It is a hashed bag of features: each lower-cased
// word (stop words aside) and each character trigram of those words adds ±1
// to a component chosen by its hash, so texts sharing words, or parts of
// words ("capital", "capitals"), point the same way, and unrelated texts are
// near-orthogonal. Words weigh more than trigrams, since sharing a word is
// stronger evidence than sharing a fragment. A text with no features gets a
// zero vector.
func embed(seed int64, text string, dims int) []float32 {
	acc := make([]float64, dims)
	add := func(feature string, weight float64) {
		h := hashString(seed, feature)
		sign := 1.0
		if h>>63 == 1 {
			sign = -1
		}
		acc[h%uint64(dims)] += sign * weight
	}
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if stopWords[w] {
			continue
		}
		add("w:"+w, 2)
		padded := []rune("^" + w + "$")
		for i := 0; i+3 <= len(padded); i++ {
			add("t:"+string(padded[i:i+3]), 1)
		}
	}
	var ss float64
	for _, x := range acc {
		ss += x * x
	}
	out := make([]float32, dims)
	if ss == 0 {
		return out
	}
	inv := 1 / math.Sqrt(ss)
	for i, x := range acc {
		out[i] = float32(x * inv)
	}
	return out
}

// embeddings answers POST /v1/embeddings. Faults and latency apply as to
// chat requests, drawn from the body the same way, except Garbage: a vector
// has no format to break, so a garbage draw answers normally.
func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	received := time.Now()
	s.stats.requests.Add(1)
	s.stats.embeddings.Add(1)
	s.stats.enter()
	defer s.stats.inFlight.Add(-1)

	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	body, ok := s.readBody(w, r, buf)
	if !ok {
		return
	}
	req, err := parseEmbeddingRequest(body)
	if err != nil {
		s.stats.badRequests.Add(1)
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_request", err.Error())
		return
	}
	bh := newHasher(s.cfg.Seed)
	bh.bytes(body)
	bodyHash := bh.sum()
	if !s.admit(w, r, bodyHash, s.draw(bodyHash), received) {
		return
	}
	model := req.Model
	if model == "" {
		model = s.cfg.model()
	}
	resp := &embeddingResponse{Object: "list", Model: model, Data: make([]embeddingData, len(req.Input))}
	dims := req.dimensions()
	for i, text := range req.Input {
		v := embed(s.cfg.Seed, text, dims)
		var enc any = v
		if req.EncodingFormat == "base64" {
			enc = base64Vector(v)
		}
		resp.Data[i] = embeddingData{Object: "embedding", Index: i, Embedding: enc}
		resp.Usage.PromptTokens += max(1, estimateTokens(text))
	}
	resp.Usage.TotalTokens = resp.Usage.PromptTokens
	s.stats.embeddedInputs.Add(int64(len(req.Input)))
	s.stats.succeeded.Add(1)
	writeJSON(w, http.StatusOK, resp)
}
