package cli

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/dspy"
	"github.com/durable-dspy/durable-dspy/dspy/optimize"
	"github.com/durable-dspy/durable-dspy/internal/exitcode"
	"github.com/durable-dspy/durable-dspy/workflows"
)

func TestAnUnknownOutputFormatIsBadUsageNamingIt(t *testing.T) {
	r := runCLI(t, "list", "-o", "yaml")
	assert.Equal(t, exitcode.Usage, r.code)
	assert.Contains(t, r.stderr, `--output "yaml"`)
	assert.Contains(t, r.stderr, "jsonl")
}

func TestTheTrialTableShowsMinibatchesBestSoFarAndTheParetoFront(t *testing.T) {
	var buf bytes.Buffer
	printTrials(&buf, []optimize.Trial{
		{Number: 0, Label: "seed", Score: 40, Full: true, Instruction: "Given the fields `question`, produce the fields `answer`.", Demos: 0},
		{Number: 1, Label: "instr 1 + demos 2", Score: 90, Full: false, Demos: 3},
		{Number: 2, Label: "full evaluation", Score: 55.5, Full: true, Demos: 3},
	}, []int{0, 2})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 5)
	assert.Regexp(t, `^TRIAL\s+EVAL\s+SCORE\s+BEST\s+DEMOS\s+CANDIDATE\s+PARETO$`, lines[0])
	assert.Regexp(t, `^0\s+full\s+40\.00\s+40\.00\s+0\s+seed: "Given the fields .*…\s+\*$`, lines[1])
	assert.Regexp(t, `^1\s+minibatch\s+90\.00\s+40\.00\s+3\s+instr 1 \+ demos 2\s*$`, lines[2], "a minibatch score is not a best")
	assert.Regexp(t, `^2\s+full\s+55\.50\s+55\.50\s+3\s+full evaluation\s+\*$`, lines[3])
	assert.Equal(t, "Pareto front: 2 candidates (trials 0, 2)", lines[4])
}

func TestGEPAsCounterNamesItsUnit(t *testing.T) {
	s := workflows.Status{Progress: optimize.Progress{Phase: "iterate", Step: 120, Total: 400, Unit: "metric calls"}}
	assert.True(t, strings.HasPrefix(statusLine(s), "iterate 120/400 metric calls · "), statusLine(s))
}

func TestACompletedRunsStatusLineCountsItsTrials(t *testing.T) {
	s := workflows.Status{State: "completed", Progress: optimize.Progress{Phase: "search", Step: 1, Total: 3, BestScore: 50, Trials: make([]optimize.Trial, 9)}}
	assert.True(t, strings.HasPrefix(statusLine(s), "completed · 9 trials · best 50.00"), statusLine(s))
}

func TestABaselineNeverMeasuredSaysSo(t *testing.T) {
	var buf bytes.Buffer
	printOptimizeResult(&buf, workflows.OptimizeResult{Score: 72.5, BaselineUnmeasured: true})
	assert.Contains(t, buf.String(), "baseline score:   not measured")
	assert.Contains(t, buf.String(), "optimized score:   72.50\n")
	assert.NotContains(t, buf.String(), "+72.50")
}

func TestTheUIIsLookedForBesideTheAddress(t *testing.T) {
	var asked []string
	answers := func(u string) bool { asked = append(asked, u); return true }
	assert.Equal(t, "http://127.0.0.1:8300", besideAddress("127.0.0.1:7300", answers))
	assert.Equal(t, "http://temporal.internal:8233", besideAddress("temporal.internal:7233", answers))
	assert.Equal(t, "", besideAddress("127.0.0.1:7300", func(string) bool { return false }), "no UI answers: no link")
	assert.Equal(t, []string{"http://127.0.0.1:8300", "http://temporal.internal:8233"}, asked)
}

