package serve

import (
	"testing"

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
