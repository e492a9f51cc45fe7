package dspy_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// streamingGolden is what scripts/golden/streaming.py recorded from DSPy
// 3.3.1's streamify run against the simulated LM.
type streamingGolden struct {
	SimlmSeed int64 `json:"simlm_seed"`
	Cases     []struct {
		Name      string            `json:"name"`
		Adapter   string            `json:"adapter"`
		Module    string            `json:"module"`
		Signature string            `json:"signature"`
		Inputs    map[string]string `json:"inputs"`
		Listen    []struct {
			Predictor string `json:"predictor"`
			Field     string `json:"field"`
		} `json:"listen"`
		Events []struct {
			Type        string `json:"type"`
			Predictor   string `json:"predictor"`
			Field       string `json:"field"`
			Chunk       string `json:"chunk"`
			IsLastChunk bool   `json:"is_last_chunk"`
			Message     string `json:"message"`
		} `json:"events"`
		Fields     map[string]string `json:"fields"`
		Prediction map[string]any    `json:"prediction"`
		LMReplies  []string          `json:"lm_replies"`
	} `json:"cases"`
}

// streamedRun is what a streamed run yielded, reduced to what the golden
// cases record.
type streamedRun struct {
	order    []string          // "predictor.field" in the order fields started
	fields   map[string]string // the joined chunks of each field
	lasts    map[string]int    // how many chunks of each field were marked last
	endsLast map[string]bool   // whether each field's final chunk was marked last
	statuses []string
	pred     dspy.Prediction
}

func collectStream(t *testing.T, s *dspy.Streamer, ctx context.Context, inputs dspy.Example) streamedRun {
	t.Helper()
	run := streamedRun{fields: map[string]string{}, lasts: map[string]int{}, endsLast: map[string]bool{}}
	gotPrediction := false
	for ev, err := range s.Stream(ctx, inputs) {
		require.NoError(t, err)
		switch {
		case ev.Chunk != nil:
			key := ev.Chunk.Predictor + "." + ev.Chunk.Field
			if _, ok := run.fields[key]; !ok {
				run.order = append(run.order, key)
			}
			run.fields[key] += ev.Chunk.Chunk
			run.endsLast[key] = ev.Chunk.IsLastChunk
			if ev.Chunk.IsLastChunk {
				run.lasts[key]++
			}
		case ev.Status != nil:
			run.statuses = append(run.statuses, ev.Status.Message)
		case ev.Prediction != nil:
			require.False(t, gotPrediction, "one final prediction")
			gotPrediction = true
			run.pred = *ev.Prediction
		}
	}
	require.True(t, gotPrediction, "the stream ends with the final prediction")
	return run
}

func goldenAdapter(name string) dspy.Adapter {
	switch name {
	case "json":
		return &dspy.JSONAdapter{}
	case "xml":
		return &dspy.XMLAdapter{}
	}
	return &dspy.ChatAdapter{}
}

func goldenProgram(t *testing.T, module, signature string) dspy.Module {
	t.Helper()
	sig := dspy.MustSignature(signature, "")
	switch module {
	case "cot":
		m, err := dspy.NewChainOfThought(sig)
		require.NoError(t, err)
		return m
	case "react":
		weather, err := dspy.NewToolWithSchema("weather", "Reports today's weather.", &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{}},
			func(context.Context, map[string]any) (any, error) { return "Sunny and 21 degrees.", nil })
		require.NoError(t, err)
		m, err := dspy.NewReAct(sig, weather)
		require.NoError(t, err)
		m.MaxIters = 3
		return m
	}
	return dspy.NewPredict(sig)
}

func jsonNormal(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// TestStreamingMatchesDSPy replays DSPy's streaming goldens against the
// simulated LM. The LM replies and final predictions are byte for byte
// DSPy's, and so are the status messages, the fields streamed and their
// order. The chunk boundaries are not: DSPy holds back a fixed number of
// chunks that might hold the next marker and leaves the line break after a
// marker (and, for JSON, the quotes and the next key) in the pieces, where
// the Go reader holds back only text that may still become a marker and
// streams the text the parser reads. So each field's joined chunks are
// compared with DSPy's stripped of that boundary text.
func TestStreamingMatchesDSPy(t *testing.T) {
	raw, err := os.ReadFile("testdata/golden/streaming.json")
	require.NoError(t, err)
	var golden streamingGolden
	require.NoError(t, json.Unmarshal(raw, &golden))
	require.NotEmpty(t, golden.Cases)

	srv := simlm.New(simlm.Config{Seed: golden.SimlmSeed})
	require.NoError(t, srv.Start())
	defer srv.Close()

	for _, c := range golden.Cases {
		t.Run(c.Name, func(t *testing.T) {
			client, err := lm.New(lm.Options{BaseURL: srv.URL(), APIKey: "x", Model: "simlm-1", HistorySize: 16})
			require.NoError(t, err)
			ctx := dspy.WithAdapter(dspy.WithLM(context.Background(), client), goldenAdapter(c.Adapter))
			program := goldenProgram(t, c.Module, c.Signature)
			var listeners []dspy.StreamListener
			for _, l := range c.Listen {
				listeners = append(listeners, dspy.StreamListener{Predictor: l.Predictor, Field: l.Field})
			}
			streamer, err := dspy.Streamify(program, listeners...)
			require.NoError(t, err)
			inputs := dspy.Example{}
			for k, v := range c.Inputs {
				inputs = inputs.Set(k, v)
			}
			run := collectStream(t, streamer, ctx, inputs)

			var replies []string
			for _, h := range client.History() {
				replies = append(replies, h.Outputs[0])
			}
			assert.Equal(t, c.LMReplies, replies, "the LM saw DSPy's prompts")
			for k, want := range c.Prediction {
				got, ok := run.pred.Get(k)
				require.True(t, ok, "prediction field %s", k)
				assert.Equal(t, jsonNormal(t, want), jsonNormal(t, got), "prediction field %s", k)
			}

			var order, statuses []string
			lasts := map[string]int{}
			for _, e := range c.Events {
				if e.Type == "status" {
					statuses = append(statuses, e.Message)
					continue
				}
				key := e.Predictor + "." + e.Field
				if len(order) == 0 || order[len(order)-1] != key {
					order = append(order, key)
				}
				if e.IsLastChunk {
					lasts[key]++
				}
			}
			assert.Equal(t, statuses, run.statuses)
			assert.Equal(t, order, run.order)
			assert.Equal(t, lasts, run.lasts)
			for key, dspyText := range c.Fields {
				assert.True(t, run.endsLast[key], "%s ends with its last chunk", key)
				got := run.fields[key]
				if c.Adapter != "json" {
					assert.Equal(t, strings.TrimSpace(dspyText), got, key)
					continue
				}
				quoted, err := json.Marshal(got)
				require.NoError(t, err)
				assert.True(t, strings.HasPrefix(strings.TrimSpace(dspyText), string(quoted)), "%s: DSPy streamed %q, Go %q", key, dspyText, got)
			}
		})
	}
}
