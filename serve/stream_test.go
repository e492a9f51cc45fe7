package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// streamResponse is a streamed answer read whole.
type streamResponse struct {
	status  int
	header  http.Header
	trailer http.Header
	events  []Event
	body    []byte
}

func postStream(t *testing.T, url, body string, header ...string) streamResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out := streamResponse{status: resp.StatusCode, header: resp.Header}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		var buf bytes.Buffer
		_, err := buf.ReadFrom(resp.Body)
		require.NoError(t, err)
		out.body = buf.Bytes()
		return out
	}
	for ev, err := range ReadEvents(resp.Body) {
		require.NoError(t, err)
		out.events = append(out.events, ev)
	}
	out.trailer = resp.Trailer
	return out
}

func startSim(t *testing.T) *simlm.Server {
	t.Helper()
	sim := simlm.New(simlm.Config{Seed: 9})
	require.NoError(t, sim.Start())
	t.Cleanup(func() { _ = sim.Close() })
	return sim
}

func TestStreamedAnswerIsEventsThenTheJSONBody(t *testing.T) {
	sim := startSim(t)
	logs := &syncBuffer{}
	h, srv := startHandler(t, Options{LogWriter: logs, Programs: []Program{{
		Name: "cot", LM: newClient(t, sim.URL(), "simlm-1"),
		Source: SpecSource{Spec: &spec.Program{Module: "chain_of_thought", Signature: "question -> answer"}},
	}}})
	body := `{"question": "Why is the sky blue?"}`
	plain := post(t, srv.URL+"/v1/programs/cot", body)
	require.Equal(t, http.StatusOK, plain.status, "%s", plain.body)

	for _, how := range [][]string{{"Accept", "text/event-stream"}, {"Accept", "application/json;q=0.5, text/event-stream"}} {
		streamed := postStream(t, srv.URL+"/v1/programs/cot", body, how...)
		require.Equal(t, http.StatusOK, streamed.status)
		require.NotEmpty(t, streamed.events)
		fields := map[string]string{}
		var names []string
		for _, ev := range streamed.events[:len(streamed.events)-1] {
			require.Equal(t, EventChunk, ev.Name)
			var c dspy.StreamResponse
			require.NoError(t, json.Unmarshal(ev.Data, &c))
			assert.Equal(t, "predict", c.Predictor)
			if _, ok := fields[c.Field]; !ok {
				names = append(names, c.Field)
			}
			fields[c.Field] += c.Chunk
		}
		last := streamed.events[len(streamed.events)-1]
		assert.Equal(t, EventPrediction, last.Name)
		assert.JSONEq(t, string(plain.body), string(last.Data), "the final event is the JSON answer")
		assert.Equal(t, []string{"reasoning", "answer"}, names)
		assert.Equal(t, plain.json(t)["answer"], fields["answer"])
		assert.Equal(t, "1", streamed.trailer.Get("X-LM-Calls"), "usage comes as trailers")
		assert.NotEmpty(t, streamed.trailer.Get("X-LM-Completion-Tokens"))
	}

	withQuery := postStream(t, srv.URL+"/v1/programs/cot?stream=true", body)
	require.NotEmpty(t, withQuery.events)
	assert.Equal(t, EventPrediction, withQuery.events[len(withQuery.events)-1].Name)

	require.NoError(t, h.Close(), "closing flushes the request log")
	lines := logLines(t, logs)
	require.Len(t, lines, 4, "every request is logged, streamed or not")
	for _, l := range lines {
		assert.Equal(t, http.StatusOK, l.Status)
		assert.Equal(t, 1, l.LMCalls)
	}
}

func TestStreamedRequestErrors(t *testing.T) {
	var fail sync.Map
	lm := replyLM(func(ctx context.Context, req dspy.LMRequest) error {
		if _, ok := fail.Load("on"); ok {
			return &dspy.LMError{Kind: dspy.ErrKindServer, StatusCode: 500, Err: errors.New("boom")}
		}
		return nil
	})
	logs := &syncBuffer{}
	h, srv := startHandler(t, Options{LogWriter: logs, Programs: []Program{{Name: "qa", LM: lm, Source: SpecSource{Spec: qaSpec()}}}})

	refused := postStream(t, srv.URL+"/v1/programs/qa", `{"nope": 1}`, "Accept", "text/event-stream")
	assert.Equal(t, http.StatusUnprocessableEntity, refused.status, "a request refused before its program runs is answered as usual")
	assert.Contains(t, string(refused.body), CodeInvalidInputs)

	fail.Store("on", true)
	failed := postStream(t, srv.URL+"/v1/programs/qa", `{"question": "q"}`, "Accept", "text/event-stream")
	require.Equal(t, http.StatusOK, failed.status)
	require.Len(t, failed.events, 1)
	assert.Equal(t, EventError, failed.events[0].Name)
	var body ErrorBody
	require.NoError(t, json.Unmarshal(failed.events[0].Data, &body))
	plain := post(t, srv.URL+"/v1/programs/qa", `{"question": "q"}`)
	assert.Equal(t, plain.errorBody(t).Error.Code, body.Error.Code, "the error event is the error body")

	require.NoError(t, h.Close(), "closing flushes the request log")
	lines := logLines(t, logs)
	require.Len(t, lines, 3)
	assert.Equal(t, http.StatusUnprocessableEntity, lines[0].Status)
	assert.Equal(t, plain.status, lines[1].Status, "the log keeps the failure's status")
	assert.Equal(t, body.Error.Code, lines[1].ErrorCode)
}

// oneShotDurable is a durable runner that answers at once.
type oneShotDurable struct{ outputs dspy.Example }

