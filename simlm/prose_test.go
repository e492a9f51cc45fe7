package simlm

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProseRepliesIgnoreTheFormatEveryTime(t *testing.T) {
	h := New(Config{Prose: 1})
	for _, msgs := range [][]tMsg{
		qaSig.chat(nil, map[string]string{"question": "What is 2 + 3?"}),
		qaSig.json(map[string]string{"question": "What is 2 + 3?"}),
	} {
		// The same request twice: prose is a habit, so a retry gets prose again.
		for range 2 {
			rec := serve(context.Background(), h, request(msgs, nil))
			require.Equal(t, http.StatusOK, rec.Code)
			content := decodeContent(t, rec.Body.Bytes())
			assert.Contains(t, content, "My answer is")
			assert.NotContains(t, content, "[[ ##")
			assert.NotContains(t, content, "{")
		}
	}
	st := h.Stats()
	assert.Equal(t, int64(4), st.Requests)
	assert.Equal(t, int64(4), st.Prose)
	assert.Zero(t, st.Succeeded)
	assert.Zero(t, st.Faults(), "prose is not a fault")
}

func TestProseLeavesUnformattedPromptsAlone(t *testing.T) {
	h := New(Config{Prose: 1})
	rec := serve(context.Background(), h, request([]tMsg{{"user", "What is 2 + 3?"}}, nil))
	require.Equal(t, http.StatusOK, rec.Code)
	st := h.Stats()
	assert.Equal(t, int64(1), st.Succeeded)
	assert.Zero(t, st.Prose)
}

func TestProseShareFollowsTheConfig(t *testing.T) {
	h := New(Config{Prose: 0.3})
	for _, ex := range ArithmeticDataset(31, 1000) {
		serve(context.Background(), h, request(qaSig.chat(nil, map[string]string{"question": ex.Question}), nil))
	}
	st := h.Stats()
	assert.InDelta(t, 0.3, float64(st.Prose)/float64(st.Requests), 0.05)
	assert.Equal(t, st.Requests, st.Succeeded+st.Prose, "every request has exactly one outcome")
}

func TestProseConfigParsesAndValidates(t *testing.T) {
	c, err := ParseConfig("prose=0.25,seed=3")
	require.NoError(t, err)
	assert.Equal(t, Config{Seed: 3, Prose: 0.25}, c)
	back, err := ParseConfig(c.String())
	require.NoError(t, err)
	assert.Equal(t, c, back)
	for _, bad := range []float64{-0.1, 1.5} {
		_, err := ParseConfig(fmt.Sprintf("prose=%v", bad))
		assert.Error(t, err, "prose=%v", bad)
	}
}
