package serve

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
)

// BenchmarkHandlerRequest is one program request through the handler, with
// an in-process LM that answers at once and no network: what the handler
// itself spends (routing, body, input checks, admission, adapter, outputs,
// usage headers, log line, metrics) in time and allocations per request.
func BenchmarkHandlerRequest(b *testing.B) {
	reply := "[[ ## answer ## ]]\nanswer: 3\n\n[[ ## completed ## ]]"
	fake := &dspytest.FuncLM{Model: "func-model", Reply: func(context.Context, dspy.LMRequest) (string, error) { return reply, nil }}
	h, err := New(Options{
		LogWriter: discard{},
		Programs:  []Program{{Name: "qa", LM: fake, Source: SpecSource{Spec: qaSpec()}}},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	if err := h.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"question": "What is 1 plus 2?"}`)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/v1/programs/qa", bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkRequestLogWrite is one request log line, encoded and handed to
// the writer.
func BenchmarkRequestLogWrite(b *testing.B) {
	l := newRequestLog(discard{}, nil, DefaultLogBuffer)
	defer l.close()
	line := LogLine{RequestID: "0123456789abcdef", Program: "qa", Model: "m", Status: 200,
		Inputs: []byte(`{"question":"What is 1 plus 2?"}`), Outputs: []byte(`{"answer":"3"}`)}
	b.ReportAllocs()
	for b.Loop() {
		l.write(&line)
	}
}
