package simlm

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpenAIClientReadsReplies(t *testing.T) {
	srv := startServer(t, Config{Seed: 1})
	client := newClient(srv)
	ex := ArithmeticDataset(1, 1)[0]
	sig := tSig{inputs: []tField{{"question", "str"}}, outputs: []tField{{"answer", "int"}, {"confidence", "float"}}}

	resp, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:       "my-model",
		Messages:    openaiMessages(sig.chat(nil, map[string]string{"question": ex.Question})),
		Temperature: openai.Float(0),
		N:           openai.Int(2),
		Seed:        openai.Int(5),
	})
	require.NoError(t, err)

	assert.Equal(t, "my-model", resp.Model, "the reply echoes the requested model")
	assert.Equal(t, int64(createdAt), resp.Created)
	assert.NotEmpty(t, resp.ID)
	require.Len(t, resp.Choices, 2)
	for _, c := range resp.Choices {
		assert.Equal(t, "stop", c.FinishReason)
		fields := parseReply(c.Message.Content)
		_, err := strconv.Atoi(fields["answer"])
		assert.NoError(t, err, "answer is an int: %q", c.Message.Content)
		_, err = strconv.ParseFloat(fields["confidence"], 64)
		assert.NoError(t, err, "confidence is a float")
		assert.Contains(t, fields, "completed")
	}
	assert.Positive(t, resp.Usage.PromptTokens)
	assert.Positive(t, resp.Usage.CompletionTokens)
	assert.Equal(t, resp.Usage.PromptTokens+resp.Usage.CompletionTokens, resp.Usage.TotalTokens)
	assert.Equal(t, int64(1), srv.Stats().Succeeded)
}

func TestModelsListsConfiguredModel(t *testing.T) {
	srv := startServer(t, Config{Model: "tiny"})
	client := newClient(srv)
	page, err := client.Models.List(context.Background())
	require.NoError(t, err)
	require.Len(t, page.Data, 1)
	assert.Equal(t, "tiny", page.Data[0].ID)

	m, err := client.Models.Get(context.Background(), "tiny")
	require.NoError(t, err)
	assert.Equal(t, "tiny", m.ID)
	_, err = client.Models.Get(context.Background(), "other")
	assert.Error(t, err)
}

func TestSameRequestGetsIdenticalBytes(t *testing.T) {
	srv := startServer(t, Config{Seed: 3})
	body := request(cotSig.chat(nil, map[string]string{"question": ArithmeticDataset(3, 1)[0].Question}),
		map[string]any{"temperature": 0.7})
	post := func() []byte {
		resp, err := http.Post(srv.URL()+"/chat/completions", "application/json", bytes.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return b
	}
	assert.Equal(t, post(), post())
}

func TestDrawsDependOnSeedTemperatureAndChoice(t *testing.T) {
	data := ArithmeticDataset(11, 60)
	answers := func(seed int64, temp float64) []string {
		h := New(Config{Seed: seed})
		var out []string
		for _, ex := range data {
			c := complete(t, h, qaSig.chat(nil, map[string]string{"question": ex.Question}), map[string]any{"temperature": temp, "n": 2})
			out = append(out, parseReply(c[0])["answer"], parseReply(c[1])["answer"])
		}
		return out
	}
	base := answers(1, 0)
	assert.Equal(t, base, answers(1, 0), "same seed and request give the same answers")
	assert.NotEqual(t, base, answers(2, 0), "another seed gives other draws")
	assert.NotEqual(t, base, answers(1, 1), "another temperature gives other draws")
	differ := 0
	for i := 0; i < len(base); i += 2 {
		if base[i] != base[i+1] {
			differ++
		}
	}
	assert.Positive(t, differ, "choices of one request are drawn independently")
}

func TestRejectsMalformedRequests(t *testing.T) {
	h := New(Config{})
	msgs := qaSig.chat(nil, map[string]string{"question": "hi"})
	tests := []struct {
		name string
		body []byte
		want int
	}{
		{"invalid JSON", []byte("{"), http.StatusBadRequest},
		{"no messages", []byte(`{"model":"m","messages":[]}`), http.StatusBadRequest},
		{"stream options without streaming", request(msgs, map[string]any{"stream_options": map[string]any{"include_usage": true}}), http.StatusBadRequest},
		{"n out of range", request(msgs, map[string]any{"n": 0}), http.StatusBadRequest},
		{"unknown response format", request(msgs, map[string]any{"response_format": map[string]any{"type": "yaml"}}), http.StatusBadRequest},
		{"numeric content", []byte(`{"model":"m","messages":[{"role":"user","content":42}]}`), http.StatusBadRequest},
		{"content part not an object", []byte(`{"model":"m","messages":[{"role":"user","content":["hi"]}]}`), http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(context.Background(), h, tt.body)
			assert.Equal(t, tt.want, rec.Code)
			var eb errorBody
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &eb))
			assert.NotEmpty(t, eb.Error.Message)
		})
	}
	assert.Equal(t, int64(len(tests)), h.Stats().BadRequests)
}