func TestEvaluateRecordsCarryInputsAndGold(t *testing.T) {
	examples := []dspy.Example{dspy.NewExample("question", "What is 2 + 3?", "answer", "5")}
	pred := dspy.NewExample("reasoning", "add", "answer", "5")
	for _, keys := range [][]string{{"question"}, nil} {
		recs := exampleRecords(examples, keys, []optimize.Outcome{{ID: 0, Score: 1, Prediction: pred}})
		require.Len(t, recs, 1)
		assert.Equal(t, map[string]any{"question": "What is 2 + 3?"}, recs[0].Inputs, "input keys %v", keys)
		assert.Equal(t, map[string]any{"answer": "5"}, recs[0].Gold, "input keys %v", keys)
	}
}

// An optimization followed with --wait ends on its final state, prints the
// trial table, and status --trials and -o json tell the same.
func TestOnAServerTheTrialsAreReadableAndTheLastLineIsTheFinalState(t *testing.T) {
	s := startCLIServer(t)

	r := s.run(optimizeArgs(t, "rs-1", "bootstrap_random_search", `{"num_candidate_programs": 2, "max_bootstrapped_demos": 1, "max_labeled_demos": 2}`)...)
	require.Equal(t, exitcode.OK, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(lastLine(r.stderr), "completed · 5 trials · best "), "last progress line: %q", lastLine(r.stderr))
	assert.Regexp(t, `(?m)^TRIAL\s+EVAL\s+SCORE\s+BEST\s+DEMOS\s+CANDIDATE$`, r.stdout)
	assert.Regexp(t, `(?m)^0\s+full\s+\S+\s+\S+\s+0\s+seed -3 \(zero-shot\): "Given the fields`, r.stdout)
	assert.NotContains(t, r.stdout, "web UI:", "no UI answers beside the test server")

	st := s.run("status", "rs-1", "--trials")
	require.Equal(t, exitcode.OK, st.code, st.stderr)
	assert.Regexp(t, `progress:\s+completed · 5 trials`, st.stdout)
	assert.Regexp(t, `(?m)^4\s+full\s+`, st.stdout)

	js := s.run("status", "rs-1", "-o", "json")
	require.Equal(t, exitcode.OK, js.code, js.stderr)
	var rec struct {
		Status string `json:"status"`
		Result struct {
			Trials     []optimize.Trial `json:"trials"`
			Score      float64          `json:"score"`
			ScoreExact float64          `json:"score_exact"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal([]byte(js.stdout), &rec), js.stdout)
	assert.Equal(t, "Completed", rec.Status)
	require.Len(t, rec.Result.Trials, 5)
	assert.NotEmpty(t, rec.Result.Trials[0].Instruction)
	assert.InDelta(t, rec.Result.Score, rec.Result.ScoreExact, 0.005, "the unrounded score rounds to the score")
	assert.NotZero(t, rec.Result.ScoreExact)

	w := s.run("watch", "rs-1", "-o", "jsonl")
	require.Equal(t, exitcode.OK, w.code, w.stderr)
	for _, line := range strings.Split(strings.TrimSpace(w.stdout), "\n") {
		assert.True(t, json.Valid([]byte(line)), "not a JSON line: %q", line)
	}
	assert.Contains(t, lastLine(w.stdout), `"result":`)
}

// A COPRO run ends on "completed", not on its last checkpoint's depth.
func TestOnAServerACompletedCOPROEndsOnItsFinalState(t *testing.T) {
	s := startCLIServer(t)
	r := s.run(optimizeArgs(t, "copro-1", "copro", `{"breadth": 2, "depth": 2}`)...)
	require.Equal(t, exitcode.OK, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(lastLine(r.stderr), "completed · "), "last progress line: %q", lastLine(r.stderr))
	assert.NotContains(t, r.stderr, "search 1/")
}

// A labeled few-shot run never scores the starting program; its summary
// says so instead of a baseline of 0.
func TestOnAServerAnUnmeasuredBaselineSaysSo(t *testing.T) {
	s := startCLIServer(t)
	r := s.run(optimizeArgs(t, "lfs-1", "labeled_fewshot", `{"k": 2}`)...)
	require.Equal(t, exitcode.OK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "baseline score:   not measured")
}

// Evaluate prints a per-example table and writes inputs and gold beside
// each prediction; list shows the evaluation with its score and spend.
func TestOnAServerEvaluateShowsExamplesAndListShowsIt(t *testing.T) {
	s := startCLIServer(t)
	dir := t.TempDir()
	specPath := writeFile(t, dir, "qa.yaml", qaSpec)
	data := arithmeticData(t, dir, "test.jsonl", 4, 7)
	out := filepath.Join(dir, "results.jsonl")
	r := s.run("evaluate", "--spec", specPath, "--dataset", data, "--id", "eval-1", "--out", out, "--display-table", "3")
	require.Equal(t, exitcode.OK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^#\s+INPUTS\s+GOLD\s+PREDICTION\s+SCORE$`, r.stdout)
	assert.Regexp(t, `(?m)^0\s+\S.*…\s+\d+\s+\d+\s+[01]$`, r.stdout, "inputs cut to the cell width, gold, prediction, score")
	assert.Contains(t, r.stdout, "... 4 more examples")

	b, err := os.ReadFile(out)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 7)
	var first struct {
		Inputs     map[string]any `json:"inputs"`
		Gold       map[string]any `json:"gold"`
		Prediction map[string]any `json:"prediction"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	assert.Contains(t, first.Inputs, "question")
	assert.Contains(t, first.Gold, "answer")
	assert.Contains(t, first.Prediction, "answer")

	// list reads Temporal's visibility store, which learns of the run's
	// completion a moment after the run's own result is out.
	var l result
	completed := regexp.MustCompile(`(?m)^eval-1\s+\S+\s+.*\s+Completed\s`)
	require.Eventually(t, func() bool {
		l = s.run("list")
		return l.code == exitcode.OK && completed.MatchString(l.stdout)
	}, 10*time.Second, 100*time.Millisecond, "list never showed eval-1 completed")
	assert.Regexp(t, `(?m)^WORKFLOW ID\s+OPTIMIZER\s+PROGRAM\s+STATUS\s+BEST\s+BASELINE\s+SPEND\s+DURATION\s+STARTED\s+KIND$`, l.stdout)
	assert.Regexp(t, `(?m)^eval-1\s+-\s+predict\(question -> answer\)\s+Completed\s+\d+\.\d\d\s+-\s+\d+ calls \$\S+\s+\S+\s+.*\s+evaluate$`, l.stdout)

	lj := s.run("list", "-o", "jsonl")
	require.Equal(t, exitcode.OK, lj.code, lj.stderr)
	assert.Contains(t, lj.stdout, `"kind":"evaluate"`)
}

// With a UI answering beside --address, the printed link follows it.
func TestOnAServerTheUILinkFollowsTheAddress(t *testing.T) {
	ui := httptest.NewServer(http.NotFoundHandler())
	defer ui.Close()
	host, port, err := net.SplitHostPort(strings.TrimPrefix(ui.URL, "http://"))
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	if p <= uiPortOffset {
		t.Skipf("the UI stand-in got port %d, too low to sit beside a frontend port", p)
	}
	s := startCLIServer(t)
	address := net.JoinHostPort(host, strconv.Itoa(p-uiPortOffset))
	r := s.run(append([]string{"--address", address}, optimizeArgs(t, "lfs-ui", "labeled_fewshot", `{"k": 1}`)...)...)
	require.Equal(t, exitcode.OK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "web UI:      "+ui.URL+"/namespaces/")
}

func TestTheImprovementComesFromUnroundedScores(t *testing.T) {
	var buf bytes.Buffer
	// 1/3 and 2/3 of the examples: rounded 33.33 and 66.67, 33.33 apart.
	printOptimizeResult(&buf, workflows.OptimizeResult{BaselineScore: 33.33, Score: 66.67, BaselineExact: 100.0 / 3, ScoreExact: 200.0 / 3})
	assert.Contains(t, buf.String(), "optimized score:   66.67  (+33.33)")
}
