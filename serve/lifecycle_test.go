package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/dspytest"
)

// versionLM answers with the instructions it was prompted with, so a reply
// tells which program version produced it.
func versionLM() dspy.LM {
	return &dspytest.FuncLM{Model: "func-model", Reply: func(_ context.Context, req dspy.LMRequest) (string, error) {
		sys := req.Messages[0].Content
		v := "v1"
		if strings.Contains(sys, "Version two.") {
			v = "v2"
		}
		time.Sleep(time.Millisecond)
		return "[[ ## answer ## ]]\n" + v + "\n\n[[ ## completed ## ]]", nil
	}}
}

func TestHotSwapUnderLoadFailsNoRequest(t *testing.T) {
	dir := t.TempDir()
	specFile := filepath.Join(dir, "qa.yaml")
	writeSpec := func(instructions string) {
		require.NoError(t, os.WriteFile(specFile, []byte("module: predict\nsignature: question -> answer\ninstructions: "+instructions+"\n"), 0o644))
	}
	writeSpec("Version one.")
	h, srv := startHandler(t, Options{Programs: []Program{{Name: "qa", LM: versionLM(), Source: SpecSource{SpecFile: specFile}}}})

	var stop atomic.Bool
	var ok, failed atomic.Int64
	seen := sync.Map{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := 0; i < 2000 && !stop.Load(); i++ {
				r, err := do(t, context.Background(), http.MethodPost, srv.URL+"/v1/programs/qa", `{"question": "q"}`)
				if err != nil || r.status != http.StatusOK {
					failed.Add(1)
					continue
				}
				ok.Add(1)
				seen.Store(strings.TrimSpace(string(r.body)), true)
			}
		})
	}
	for i := range 10 {
		writeSpec([]string{"Version two.", "Version one."}[i%2])
		require.NoError(t, h.Reload(context.Background(), "qa"))
		time.Sleep(5 * time.Millisecond)
	}
	writeSpec("Version two.")
	require.NoError(t, h.Reload(context.Background(), "qa"))
	stop.Store(true)
	wg.Wait()

	assert.Zero(t, failed.Load(), "no request failed during swaps")
	assert.Positive(t, ok.Load())
	_, v1 := seen.Load(`{"answer":"v1"}`)
	_, v2 := seen.Load(`{"answer":"v2"}`)
	assert.True(t, v1 && v2, "both versions served")
	r := post(t, srv.URL+"/v1/programs/qa", `{"question": "q"}`)
	assert.JSONEq(t, `{"answer":"v2"}`, string(r.body), "the last swap holds")
}

func TestReloadFailureKeepsTheOldVersion(t *testing.T) {
	dir := t.TempDir()
	specFile := filepath.Join(dir, "qa.yaml")
	require.NoError(t, os.WriteFile(specFile, []byte("module: predict\nsignature: question -> answer\n"), 0o644))
	h, srv := startHandler(t, Options{Programs: []Program{{Name: "qa", LM: versionLM(), Source: SpecSource{SpecFile: specFile}}}})
	require.NoError(t, os.WriteFile(specFile, []byte("module: nonsense\n"), 0o644))
	require.Error(t, h.Reload(context.Background(), "qa"))
	require.Error(t, h.ReloadAll(context.Background()))
	assert.Equal(t, http.StatusOK, post(t, srv.URL+"/v1/programs/qa", `{"question": "q"}`).status)
	assert.ErrorIs(t, h.Reload(context.Background(), "other"), ErrUnknownProgram)
	assert.ErrorIs(t, h.Swap("other", Loaded{}), ErrUnknownProgram)
}

func TestDrainFinishesInFlightAndRefusesNew(t *testing.T) {
	gate := make(chan struct{})
	var running atomic.Int64
	logs := &syncBuffer{}
	h, srv := startHandler(t, Options{LogWriter: logs, Programs: []Program{{Name: "qa", LM: gatedLM(gate, &running), Source: SpecSource{Spec: qaSpec()}}}})
	require.Equal(t, http.StatusOK, get(t, srv.URL+"/health/ready").status)

	inFlight := make(chan response, 1)
	go func() { inFlight <- post(t, srv.URL+"/v1/programs/qa", `{"question": "q"}`) }()
	eventually(t, "the request to run", func() bool { return running.Load() == 1 })

	drained := make(chan error, 1)
	go func() { drained <- h.Drain(context.Background()) }()
	eventually(t, "ready to turn 503", func() bool { return get(t, srv.URL+"/health/ready").status == http.StatusServiceUnavailable })
	assert.Equal(t, http.StatusOK, get(t, srv.URL+"/health/live").status, "live while draining")

	refused := post(t, srv.URL+"/v1/programs/qa", `{"question": "late"}`)
	assert.Equal(t, http.StatusServiceUnavailable, refused.status)
	assert.Equal(t, CodeDraining, refused.errorBody(t).Error.Code)
	select {
	case <-drained:
		t.Fatal("drain returned while a request was running")
	default:
	}

	close(gate)
	assert.Equal(t, http.StatusOK, (<-inFlight).status, "the in-flight request finished")
	require.NoError(t, <-drained)
	require.NoError(t, h.Close())
	assert.Len(t, logLines(t, logs), 2, "both requests logged and flushed")
}