func TestRoutesUnknownPathsAndMethods(t *testing.T) {
	srv := startServer(t, Config{})
	resp, err := http.Get(srv.URL() + "/chat/completions")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	resp, err = http.Get(srv.URL() + "/audio/speech")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestMaxTokensAndStopCutTheReply(t *testing.T) {
	h := New(Config{})
	msgs := cotSig.chat(nil, map[string]string{"question": ArithmeticDataset(1, 1)[0].Question})
	full := complete(t, h, msgs, nil)[0]

	rec := serve(context.Background(), h, request(msgs, map[string]any{"max_tokens": 5}))
	var resp chatResponse
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
	assert.Equal(t, "length", resp.Choices[0].FinishReason)
	assert.Equal(t, full[:20], resp.Choices[0].Message.Content)

	stopped := complete(t, h, msgs, map[string]any{"stop": "[[ ## answer"})[0]
	assert.NotContains(t, stopped, "answer")
	assert.Contains(t, full, stopped)
}

func TestContentPartsAreRead(t *testing.T) {
	h := New(Config{})
	q := ArithmeticDataset(1, 1)[0].Question
	msgs := qaSig.chat(nil, map[string]string{"question": q})
	plain := complete(t, h, msgs, nil)[0]
	parts := []map[string]any{
		{"role": "system", "content": []map[string]string{{"type": "text", "text": msgs[0].Content}}},
		{"role": "user", "content": []map[string]string{{"type": "text", "text": msgs[1].Content}}},
	}
	body, _ := json.Marshal(map[string]any{"model": "m", "messages": parts})
	rec := serve(context.Background(), h, body)
	var resp chatResponse
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
	assert.Equal(t, plain, resp.Choices[0].Message.Content)
}

func TestJSONAdapterReplyIsAnObjectWithTheFields(t *testing.T) {
	srv := startServer(t, Config{Seed: 2})
	client := newClient(srv)
	sig := tSig{
		inputs:  []tField{{"question", "str"}},
		outputs: []tField{{"reasoning", "str"}, {"answer", "int"}, {"sure", "bool"}, {"tags", "list[str]"}},
	}
	ex := ArithmeticDataset(2, 1)[0]
	formats := map[string]openai.ChatCompletionNewParamsResponseFormatUnion{
		"json_object": {OfJSONObject: &shared.ResponseFormatJSONObjectParam{}},
		"json_schema": {OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{
			Name: "DSPyProgramOutputs",
			Schema: map[string]any{
				"type": "object",
				"properties": map[string]any{
					"reasoning": map[string]any{"type": "string"},
					"answer":    map[string]any{"type": "integer"},
					"sure":      map[string]any{"type": "boolean"},
					"tags":      map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
				},
				"required": []string{"reasoning", "answer", "sure", "tags"},
			},
		}}},
	}
	for name, rf := range formats {
		t.Run(name, func(t *testing.T) {
			resp, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
				Model:          "m",
				Messages:       openaiMessages(sig.json(map[string]string{"question": ex.Question})),
				ResponseFormat: rf,
			})
			require.NoError(t, err)
			var out struct {
				Reasoning *string  `json:"reasoning"`
				Answer    *int     `json:"answer"`
				Sure      *bool    `json:"sure"`
				Tags      []string `json:"tags"`
			}
			content := resp.Choices[0].Message.Content
			require.NoError(t, json.Unmarshal([]byte(content), &out), content)
			assert.NotNil(t, out.Reasoning)
			assert.NotNil(t, out.Answer)
			assert.NotNil(t, out.Sure)
			assert.Len(t, out.Tags, 2)
		})
	}
}

func TestManyConcurrentRequestsAreInFlightAtOnce(t *testing.T) {
	const n = 10000
	// Every first sighting hangs, so all requests stay in flight until the
	// context ends: the handler must admit them all without serialising.
	h := New(Config{Faults: Faults{Hang: 1}})
	ctx, cancel := context.WithCancel(context.Background())
	data := ArithmeticDataset(4, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// The request seed makes every body distinct, so none reaches the
			// consecutive-fault cap and escapes the hang.
			serve(ctx, h, request(qaSig.chat(nil, map[string]string{"question": data[i].Question}), map[string]any{"seed": i}))
		}(i)
	}
	require.Eventually(t, func() bool { return h.Stats().InFlight == n }, timeout, pollEvery)
	cancel()
	wg.Wait()
	st := h.Stats()
	assert.Equal(t, int64(n), st.MaxInFlight)
	assert.Equal(t, int64(n), st.Canceled)
	assert.Zero(t, st.InFlight)
}

func TestLoopbackServesConcurrentClients(t *testing.T) {
	srv := startServer(t, Config{Latency: FixedLatency(pollEvery)})
	client := newClient(srv)
	data := ArithmeticDataset(5, 300)
	var wg sync.WaitGroup
	errs := make(chan error, len(data))
	for _, ex := range data {
		wg.Add(1)
		go func(q string) {
			defer wg.Done()
			_, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
				Model: "m", Messages: openaiMessages(qaSig.chat(nil, map[string]string{"question": q})),
			})
			errs <- err
		}(ex.Question)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int64(len(data)), srv.Stats().Succeeded)
}

func TestStartTwiceFails(t *testing.T) {
	srv := startServer(t, Config{})
	assert.Error(t, srv.Start())
	require.NoError(t, srv.Close())
	require.NoError(t, srv.Close(), "closing twice is harmless")
}

func TestStartRejectsInvalidConfig(t *testing.T) {
	srv := New(Config{Faults: Faults{RateLimit: 0.8, ServerError: 0.5}})
	err := srv.Start()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sum")
	assert.Empty(t, srv.URL())
}
