package serve

import (
	"net/http"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// FuzzParseConfig checks that no input makes the config parser panic, and
// that whatever it accepts passes validation.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(goodConfig))
	f.Add([]byte("models: {m: {model: x}}\nprograms: [{name: a, spec: a.yaml, model: m}]"))
	f.Add([]byte("server: {queue_timeout: 1h, auth: {tokens_file: t}}\nmodels: {m: {model: x, cache: disk, cache_dir: d}}\nprograms: [{name: a, program: p, from_run: r, model: m}]"))
	f.Add([]byte("programs: [{name: a, state: s, from_run: r}]"))
	f.Add([]byte("models: {m: {model: x, embed_model: e}}\nprograms: [{name: a, spec: a.yaml, model: m, embed_model: f}]"))
	f.Add([]byte("models: {m: {model: x, embed_model: ' '}}\nprograms: [{name: a, spec: a.yaml, durable: true, embed_model: e}]"))
	f.Add([]byte("{"))
	f.Add([]byte("--- !!binary"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		require.NoError(t, c.Validate())
		for _, p := range c.Programs {
			require.False(t, p.State != "" && p.FromRun != "", "state and from_run accepted together")
			require.Contains(t, c.Models, p.Model)
			require.False(t, p.Durable && p.EmbedModel != "", "embed_model accepted on a durable program")
			require.False(t, strings.ContainsFunc(p.EmbedModel, unicode.IsSpace), "embed_model %q accepted", p.EmbedModel)
		}
		for _, m := range c.Models {
			require.False(t, strings.ContainsFunc(m.EmbedModel, unicode.IsSpace), "embed_model %q accepted", m.EmbedModel)
		}
	})
}

// FuzzDecodeInputs checks that no body makes the decoder panic, that every
// body is either accepted, malformed or has listed field problems, and that
// accepted inputs hold exactly the signature's inputs.
func FuzzDecodeInputs(f *testing.F) {
	sig := dspy.MustSignature("question: str, n: int, x: float, ok: bool, tags: list[str], mode: Literal['a', 'b'], meta: dict[str, Any] -> answer")
	dec, err := newInputDecoder(sig)
	require.NoError(f, err)
	f.Add([]byte(`{"question": "q", "n": 1, "x": 1.5, "ok": true, "tags": ["t"], "mode": "a", "meta": {}}`))
	f.Add([]byte(`{"question": 1}`))
	f.Add([]byte(`{"n": 1e300, "x": "1"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"question": "q"} x`))
	f.Add([]byte(`{"tags": [1, null, {}]}`))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, body []byte) {
		ex, problems, err := dec.decode(body)
		switch {
		case err != nil:
			require.Nil(t, problems)
		case problems != nil:
			require.NotEmpty(t, problems)
		default:
			require.Equal(t, sig.InputNames(), ex.Keys())
			n, _ := ex.Get("n")
			require.IsType(t, 0, n)
		}
	})
}

// FuzzDurableHeaders feeds the durable-run headers and run IDs clients send
// (Idempotency-Key, Prefer, the {id} of GET /v1/runs/{id}): nothing panics,
// an accepted key always makes a run ID that names its program back, and a
// rejected key is a 400.
func FuzzDurableHeaders(f *testing.F) {
	for _, seed := range [][3]string{
		{"7f0c9e2a-1b2c-4d5e-8f90-123456789abc", "respond-async", "run:qa:7f0c9e2a"},
		{"order-1", "respond-async, wait=10", "run:qa:a:b:c"},
		{"", "return=minimal;foo=bar, RESPOND-ASYNC", "not-a-run"},
		{"not a key/", "", "run::x"},
		{"", "", "run:qa:"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, key, prefer, id string) {
		h := http.Header{}
		h.Set("Idempotency-Key", key)
		h.Set("Prefer", prefer)
		d, e := readDurableRequest(h)
		if e != nil {
			if e.status != http.StatusBadRequest {
				t.Fatalf("a bad key answered %d", e.status)
			}
			return
		}
		if key != "" && d.key != key {
			t.Fatalf("key %q read as %q", key, d.key)
		}
		if d.key != "" {
			if program, ok := programOfRun(RunID("qa", d.key)); !ok || program != "qa" {
				t.Fatalf("run ID of key %q names %q, %v", d.key, program, ok)
			}
		}
		_, _ = programOfRun(id)
	})
}
