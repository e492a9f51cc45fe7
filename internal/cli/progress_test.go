package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/internal/exitcode"
	"github.com/durable-dspy/durable-dspy/workflows"
)

func TestTheStatusLineShowsStepBestScoreAndSpend(t *testing.T) {
	s := workflows.Status{
		Progress: optimize.Progress{Phase: "search", Step: 5, Total: 19, BestScore: 62.5},
		Spent:    dspy.Usage{Calls: 1340, CacheHits: 12, PromptTokens: 120000, CompletionTokens: 345, Cost: 0.0123},
	}
	assert.Equal(t, "search 5/19 · best 62.50 · LM calls 1,340 (12 cached) · tokens 120,345 · cost $0.0123", statusLine(s))
}

func TestTheStatusLineSaysWhenARunIsPaused(t *testing.T) {
	s := workflows.Status{Progress: optimize.Progress{Phase: "bootstrap", Step: 2}, Paused: true}
	line := statusLine(s)
	assert.True(t, strings.HasPrefix(line, "bootstrap 2 · best 0.00"), line)
	assert.Contains(t, line, "PAUSED")
}

func TestTheStatusLineOfARunNotYetStarted(t *testing.T) {
	assert.True(t, strings.HasPrefix(statusLine(workflows.Status{}), "starting · "))
}

func TestThousandsSeparatesGroupsOfThree(t *testing.T) {
	for in, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4500: "-4,500"} {
		assert.Equal(t, want, thousands(in))
	}
}

func TestTheUILinkPointsAtTheWorkflowInItsNamespace(t *testing.T) {
	assert.Equal(t, "http://127.0.0.1:8233/namespaces/default/workflows/dspy-miprov2-1a2b3c4d",
		uiLink("http://127.0.0.1:8233/", "default", "dspy-miprov2-1a2b3c4d"))
	assert.Equal(t, "https://ui.example/namespaces/team%2Fa/workflows/id%20with%20space",
		uiLink("https://ui.example", "team/a", "id with space"))
}

func TestRunIDsNameTheOptimizer(t *testing.T) {
	assert.Regexp(t, `^dspy-miprov2-[0-9a-f]{8}$`, newRunID("miprov2"))
	assert.NotEqual(t, newRunID("gepa"), newRunID("gepa"))
}

func TestWithoutATerminalTheDisplayPrintsChangedLinesAtAMeasuredPace(t *testing.T) {
	var buf bytes.Buffer
	d := newDisplay(&buf, false)
	now := time.Unix(0, 0)
	d.now = func() time.Time { return now }

	step := func(k int) workflows.Status {
		return workflows.Status{Progress: optimize.Progress{Phase: "search", Step: k, Total: 4}}
	}
	d.show(step(1))
	d.show(step(1)) // unchanged: not repeated
	d.show(step(2)) // changed, but too soon after the last line
	now = now.Add(lineEvery)
	d.show(step(3))
	d.done(statusLine(step(4)))

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	assert.Len(t, lines, 3)
	assert.True(t, strings.HasPrefix(lines[0], "search 1/4"))
	assert.True(t, strings.HasPrefix(lines[1], "search 3/4"))
	assert.True(t, strings.HasPrefix(lines[2], "search 4/4"))
}

func TestTheResultShowsBaselineVersusOptimized(t *testing.T) {
	var buf bytes.Buffer
	printOptimizeResult(&buf, workflows.OptimizeResult{BaselineScore: 40, Score: 72.5, Stopped: "stop requested"})
	out := buf.String()
	assert.Contains(t, out, "baseline score:    40.00")
	assert.Contains(t, out, "optimized score:   72.50  (+32.50)")
	assert.Contains(t, out, "ended early:      stop requested")
}

func TestListQueryFiltersOnTheSearchAttributes(t *testing.T) {
	q := listQuery(&listFlags{optimizer: "miprov2", program: "rag", status: "Running"})
	assert.Equal(t, "WorkflowType = 'dspy.Optimize' AND ExecutionStatus != 'ContinuedAsNew' AND DspyOptimizer = 'miprov2' AND DspyProgram = 'rag' AND ExecutionStatus = 'Running'", q)
	assert.Contains(t, listQuery(&listFlags{status: "paused"}), "DspyStatus = 'paused'")
	assert.Contains(t, listQuery(&listFlags{program: "it's"}), `DspyProgram = 'it\'s'`)
}

func TestAConfigFailureOfTheWorkflowIsBadUsage(t *testing.T) {
	assert.Equal(t, exitcode.Failure, exitCode(assert.AnError))
	assert.Equal(t, exitcode.Usage, exitCode(usagef("--x")))
	assert.Equal(t, exitcode.OK, exitCode(nil))
}
