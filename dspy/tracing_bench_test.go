package dspy

import (
	"context"
	"slices"
	"testing"
	"time"
)

// cannedLM answers every call at once with the same reply, so a benchmark
// over it measures the framework's own path, where tracing's share is largest.
type cannedLM struct{ reply string }

func (l cannedLM) Call(context.Context, LMRequest) (LMResponse, error) {
	return LMResponse{Outputs: []string{l.reply}, FinishReasons: []string{"stop"}, Model: "canned",
		Usage: Usage{PromptTokens: 50, CompletionTokens: 10, Calls: 1}}, nil
}

func (cannedLM) ModelName() string { return "canned" }

// BenchmarkTracingOverhead measures a ChainOfThought call (two spans and an
// LM span) with OpenTelemetry's default no-op provider, against the same
// call with every span hook short-circuited, as before tracing existed. The
// two alternate in rounds so both see the same machine load; it reports
// each one's ns per call and the median overhead of a round in percent.
func BenchmarkTracingOverhead(b *testing.B) {
	cot, err := NewChainOfThought(MustSignature("question -> answer"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := WithLM(context.Background(), cannedLM{reply: "[[ ## reasoning ## ]]\nAdd.\n\n[[ ## answer ## ]]\n5\n\n[[ ## completed ## ]]"})
	inputs := NewExample("question", "What is 2 + 3?")
	call := func(n int, on bool) time.Duration {
		tracingOn = on
		defer func() { tracingOn = true }()
		start := time.Now()
		for range n {
			if _, err := cot.Call(ctx, inputs); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	// Many short rounds, and the median of their ratios, keep a burst of
	// load on a shared machine from landing on one side only.
	const rounds = 50
	per := max(b.N/rounds, 1)
	var before, after time.Duration
	ratios := make([]float64, 0, rounds)
	b.ResetTimer()
	for i := range rounds {
		var off, on time.Duration
		if i%2 == 0 {
			off = call(per, false)
			on = call(per, true)
		} else {
			on = call(per, true)
			off = call(per, false)
		}
		before += off
		after += on
		ratios = append(ratios, float64(on)/float64(off))
	}
	b.StopTimer()
	slices.Sort(ratios)
	calls := float64(per * rounds)
	b.ReportMetric(float64(before.Nanoseconds())/calls, "ns/call-before")
	b.ReportMetric(float64(after.Nanoseconds())/calls, "ns/call-after")
	b.ReportMetric(100*(ratios[len(ratios)/2]-1), "%overhead")
}
