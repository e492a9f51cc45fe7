package serve_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/durable-dspy/durable-dspy/dspy/lm"
	"github.com/durable-dspy/durable-dspy/dspy/spec"
	"github.com/durable-dspy/durable-dspy/serve"
	"github.com/durable-dspy/durable-dspy/simlm"
)

// Mount the handler under a service's own mux, call a program, and shut
// down in order: drain, stop the server, flush the log.
func Example() {
	sim := simlm.New(simlm.Config{Seed: 1})
	if err := sim.Start(); err != nil {
		panic(err)
	}
	defer sim.Close()
	client, err := lm.New(lm.Options{Model: "simlm-1", BaseURL: sim.URL(), APIKey: "unused"})
	if err != nil {
		panic(err)
	}

	h, err := serve.New(serve.Options{
		Programs: []serve.Program{{
			Name:   "qa",
			Source: serve.SpecSource{Spec: &spec.Program{Module: "predict", Signature: "question -> answer: int"}},
			LM:     client,
			Limits: serve.Limits{MaxConcurrent: 8},
		}},
	})
	if err != nil {
		panic(err)
	}
	if err := h.Load(context.Background()); err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", h) // or http.StripPrefix("/dspy", h) under a prefix
	srv := httptest.NewServer(mux)

	resp, err := http.Post(srv.URL+"/v1/programs/qa", "application/json",
		strings.NewReader(`{"question": "Tom has 3 apples and buys 4 more. How many apples does he have?"}`))
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("X-LM-Calls"), strings.Contains(string(body), `"answer":`))

	_ = h.Drain(context.Background())
	srv.Close()
	_ = h.Close()
	// Output: 200 1 true
}
