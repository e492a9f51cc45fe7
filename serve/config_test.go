package serve

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

const goodConfig = `
server:
  addr: 127.0.0.1:0
  max_concurrent: 64
  queue_timeout: 5s
  log_dir: logs
  auth: {tokens_env: SERVE_TOKENS, open_health: true}
  cors: {allowed_origins: ["*"], max_age: 10m}
  timeouts: {read_header: 5s, write: 2m}
  mcp: true
models:
  fast:
    model: model-a
    base_url: BASE
    api_key_env: FAST_KEY
    temperature: 0
    max_tokens: 256
    cache: memory
programs:
  - name: qa
    spec: qa.yaml
    model: fast
    limits: {max_concurrent: 8, request_timeout: 30s}
  - name: tuned
    program: registered_qa
    state: tuned.json
    model: fast
`

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(goodConfig))
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, c.Server.QueueTimeout)
	assert.Equal(t, 10*time.Minute, c.Server.CORS.MaxAge)
	assert.Equal(t, 0.0, *c.Models["fast"].Temperature)
	assert.Equal(t, Limits{MaxConcurrent: 8, RequestTimeout: 30 * time.Second}, c.Programs[0].Limits.Limits())
	assert.Equal(t, "registered_qa", c.Programs[1].Program)
	assert.True(t, c.Server.MCP)
}

func TestParseConfigRejectsWithTheReason(t *testing.T) {
	prog := "\nmodels: {m: {model: x}}\nprograms: [{name: a, spec: a.yaml, model: m}]\n"
	for name, tc := range map[string]struct{ text, want string }{
		"unknown top key":      {"servr: {}" + prog, "servr"},
		"unknown nested key":   {"server: {max_concurent: 3}" + prog, "max_concurent"},
		"mcp misspelt":         {"server: {mpc: true}" + prog, "mpc"},
		"unknown model key":    {"models: {m: {model: x, temprature: 1}}\nprograms: [{name: a, spec: a.yaml, model: m}]", "temprature"},
		"no programs":          {"models: {m: {model: x}}", "at least one program"},
		"state and from_run":   {"models: {m: {model: x}}\nprograms: [{name: a, spec: a.yaml, state: s.json, from_run: r1, model: m}]", "exclusive"},
		"spec and program":     {"models: {m: {model: x}}\nprograms: [{name: a, spec: a.yaml, program: p, model: m}]", "exactly one of spec"},
		"neither spec":         {"models: {m: {model: x}}\nprograms: [{name: a, model: m}]", "exactly one of spec"},
		"undefined model":      {"models: {m: {model: x}}\nprograms: [{name: a, spec: a.yaml, model: n}]", `model "n" is not defined`},
		"bad name":             {"models: {m: {model: x}}\nprograms: [{name: 'a b', spec: a.yaml, model: m}]", "name"},
		"duplicate name":       {"models: {m: {model: x}}\nprograms: [{name: a, spec: a.yaml, model: m}, {name: a, spec: b.yaml, model: m}]", "used twice"},
		"bad duration":         {"server: {queue_timeout: soon}" + prog, "soon"},
		"negative limit":       {"server: {max_concurrent: -1}" + prog, "negative"},
		"bad cache":            {"models: {m: {model: x, cache: redis}}\nprograms: [{name: a, spec: a.yaml, model: m}]", "redis"},
		"disk cache needs dir": {"models: {m: {model: x, cache: disk}}\nprograms: [{name: a, spec: a.yaml, model: m}]", "cache_dir"},
		"two documents":        {prog + "---\n" + prog, "one YAML document"},
		"empty":                {"", "empty"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.text))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestLoadAndBuildConfigServes(t *testing.T) {
	echo := newEchoModelServer(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "qa.yaml"), []byte("module: predict\nsignature: question -> answer\n"), 0o644))
	sig := dspy.MustSignature("question -> answer")
	m := dspy.NewPredict(sig)
	require.NoError(t, dspy.Save(m, filepath.Join(dir, "tuned.json")))
	cfg := []byte(goodConfig)
	cfg = []byte(strings.ReplaceAll(string(cfg), "BASE", echo.URL))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "serve.yaml"), cfg, 0o644))

	c, err := LoadConfig(filepath.Join(dir, "serve.yaml"))
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "qa.yaml"), c.Programs[0].Spec, "paths resolve against the config's directory")
	assert.Equal(t, filepath.Join(dir, "logs"), c.Server.LogDir)

	env := map[string]string{"SERVE_TOKENS": "t1, t2", "FAST_KEY": "k"}
	be := BuildEnv{
		Getenv: func(k string) string { return env[k] },
		Registered: func(name string) (FactorySource, error) {
			require.Equal(t, "registered_qa", name)
			return FactorySource{Signature: sig, New: func() (dspy.Module, error) { return dspy.NewPredict(sig), nil }}, nil
		},
	}
	setup, err := c.Build(be)
	require.NoError(t, err)
	defer setup.Close()
	assert.Equal(t, []string{"t1", "t2"}, setup.Options.Auth.Tokens)
	assert.Equal(t, 5*time.Second, setup.Timeouts.ReadHeader)
	assert.True(t, setup.Options.MCP)

	h, err := New(setup.Options)
	require.NoError(t, err)
	require.NoError(t, h.Load(context.Background()))
	srv := newTestServer(t, h)
	r := post(t, srv.URL+"/v1/programs/tuned", `{"question": "q"}`, "Authorization", "Bearer t2")
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.JSONEq(t, `{"answer": "model=model-a question=q"}`, string(r.body))
	assert.Equal(t, "state_file", h.Programs()[1].Origin.Kind)
	r = post(t, srv.URL+MCPPath, `{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}`)
	assert.Equal(t, http.StatusUnauthorized, r.status, "/mcp is mounted and needs a token")

	delete(env, "FAST_KEY")
	_, err = c.Build(be)
	assert.ErrorContains(t, err, "FAST_KEY")
	env["FAST_KEY"] = "k"
	delete(env, "SERVE_TOKENS")
	_, err = c.Build(be)
	assert.ErrorContains(t, err, "SERVE_TOKENS", "a named but empty token source never turns auth off")
	env["SERVE_TOKENS"] = "t"
	_, err = c.Build(BuildEnv{Getenv: be.Getenv})
	assert.ErrorContains(t, err, "registry")
}
