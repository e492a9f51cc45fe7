package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is everything one bench run measured. Sections not run are nil.
type Report struct {
	Environment Environment       `json:"environment"`
	Latency     *LatencyReport    `json:"latency,omitempty"`
	Throughput  *ThroughputReport `json:"throughput,omitempty"`
	Modules     *ModulesReport    `json:"modules,omitempty"`
	Memory      *MemoryReport     `json:"memory,omitempty"`
	Durable     *DurableReport    `json:"durable,omitempty"`
	// Warnings say what makes a figure less trustworthy than it looks.
	Warnings []string `json:"warnings,omitempty"`
}

// Environment records what the figures were measured on.
type Environment struct {
	Time             time.Time `json:"time"`
	GoVersion        string    `json:"go_version"`
	OS               string    `json:"os"`
	Arch             string    `json:"arch"`
	CPUs             int       `json:"cpus"`
	Program          string    `json:"program"`
	LM               string    `json:"lm"`
	SimLatencyMS     float64   `json:"sim_latency_ms,omitempty"`
	PercentileMethod string    `json:"percentile_method"`
}

// NewEnvironment describes this process's machine, for program and lm
// (names only: never a key).
func NewEnvironment(program, lmName string, simLatency time.Duration) Environment {
	return Environment{
		Time: time.Now().UTC().Truncate(time.Second), GoVersion: runtime.Version(),
		OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(),
		Program: program, LM: lmName, SimLatencyMS: ms(simLatency), PercentileMethod: PercentileMethod,
	}
}

// DurableReport compares the same evaluation in-process and through Temporal.
type DurableReport struct {
	Examples int `json:"examples"`
	// Concurrency caps the LM calls in flight in both runs.
	Concurrency int     `json:"concurrency"`
	BatchSize   int     `json:"batch_size"`
	Server      string  `json:"server"`
	InProcessMS float64 `json:"in_process_ms"`
	TemporalMS  float64 `json:"temporal_ms"`
	// Ratio is TemporalMS / InProcessMS.
	Ratio                   float64 `json:"ratio"`
	Activities              int     `json:"activities"`
	HistoryEvents           int     `json:"history_events"`
	ActivitiesPerExample    float64 `json:"activities_per_example"`
	HistoryEventsPerExample float64 `json:"history_events_per_example"`
	InProcessScore          float64 `json:"in_process_score"`
	TemporalScore           float64 `json:"temporal_score"`
}

// NewDurableReport computes the ratios from what was measured.
func NewDurableReport(examples, concurrency, batch int, server string, inProcess, temporal time.Duration, activities, events int, inScore, tScore float64) DurableReport {
	r := DurableReport{
		Examples: examples, Concurrency: concurrency, BatchSize: batch, Server: server,
		InProcessMS: round(ms(inProcess), 1), TemporalMS: round(ms(temporal), 1),
		Activities: activities, HistoryEvents: events, InProcessScore: inScore, TemporalScore: tScore,
	}
	r.Ratio = round(ratio(float64(temporal), float64(inProcess)), 3)
	if examples > 0 {
		r.ActivitiesPerExample = round(float64(activities)/float64(examples), 3)
		r.HistoryEventsPerExample = round(float64(events)/float64(examples), 3)
	}
	return r
}

// CollectWarnings gathers the sections' warnings into r.Warnings.
func (r *Report) CollectWarnings() {
	if r.Latency != nil {
		r.Warnings = append(r.Warnings, r.Latency.Warnings()...)
	}
	if r.Modules != nil {
		for _, m := range r.Modules.Modules {
			if w := P99Warning("modules "+m.Module, m.Latency); w != "" {
				r.Warnings = append(r.Warnings, w)
			}
		}
	}
	if r.Throughput != nil {
		for _, l := range append([]ThroughputLevel{r.Throughput.Sequential}, r.Throughput.Levels...) {
			if l.Errors > 0 {
				r.Warnings = append(r.Warnings, fmt.Sprintf("throughput: %d of %d examples failed at concurrency %d", l.Errors, l.Examples, l.Concurrency))
			}
		}
	}
	if r.Memory != nil && r.Memory.MaxInFlightObserved > 0 && r.Memory.MaxInFlightObserved < int64(r.Memory.InFlight) {
		r.Warnings = append(r.Warnings, fmt.Sprintf("memory: at most %d of %d calls were in flight together; raise the section's latency", r.Memory.MaxInFlightObserved, r.Memory.InFlight))
	}
}

