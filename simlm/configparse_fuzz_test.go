package simlm_test

import (
	"testing"

	"github.com/durable-dspy/durable-dspy/simlm"
)

// FuzzParseConfig feeds --sim values: a bad one is an error, never a panic.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range []string{
		"", "seed=7", "latency=100ms", "err429=0.1,err500=0.05", "prose=0.3", "prose=1,seed=3",
		"latency=lognormal:200ms:0.5", "garbage=1", "seed=", "=,=", "prose=2", "latency=-1s",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = simlm.ParseConfig(s)
	})
}
