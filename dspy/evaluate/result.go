package evaluate

import (
	"fmt"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/durable-dspy/durable-dspy/dspy"
)

// ExampleResult is the outcome of one devset example.
type ExampleResult struct {
	// Index is the example's position in the devset.
	Index int
	// Example is the devset example, labels included.
	Example dspy.Example
	// Prediction is what the program returned; empty when it failed.
	Prediction dspy.Prediction
	// Score is the metric's value, or Options.FailureScore when the example failed.
	Score float64
	// Feedback is the metric's feedback, if it gave any.
	Feedback string
	// Error is the failure's message; empty when the example succeeded.
	Error string
	// Err is the failure itself, for errors.As (for example to find a
	// *dspy.LMError); it is not exported to JSONL or CSV.
	Err error
	// Raw is the LM reply that could not be parsed, when the failure was a
	// *dspy.ParseError, so the reply can be inspected after the run.
	Raw string
	// Usage is the LM usage of the program's calls for this example, those
	// of a failed example included (a reply that did not parse is billed).
	Usage dspy.Usage
}

// Failed reports whether the program or the metric failed on this example.
func (r ExampleResult) Failed() bool { return r.Error != "" }

// Result summarizes an evaluation.
type Result struct {
	// Score is the average score as a percentage rounded to two decimals,
	// round(100*Sum/Total, 2), the number DSPy's Evaluate reports.
	Score float64
	// Mean is Sum/Total, unrounded.
	Mean float64
	// Sum is the total of the per-example scores, failures included at their
	// failure score.
	Sum float64
	// Total is the number of examples scored.
	Total int
	// Errors is the number of examples that failed.
	Errors int
	// Usage is the LM usage of all the program's calls (not the metric's),
	// failed examples' included.
	Usage dspy.Usage
	// Results holds one entry per example, in devset order.
	Results []ExampleResult
	// Duration is the wall time of the run.
	Duration time.Duration
}

// Scores returns the per-example scores in devset order, the "subscores"
// optimizers compare candidates on.
func (r Result) Scores() []float64 {
	out := make([]float64, len(r.Results))
	for i, er := range r.Results {
		out[i] = er.Score
	}
	return out
}

// summarize fills the totals from the per-example results.
func summarize(results []ExampleResult, d time.Duration) Result {
	res := Result{Results: results, Total: len(results), Duration: d}
	for i := range results {
		er := &results[i]
		res.Sum += er.Score
		res.Usage = res.Usage.Add(er.Usage)
		if er.Failed() {
			res.Errors++
		}
	}
	if res.Total > 0 {
		res.Mean = res.Sum / float64(res.Total)
		res.Score = roundTo(100*res.Mean, 2)
	}
	return res
}

// roundTo rounds half to even at the given number of decimals, as Python's
// round does for the values it can represent exactly.
func roundTo(f float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.RoundToEven(f*p) / p
}

// String renders the summary as a small table:
//
//	Average Metric: 7.50 / 10 (75.0%)
//	score     75.00
//	mean      0.7500
//	...
func (r Result) String() string {
	var b strings.Builder
	pct := 0.0
	if r.Total > 0 {
		pct = roundTo(100*r.Sum/float64(r.Total), 1)
	}
	fmt.Fprintf(&b, "Average Metric: %.2f / %d (%.1f%%)\n", r.Sum, r.Total, pct)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "score\t%.2f\n", r.Score)
	fmt.Fprintf(tw, "mean\t%.4f\n", r.Mean)
	fmt.Fprintf(tw, "examples\t%d\n", r.Total)
	errPct := 0.0
	if r.Total > 0 {
		errPct = 100 * float64(r.Errors) / float64(r.Total)
	}
	fmt.Fprintf(tw, "errors\t%d (%.1f%%)\n", r.Errors, errPct)
	fmt.Fprintf(tw, "lm calls\t%d (%d cached)\n", r.Usage.Calls, r.Usage.CacheHits)
	fmt.Fprintf(tw, "tokens\t%d prompt + %d completion\n", r.Usage.PromptTokens, r.Usage.CompletionTokens)
	fmt.Fprintf(tw, "cost\t$%.4f\n", r.Usage.Cost)
	fmt.Fprintf(tw, "duration\t%s\n", r.Duration.Round(time.Millisecond))
	tw.Flush()
	return b.String()
}