func TestDrainTimesOut(t *testing.T) {
	gate := make(chan struct{})
	defer close(gate)
	var running atomic.Int64
	h, srv := startHandler(t, Options{Programs: []Program{{Name: "qa", LM: gatedLM(gate, &running), Source: SpecSource{Spec: qaSpec()}}}})
	go func() {
		_, _ = do(t, context.Background(), http.MethodPost, srv.URL+"/v1/programs/qa", `{"question": "q"}`)
	}()
	eventually(t, "the request to run", func() bool { return running.Load() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, h.Drain(ctx), context.DeadlineExceeded)
}

func TestNotReadyUntilLoaded(t *testing.T) {
	h, err := New(Options{Programs: []Program{{Name: "qa", LM: versionLM(), Source: SpecSource{Spec: qaSpec()}}}})
	require.NoError(t, err)
	srv := newTestServer(t, h)
	assert.Equal(t, http.StatusServiceUnavailable, get(t, srv.URL+"/health/ready").status)
	r := post(t, srv.URL+"/v1/programs/qa", `{"question": "q"}`)
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.Equal(t, CodeNotReady, r.errorBody(t).Error.Code)
	require.NoError(t, h.Load(context.Background()))
	assert.Equal(t, http.StatusOK, get(t, srv.URL+"/health/ready").status)
}

type failingCheck struct {
	Runner
	err error
}

func (f failingCheck) CheckReady(context.Context) error { return f.err }

func TestReadyReportsARunnersDependency(t *testing.T) {
	h, srv := startHandler(t, Options{Programs: []Program{{Name: "qa", LM: versionLM(), Source: SpecSource{Spec: qaSpec()}}}})
	loaded, err := SpecSource{Spec: qaSpec()}.Load(context.Background())
	require.NoError(t, err)
	loaded.Runner = failingCheck{Runner: moduleRunner{module: loaded.Module, lm: versionLM()}, err: fmt.Errorf("temporal unreachable")}
	require.NoError(t, h.Swap("qa", loaded))
	r := get(t, srv.URL+"/health/ready")
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.Contains(t, string(r.body), "temporal unreachable")
}

func TestStateFileIsLoadedAndItsHashReported(t *testing.T) {
	dir := t.TempDir()
	p := qaSpec()
	m, err := p.Build(nil)
	require.NoError(t, err)
	m.Predictors()[0].Predictor.Demos = []dspy.Example{dspy.NewExample("question", "demo-q", "answer", "demo-a")}
	stateFile := filepath.Join(dir, "qa.json")
	require.NoError(t, dspy.Save(m, stateFile))
	b, err := os.ReadFile(stateFile)
	require.NoError(t, err)
	sum := sha256.Sum256(b)

	var sawDemo atomic.Bool
	lm := replyLM(func(_ context.Context, req dspy.LMRequest) error {
		for _, msg := range req.Messages {
			if strings.Contains(msg.Content, "demo-q") {
				sawDemo.Store(true)
			}
		}
		return nil
	})
	h, srv := startHandler(t, Options{Programs: []Program{{Name: "qa", LM: lm, Source: SpecSource{Spec: p, StateFile: stateFile}}}})
	assert.Equal(t, Origin{Kind: "state_file", StateFile: "qa.json", StateSHA256: hex.EncodeToString(sum[:])}, h.Programs()[0].Origin)
	require.Equal(t, http.StatusOK, post(t, srv.URL+"/v1/programs/qa", `{"question": "q"}`).status)
	assert.True(t, sawDemo.Load(), "the saved demo reached the prompt")
}

func TestFactorySourceServesAGoProgram(t *testing.T) {
	sig := dspy.MustSignature("question -> answer")
	_, srv := startHandler(t, Options{Programs: []Program{{Name: "go", LM: replyLM(nil), Source: FactorySource{
		Signature: sig,
		New:       func() (dspy.Module, error) { return dspy.NewPredict(sig), nil },
	}}}})
	r := post(t, srv.URL+"/v1/programs/go", `{"question": "hi"}`)
	assert.JSONEq(t, `{"answer": "answer: hi"}`, string(r.body))
}

func TestNewRejectsBadPrograms(t *testing.T) {
	src := SpecSource{Spec: qaSpec()}
	for name, opts := range map[string]Options{
		"none":      {},
		"bad name":  {Programs: []Program{{Name: "a b", Source: src}}},
		"duplicate": {Programs: []Program{{Name: "a", Source: src}, {Name: "a", Source: src}}},
		"no source": {Programs: []Program{{Name: "a"}}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(opts)
			assert.Error(t, err)
		})
	}
	h, err := New(Options{Programs: []Program{{Name: "a", Source: src}}})
	require.NoError(t, err)
	assert.ErrorContains(t, h.Load(context.Background()), "no LM")
}