func (d oneShotDurable) Run(context.Context, dspy.Example) (dspy.Example, dspy.Usage, error) {
	return d.outputs, dspy.Usage{Calls: 1}, nil
}
func (oneShotDurable) Start(context.Context, RunRequest) error { return nil }
func (d oneShotDurable) Result(context.Context, string) (dspy.Example, dspy.Usage, error) {
	return d.outputs, dspy.Usage{Calls: 2}, nil
}
func (oneShotDurable) Status(context.Context, string) (RunStatus, error) {
	return RunStatus{}, ErrRunNotFound
}
func (oneShotDurable) Cancel(context.Context, string) error { return nil }

func TestDurableStreamSendsOnlyTheFinalEvent(t *testing.T) {
	sig := dspy.MustSignature("question -> answer", "")
	durable := oneShotDurable{outputs: dspy.NewExample("answer", "42")}
	_, srv := startHandler(t, Options{Programs: []Program{{Name: "d", Model: "m", Source: sourceFunc(func(context.Context) (Loaded, error) {
		return Loaded{Signature: sig, Runner: durable}, nil
	})}}})
	streamed := postStream(t, srv.URL+"/v1/programs/d", `{"question": "q"}`, "Accept", "text/event-stream")
	require.Equal(t, http.StatusOK, streamed.status)
	require.Len(t, streamed.events, 1)
	assert.Equal(t, EventPrediction, streamed.events[0].Name)
	assert.JSONEq(t, `{"answer": "42"}`, string(streamed.events[0].Data))
	assert.Equal(t, "2", streamed.trailer.Get("X-LM-Calls"))
}

type sourceFunc func(context.Context) (Loaded, error)

func (f sourceFunc) Load(ctx context.Context) (Loaded, error) { return f(ctx) }

func TestOpenAPIDescribesTheStream(t *testing.T) {
	sim := startSim(t)
	_, srv := startHandler(t, Options{Programs: []Program{{Name: "qa", LM: newClient(t, sim.URL(), "simlm-1"), Source: SpecSource{Spec: qaSpec()}}}})
	r := get(t, srv.URL+"/openapi.json")
	doc, err := openapi3.NewLoader().LoadFromData(r.body)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))
	op := doc.Paths.Find("/v1/programs/qa").Post
	require.NotNil(t, op.Parameters.GetByInAndName("query", "stream"))
	require.NotNil(t, op.Responses.Status(200).Value.Content.Get("text/event-stream"))

	streamed := postStream(t, srv.URL+"/v1/programs/qa", `{"question": "Why is the sky blue?"}`, "Accept", "text/event-stream")
	chunkSchema := doc.Components.Schemas["StreamChunk"].Value
	outSchema := op.Responses.Status(200).Value.Content.Get("application/json").Schema.Value
	for _, ev := range streamed.events {
		var v any
		require.NoError(t, json.Unmarshal(ev.Data, &v))
		switch ev.Name {
		case EventChunk:
			require.NoError(t, doc.ValidateSchemaJSON(chunkSchema, v))
		case EventPrediction:
			require.NoError(t, doc.ValidateSchemaJSON(outSchema, v))
		}
	}
}

// sseSeeds are event streams as the handler writes them, from the golden
// streaming cases.
var sseSeeds = []string{
	"event: chunk\ndata: {\"predictor\":\"predict\",\"field\":\"reasoning\",\"chunk\":\"Looking at Why\",\"is_last_chunk\":false}\n\n" +
		"event: status\ndata: {\"message\":\"Calling tool weather...\"}\n\n" +
		"event: prediction\ndata: {\"answer\":\"Why is the sky blue during the day?\"}\n\n",
	"data: a\r\ndata: b\r\rdata: c\r\n\r\n: comment\n\nevent: error\ndata: {\"error\":{}}\n",
	"event: x\n\nevent:y\ndata\n\n",
}

func FuzzReadEvents(f *testing.F) {
	for _, s := range sseSeeds {
		f.Add(s, uint8(1))
		f.Add(s, uint8(7))
	}
	f.Fuzz(func(t *testing.T, stream string, step uint8) {
		whole := readAllEvents(t, strings.NewReader(stream))
		split := readAllEvents(t, iotest.HalfReader(&steppedReader{s: stream, step: int(step%16) + 1}))
		require.Equal(t, whole, split, "events do not depend on how the stream arrives")
		for _, ev := range whole {
			require.NotEmpty(t, ev.Name)
		}
		// An event written as the handler writes it reads back as itself.
		data := strings.NewReplacer("\r", "", "\n", "").Replace(stream)
		var buf bytes.Buffer
		rw := &recorderWriter{header: http.Header{}, buf: &buf}
		w := &sseWriter{w: rw, rc: http.NewResponseController(rw), started: true}
		w.event(EventChunk, []byte(data))
		back := readAllEvents(t, &buf)
		require.Equal(t, []Event{{Name: EventChunk, Data: []byte(data)}}, back)
	})
}

func readAllEvents(t *testing.T, r interface{ Read([]byte) (int, error) }) []Event {
	var out []Event
	for ev, err := range ReadEvents(r) {
		require.NoError(t, err)
		if ev.Data == nil {
			ev.Data = []byte{}
		}
		out = append(out, ev)
	}
	return out
}

// steppedReader hands out a string a few bytes at a time.
type steppedReader struct {
	s    string
	step int
}

func (r *steppedReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	n := copy(p, r.s[:min(len(r.s), r.step)])
	r.s = r.s[n:]
	return n, nil
}

// recorderWriter is a ResponseWriter over a buffer.
type recorderWriter struct {
	header http.Header
	buf    *bytes.Buffer
}

func (w *recorderWriter) Header() http.Header         { return w.header }
func (w *recorderWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }
func (w *recorderWriter) WriteHeader(int)             {}