// WriteJSON writes the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report as aligned tables for a terminal.
func (r Report) WriteTable(w io.Writer) error {
	ew := &errWriter{w: w}
	e := r.Environment
	fmt.Fprintf(ew, "program %s · LM %s · %s %s/%s, %d CPUs · percentiles: %s\n", e.Program, e.LM, e.GoVersion, e.OS, e.Arch, e.CPUs, e.PercentileMethod)

	if l := r.Latency; l != nil {
		section(ew, fmt.Sprintf("Single-call latency (ms), %d calls after %d warm-up", l.Calls, l.Warmup))
		rows := [][]string{{"", "min", "mean", "p50", "p95", "p99", "max"}}
		for _, row := range []struct {
			name string
			s    Summary
		}{{"total", l.Total}, {"LM round trip", l.LM}, {"framework", l.Framework}} {
			rows = append(rows, []string{row.name, f3(row.s.MinMS), f3(row.s.MeanMS), f3(row.s.P50MS), f3(row.s.P95MS), f3(row.s.P99MS), f3(row.s.MaxMS)})
		}
		table(ew, rows)
		fmt.Fprintf(ew, "framework share of the mean: %.2f%% · LM calls per call: %.2f\n", 100*l.FrameworkShare, l.LMCallsPerCall)
	}

	if t := r.Throughput; t != nil {
		section(ew, fmt.Sprintf("Batch throughput (ideal = concurrency / %.1f ms, the %s)", t.LatencyMS, t.LatencySource))
		rows := [][]string{{"concurrency", "examples", "LM calls", "wall s", "calls/s", "ideal calls/s", "of ideal", "steady", "speedup", "errors"}}
		for _, l := range append([]ThroughputLevel{t.Sequential}, t.Levels...) {
			steady := "-"
			if l.SteadyShareOfIdeal > 0 {
				steady = fmt.Sprintf("%.1f%%", 100*l.SteadyShareOfIdeal)
			}
			rows = append(rows, []string{strconv.Itoa(l.Concurrency), strconv.Itoa(l.Examples), strconv.FormatInt(l.LMCalls, 10),
				fmt.Sprintf("%.2f", l.WallMS/1000), fmt.Sprintf("%.1f", l.CallsPerSec), fmt.Sprintf("%.1f", l.IdealCallsPerSec),
				fmt.Sprintf("%.1f%%", 100*l.ShareOfIdeal), steady, fmt.Sprintf("%.1fx", l.Speedup), strconv.Itoa(l.Errors)})
		}
		table(ew, rows)
		fmt.Fprintln(ew, "steady: share of the ideal between the first round's last reply and the last round's first (three rounds or more)")
	}

	if m := r.Modules; m != nil {
		section(ew, fmt.Sprintf("Modules on the same %d inputs: %s", m.Calls, m.Signature))
		rows := [][]string{{"module", "mean ms", "p50 ms", "p95 ms", "framework p50 ms", "prompt tok", "completion tok", "score %", "errors"}}
		for _, x := range m.Modules {
			rows = append(rows, []string{x.Module, f3(x.Latency.MeanMS), f3(x.Latency.P50MS), f3(x.Latency.P95MS), f3(x.Framework.P50MS),
				fmt.Sprintf("%.1f", x.PromptTokensPerCall), fmt.Sprintf("%.1f", x.CompletionTokensPerCall), fmt.Sprintf("%.2f", x.Score), strconv.Itoa(x.Errors)})
		}
		table(ew, rows)
		fmt.Fprintf(ew, "ChainOfThought / Predict mean latency: %.2fx\n", m.LatencyRatio)
	}

	if m := r.Memory; m != nil {
		section(ew, fmt.Sprintf("Memory, %d concurrent calls at %.0f ms simulated latency", m.InFlight, m.LatencyMS))
		table(ew, [][]string{
			{"baseline MB", "peak MB", "per call KB", "max in flight", "wall s", "errors"},
			{fmt.Sprintf("%.1f", m.BaselineMB), fmt.Sprintf("%.1f", m.PeakMB), fmt.Sprintf("%.1f", m.PerCallKB),
				strconv.FormatInt(m.MaxInFlightObserved, 10), fmt.Sprintf("%.2f", m.WallMS/1000), strconv.Itoa(m.Errors)},
		})
		fmt.Fprintf(ew, "method: %s\ntransport: %s\n", m.Method, m.Transport)
	}

	if d := r.Durable; d != nil {
		section(ew, fmt.Sprintf("Durable overhead, %d examples, %d LM calls in flight, batches of %d, %s", d.Examples, d.Concurrency, d.BatchSize, d.Server))
		table(ew, [][]string{
			{"in-process s", "Temporal s", "ratio", "activities", "history events", "activities/example", "events/example"},
			{fmt.Sprintf("%.2f", d.InProcessMS/1000), fmt.Sprintf("%.2f", d.TemporalMS/1000), fmt.Sprintf("%.2fx", d.Ratio),
				strconv.Itoa(d.Activities), strconv.Itoa(d.HistoryEvents), fmt.Sprintf("%.3f", d.ActivitiesPerExample), fmt.Sprintf("%.3f", d.HistoryEventsPerExample)},
		})
		fmt.Fprintf(ew, "scores: in-process %.2f, Temporal %.2f\n", d.InProcessScore, d.TemporalScore)
	}

	if len(r.Warnings) > 0 {
		section(ew, "Warnings")
		for _, w := range r.Warnings {
			fmt.Fprintf(ew, "! %s\n", w)
		}
	}
	return ew.err
}

// table writes rows with right-aligned columns, the first row a header.
func table(w io.Writer, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, row := range rows {
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	_ = tw.Flush() // errors surface through the errWriter underneath
}

// errWriter keeps the first write error, so a long report is written
// without checking every line and still reports a failed write.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func section(w io.Writer, title string) {
	fmt.Fprintf(w, "\n%s\n%s\n", title, strings.Repeat("-", len([]rune(title))))
}

// f3 prints milliseconds with three decimals below 10 ms, where framework
// costs live, and one above.
func f3(v float64) string {
	if v < 10 {
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
