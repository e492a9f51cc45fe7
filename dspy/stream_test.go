package dspy_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/simlm"
)

func startSimLM(t *testing.T, seed int64) *simlm.Server {
	t.Helper()
	srv := simlm.New(simlm.Config{Seed: seed})
	require.NoError(t, srv.Start())
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func simClient(t *testing.T, srv *simlm.Server) *lm.Client {
	t.Helper()
	c, err := lm.New(lm.Options{BaseURL: srv.URL(), APIKey: "x", Model: "simlm-1"})
	require.NoError(t, err)
	return c
}

// TestStreamedPredictionIsTheUnstreamedOne runs every adapter and module
// streamed and unstreamed, each on a client of its own without a cache, and
// wants the same prediction from both.
func TestStreamedPredictionIsTheUnstreamedOne(t *testing.T) {
	srv := startSimLM(t, 5)
	questions := []string{"What is 12 plus 30?", "Why is the sky blue?", "Tell me about Lyon."}
	for _, adapter := range []string{"chat", "json", "xml"} {
		for _, module := range []string{"predict", "cot", "react"} {
			t.Run(adapter+"/"+module, func(t *testing.T) {
				signature := "question -> answer"
				if module == "predict" {
					signature = "question -> notes, answer: int"
				}
				program := goldenProgram(t, module, signature)
				streamer, err := dspy.Streamify(program)
				require.NoError(t, err)
				for _, q := range questions {
					inputs := dspy.NewExample("question", q)
					plainCtx := dspy.WithAdapter(dspy.WithLM(context.Background(), simClient(t, srv)), goldenAdapter(adapter))
					want, wantErr := program.Call(plainCtx, inputs)
					streamCtx := dspy.WithAdapter(dspy.WithLM(context.Background(), simClient(t, srv)), goldenAdapter(adapter))
					run := collectStreamOrErr(t, streamer, streamCtx, inputs)
					if wantErr != nil {
						require.Error(t, run.err)
						assert.Equal(t, wantErr.Error(), run.err.Error())
						continue
					}
					require.NoError(t, run.err)
					assert.Equal(t, want, run.pred, q)
					assert.NotEmpty(t, run.fields, "fields were streamed")
				}
			})
		}
	}
}

type streamOutcome struct {
	streamedRun
	err error
}

func collectStreamOrErr(t *testing.T, s *dspy.Streamer, ctx context.Context, inputs dspy.Example) streamOutcome {
	t.Helper()
	out := streamOutcome{streamedRun: streamedRun{fields: map[string]string{}, lasts: map[string]int{}, endsLast: map[string]bool{}}}
	for ev, err := range s.Stream(ctx, inputs) {
		if err != nil {
			out.err = err
			continue
		}
		switch {
		case ev.Chunk != nil:
			key := ev.Chunk.Predictor + "." + ev.Chunk.Field
			if _, ok := out.fields[key]; !ok {
				out.order = append(out.order, key)
			}
			out.fields[key] += ev.Chunk.Chunk
			if ev.Chunk.IsLastChunk {
				out.lasts[key]++
			}
		case ev.Status != nil:
			out.statuses = append(out.statuses, ev.Status.Message)
		case ev.Prediction != nil:
			out.pred = *ev.Prediction
		}
	}
	return out
}

// cutLM streams a reply and then fails, as a connection dropped mid-reply.
type cutLM struct {
	dspytest.FuncLM
	pieces []string
}

func (l *cutLM) Stream(ctx context.Context, req dspy.LMRequest, onChunk func(dspy.LMChunk)) (dspy.LMResponse, error) {
	for _, p := range l.pieces {
		onChunk(dspy.LMChunk{Content: p})
	}
	return dspy.LMResponse{Usage: dspy.Usage{Calls: 1}}, &dspy.LMError{Kind: dspy.ErrKindServer, StatusCode: 200, Err: errors.New("the stream was cut off")}
}

func TestStreamCutOffNamesTheField(t *testing.T) {
	cut := &cutLM{pieces: []string{"[[ ## notes ## ]]\nfine\n\n[[ ## answer", " ## ]]\n4"}}
	program := dspy.NewPredict(dspy.MustSignature("question -> notes, answer: int", ""))
	streamer, err := dspy.Streamify(program)
	require.NoError(t, err)
	run := collectStreamOrErr(t, streamer, dspy.WithLM(context.Background(), cut), dspy.NewExample("question", "q"))
	require.Error(t, run.err)
	assert.Contains(t, run.err.Error(), `stopped inside output field "answer"`)
	var lmErr *dspy.LMError
	assert.True(t, errors.As(run.err, &lmErr), "the LM error is still there to classify")
	assert.Equal(t, "fine", run.fields["self.notes"])
	assert.Equal(t, "4", run.fields["self.answer"])
	assert.Equal(t, 1, run.lasts["self.notes"])
	assert.Zero(t, run.lasts["self.answer"], "a field cut off has no last chunk")
}

func TestStreamOfAPlainLMArrivesWhole(t *testing.T) {
	plain := dspytest.ScriptedLM(dspytest.ChatReply("answer", "Paris"))
	program := dspy.NewPredict(dspy.MustSignature("question -> answer", ""))
	streamer, err := dspy.Streamify(program, dspy.StreamListener{Field: "answer"})
	require.NoError(t, err)
	var chunks []dspy.StreamResponse
	for ev, err := range streamer.Stream(dspy.WithLM(context.Background(), plain), dspy.NewExample("question", "q")) {
		require.NoError(t, err)
		if ev.Chunk != nil {
			chunks = append(chunks, *ev.Chunk)
		}
	}
	assert.Equal(t, []dspy.StreamResponse{{Predictor: "self", Field: "answer", Chunk: "Paris", IsLastChunk: true}}, chunks,
		"the field ends within the one piece, so its one chunk is also its last")
}

func TestStreamReplaysACacheHitAsOneChunk(t *testing.T) {
	srv := startSimLM(t, 5)
	client, err := lm.New(lm.Options{BaseURL: srv.URL(), APIKey: "x", Model: "simlm-1", Cache: lm.NewMemoryCache(0)})
	require.NoError(t, err)
	ctx := dspy.WithLM(context.Background(), client)
	program := dspy.NewPredict(dspy.MustSignature("question -> answer", ""))
	streamer, err := dspy.Streamify(program)
	require.NoError(t, err)
	first := collectStreamOrErr(t, streamer, ctx, dspy.NewExample("question", "Why is the sky blue?"))
	again := collectStreamOrErr(t, streamer, ctx, dspy.NewExample("question", "Why is the sky blue?"))
	require.NoError(t, again.err)
	assert.Equal(t, first.fields, again.fields)
	assert.Equal(t, first.pred.Example, again.pred.Example)
	assert.Equal(t, 1, again.pred.Usage.CacheHits)
}

func TestStreamifyFindsTheListenedPredictor(t *testing.T) {
	react := goldenProgram(t, "react", "question -> answer")
	_, err := dspy.Streamify(react, dspy.StreamListener{Field: "answer"})
	require.NoError(t, err, "answer is extract.predict's alone")
	_, err = dspy.Streamify(react, dspy.StreamListener{Field: "reasoning", Predictor: "react"})
	assert.ErrorContains(t, err, `predictor "react" has no output field "reasoning"`)
	_, err = dspy.Streamify(react, dspy.StreamListener{Field: "nope"})
	assert.ErrorContains(t, err, `output field "nope" is not a field of any predictor`)
	_, err = dspy.Streamify(react, dspy.StreamListener{Field: "answer", Predictor: "missing"})
	assert.ErrorContains(t, err, `no predictor "missing"`)

	two := dspy.ModuleFunc{Named: []dspy.NamedPredictor{
		{Name: "a", Predictor: dspy.NewPredict(dspy.MustSignature("q -> answer", ""))},
		{Name: "b", Predictor: dspy.NewPredict(dspy.MustSignature("q -> answer", ""))},
	}}
	_, err = dspy.Streamify(two, dspy.StreamListener{Field: "answer"})
	assert.ErrorContains(t, err, "not unique")
}

// verboseStatus reports every step, to check where each message comes from.
type verboseStatus struct{ dspy.DefaultStatusMessages }

func (verboseStatus) ModuleStart(name string, _ dspy.Example) string { return "start " + name }
func (verboseStatus) ModuleEnd(name string, _ dspy.Prediction, err error) string {
	return fmt.Sprintf("end %s (%v)", name, err)
}
func (verboseStatus) LMStart(p string, _ dspy.LMRequest) string { return "lm " + p }

func TestStreamStatusMessages(t *testing.T) {
	weather, err := dspy.NewToolWithSchema("weather", "Reports today's weather.", &jsonschema.Schema{Type: "object"},
		func(context.Context, map[string]any) (any, error) { return "Sunny.", nil })
	require.NoError(t, err)
	react, err := dspy.NewReAct(dspy.MustSignature("question -> answer", ""), weather)
	require.NoError(t, err)
	scripted := dspytest.ScriptedLM(
		dspytest.ChatReply("next_thought", "check", "next_tool_name", "weather", "next_tool_args", "{}"),
		dspytest.ChatReply("next_thought", "done", "next_tool_name", "finish", "next_tool_args", "{}"),
		dspytest.ChatReply("reasoning", "sunny", "answer", "Sunny."),
	)
	streamer, err := dspy.Streamify(react, dspy.StreamListener{Field: "answer"})
	require.NoError(t, err)
	run := collectStreamOrErr(t, streamer.WithStatusMessages(verboseStatus{}), dspy.WithLM(context.Background(), scripted), dspy.NewExample("question", "q"))
	require.NoError(t, run.err)
	assert.Equal(t, []string{
		"start ",
		"start react", "lm react", "end react (<nil>)",
		"Calling tool weather...", "Tool calling finished! Querying the LLM with tool calling results...",
		"start react", "lm react", "end react (<nil>)",
		"start extract.predict", "lm extract.predict", "end extract.predict (<nil>)",
		"end  (<nil>)",
	}, run.statuses)
	assert.Equal(t, map[string]string{"extract.predict.answer": "Sunny."}, run.fields)
}

func TestStreamStopsWhenTheConsumerDoes(t *testing.T) {
	srv := startSimLM(t, 5)
	program := goldenProgram(t, "cot", "question -> answer")
	streamer, err := dspy.Streamify(program)
	require.NoError(t, err)
	ctx := dspy.WithLM(context.Background(), simClient(t, srv))
	seen := 0
	for ev, err := range streamer.Stream(ctx, dspy.NewExample("question", "Why is the sky blue?")) {
		require.NoError(t, err)
		require.NotNil(t, ev.Chunk)
		seen++
		break
	}
	assert.Equal(t, 1, seen)
	pred, err := streamer.Call(ctx, dspy.NewExample("question", "Why is the sky blue?"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(pred.GetString("reasoning"), "Looking at"))
}
