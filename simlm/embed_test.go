package simlm

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func postEmbeddings(h http.Handler, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/v1/embeddings", bytes.NewReader([]byte(body)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func cosine(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += a[i] * b[i]
		aa += a[i] * a[i]
		bb += b[i] * b[i]
	}
	return ab / math.Sqrt(aa*bb)
}

func TestEmbeddingsAnswerOpenAIsWireFormatThroughOpenAIGo(t *testing.T) {
	srv := startServer(t, Config{Seed: 3})
	client := openai.NewClient(option.WithBaseURL(srv.URL()), option.WithAPIKey("x"), option.WithMaxRetries(0))
	texts := []string{"What is the capital of France?", "Name the capital city of France.", "How many legs does a spider have?"}

	for _, format := range []openai.EmbeddingNewParamsEncodingFormat{openai.EmbeddingNewParamsEncodingFormatFloat, openai.EmbeddingNewParamsEncodingFormatBase64} {
		t.Run(string(format), func(t *testing.T) {
			resp, err := client.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
				Model:          "simlm-embed",
				Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: texts},
				EncodingFormat: format,
				Dimensions:     openai.Int(64),
			})
			require.NoError(t, err)
			assert.Equal(t, "simlm-embed", resp.Model)
			require.Len(t, resp.Data, 3)
			for i, d := range resp.Data {
				assert.Equal(t, int64(i), d.Index)
				require.Len(t, d.Embedding, 64)
				assert.InDelta(t, 1, norm(d.Embedding), 1e-5, "unit length")
			}
			same := cosine(resp.Data[0].Embedding, resp.Data[1].Embedding)
			other := cosine(resp.Data[0].Embedding, resp.Data[2].Embedding)
			assert.Greater(t, same, 0.3)
			assert.Less(t, math.Abs(other), 0.3)
			assert.Greater(t, resp.Usage.PromptTokens, int64(0))
			assert.Equal(t, resp.Usage.PromptTokens, resp.Usage.TotalTokens)
		})
	}
	st := srv.Stats()
	assert.Equal(t, int64(2), st.Requests)
	assert.Equal(t, int64(2), st.Embeddings)
	assert.Equal(t, int64(6), st.EmbeddedInputs)
	assert.Equal(t, int64(2), st.Succeeded)
}

func norm(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

func TestEmbeddingsAreAPureFunctionOfSeedAndText(t *testing.T) {
	a := embed(1, "Paris is the capital of France", 32)
	assert.Equal(t, a, embed(1, "Paris is the capital of France", 32))
	assert.NotEqual(t, a, embed(2, "Paris is the capital of France", 32))
	assert.Equal(t, make([]float32, 32), embed(1, "the of ?!", 32), "a text of stop words only has no features")
}

func TestEmbeddingsAcceptOneStringAndDefaultDimensions(t *testing.T) {
	rec := postEmbeddings(New(Config{}), `{"model":"m","input":"hello world"}`)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var resp struct {
		Object string `json:"object"`
		Data   []struct {
			Object    string    `json:"object"`
			Embedding []float64 `json:"embedding"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
	assert.Equal(t, "list", resp.Object)
	require.Len(t, resp.Data, 1)
	assert.Equal(t, "embedding", resp.Data[0].Object)
	assert.Len(t, resp.Data[0].Embedding, DefaultEmbeddingDimensions)
}

func TestEmbeddingsRejectMalformedRequests(t *testing.T) {
	srv := New(Config{})
	for name, body := range map[string]string{
		"not json":          `{`,
		"no input":          `{"model":"m"}`,
		"empty input":       `{"model":"m","input":[]}`,
		"token input":       `{"model":"m","input":[[1,2,3]]}`,
		"zero dimensions":   `{"model":"m","input":"x","dimensions":0}`,
		"huge dimensions":   `{"model":"m","input":"x","dimensions":100000}`,
		"unknown encoding":  `{"model":"m","input":"x","encoding_format":"int8"}`,
		"input is a number": `{"model":"m","input":7}`,
	} {
		t.Run(name, func(t *testing.T) {
			rec := postEmbeddings(srv, body)
			assert.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
			assert.Contains(t, rec.Body.String(), `"type":"invalid_request_error"`)
		})
	}
	st := srv.Stats()
	assert.Equal(t, int64(8), st.BadRequests)
	assert.Equal(t, int64(8), st.Embeddings)
	assert.Zero(t, st.EmbeddedInputs)

	req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/v1/embeddings", nil)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

func TestEmbeddingsGetInjectedRateLimitsThenSucceed(t *testing.T) {
	srv := New(Config{Faults: Faults{RateLimit: 1, MaxConsecutive: 1}})
	body := `{"model":"m","input":["a question"]}`

	first := postEmbeddings(srv, body)
	assert.Equal(t, http.StatusTooManyRequests, first.Code)
	assert.Equal(t, "1", first.Header().Get("Retry-After"))
	second := postEmbeddings(srv, body)
	assert.Equal(t, http.StatusOK, second.Code)

	st := srv.Stats()
	assert.Equal(t, int64(2), st.Requests)
	assert.Equal(t, int64(1), st.RateLimited)
	assert.Equal(t, int64(1), st.Succeeded)
	assert.Equal(t, int64(1), st.EmbeddedInputs)
}

func FuzzParseEmbeddingRequest(f *testing.F) {
	for _, s := range []string{
		`{"model":"m","input":"x"}`, `{"input":["a","b"],"dimensions":8,"encoding_format":"base64"}`,
		`{"input":[[1]]}`, `{"input":null}`, `[]`, `{"input":"\u00e9","dimensions":-1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseEmbeddingRequest(body)
		if err != nil {
			require.Nil(t, req)
			return
		}
		require.NotEmpty(t, req.Input)
		require.LessOrEqual(t, len(req.Input), maxEmbeddingInputs)
		dims := req.dimensions()
		require.True(t, dims >= 1 && dims <= maxEmbeddingDimensions)
		for _, text := range req.Input[:min(len(req.Input), 4)] {
			v := embed(0, text, min(dims, 64))
			for _, x := range v {
				require.False(t, math.IsNaN(float64(x)))
			}
		}
	})
}
