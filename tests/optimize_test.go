package tests

import (
	"encoding/json"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-dspy/durable-dspy/simlm"
)

// cliTimeout bounds one CLI command that waits for an optimization.
const cliTimeout = 3 * time.Minute

// quickTimeout bounds a CLI command that should answer at once.
const quickTimeout = time.Minute

// scoreRE reads the scores `optimize --wait`, `watch` and `status` print.
var scoreRE = regexp.MustCompile(`(?m)^(baseline|optimized) score:\s+(-?[0-9.]+|not measured)`)

// scores returns the baseline and optimized scores a command printed; a
// baseline the optimizer never measured is NaN.
func scores(t *testing.T, out string) (baseline, optimized float64) {
	t.Helper()
	found := map[string]float64{}
	for _, m := range scoreRE.FindAllStringSubmatch(out, -1) {
		if m[2] == "not measured" {
			found[m[1]] = math.NaN()
			continue
		}
		v, err := strconv.ParseFloat(m[2], 64)
		require.NoError(t, err)
		found[m[1]] = v
	}
	require.Contains(t, found, "baseline", "no baseline score in:\n%s", out)
	require.Contains(t, found, "optimized", "no optimized score in:\n%s", out)
	return found["baseline"], found["optimized"]
}

// A user's whole path through the CLI: optimize a spec durably and wait for
// it, export the compiled program, and run it on a new input.
func TestOptimizeExportRunUsesTheCompiledProgram(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	f := fixtures(t)
	lm := startSimLM(t, simlm.Config{Seed: 3})
	const queue = "e2e-optimize"
	startWorker(t, workerConfig{address: srv.address(), taskQueue: queue, lmURL: lm.URL()})
	c := cli{address: srv.address(), taskQueue: queue}

	dir := t.TempDir()
	compiled := filepath.Join(dir, "compiled.json")
	const id = "e2e-optimize-export-run"
	res := c.mustRun(t, cliTimeout, "optimize", "--id", id,
		"--spec", f.spec, "--trainset", f.smallTrain, "--valset", f.smallVal,
		"--metric", "exact_match", "--optimizer", "bootstrap_random_search",
		"--param", "num_candidate_programs=2", "--wait", "--out", compiled)
	assert.Contains(t, res.stdout, "workflow ID: "+id)
	baseline, optimized := scores(t, res.stdout)
	assert.GreaterOrEqual(t, optimized, baseline, "the optimizer keeps the baseline when nothing beats it")
	assert.Contains(t, res.stdout, "compiled program written to "+compiled)
	assert.Positive(t, lm.Stats().Succeeded, "the worker called the test's LM")

	// The compiled program is DSPy JSON: the spec's program is a single
	// Predict, saved as DSPy's Predict.dump_state lays it out, its keys beside
	// "metadata" and no key per predictor.
	written, err := os.ReadFile(compiled)
	require.NoError(t, err)
	var predictor struct {
		Self      json.RawMessage  `json:"self"`
		Demos     []map[string]any `json:"demos"`
		Signature struct {
			Fields []map[string]any `json:"fields"`
		} `json:"signature"`
		Metadata map[string]any `json:"metadata"`
	}
	require.NoError(t, json.Unmarshal(written, &predictor), "compiled.json is a saved Predict:\n%s", written)
	assert.Nil(t, predictor.Self, "a single Predict is saved flat")
	assert.NotNil(t, predictor.Demos, "the saved predictor carries its demos")
	assert.NotEmpty(t, predictor.Signature.Fields, "the saved predictor carries its signature")
	assert.NotEmpty(t, predictor.Metadata)

	// export writes the same program.
	exported := filepath.Join(dir, "exported.json")
	res = c.mustRun(t, quickTimeout, "export", id, "--out", exported)
	assert.Contains(t, res.stdout, exported)
	again, err := os.ReadFile(exported)
	require.NoError(t, err)
	assert.JSONEq(t, string(written), string(again), "export writes the program optimize --out wrote")

	// status reports the finished run and its scores.
	res = c.mustRun(t, quickTimeout, "status", id)
	assert.Regexp(t, `status:\s+Completed`, res.stdout)
	_, statusOptimized := scores(t, res.stdout)
	assert.Equal(t, optimized, statusOptimized)

	// run applies the exported program to a new question. It runs in the
	// CLI's process on the simulated LM, since no API key is set.
	question := simlm.ArithmeticDataset(99, 1)[0].Question
	res = runCLI(t, quickTimeout, "run", "--spec", f.spec, "--state", exported, "--input", "question="+question)
	require.Zero(t, res.code, "%s", res)
	var pred map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &pred), "run prints the prediction as JSON:\n%s", res.stdout)
	answer, ok := pred["answer"].(string)
	require.True(t, ok, "the prediction has an answer: %v", pred)
	assert.NotEmpty(t, strings.TrimSpace(answer))

	// serve --from-run fetches the run's compiled program through Temporal,
	// names the run as its origin, and answers as run with the exported
	// state does (both on the default simulated LM).
	s := startServe(t, "--spec", f.spec, "--from-run", id, "--name", "qa", "--address", srv.address())
	listing, err := http.Get(s.url + "/v1/programs")
	require.NoError(t, err)
	var programs struct {
		Programs []struct {
			Name   string `json:"name"`
			Origin struct {
				Kind  string `json:"kind"`
				RunID string `json:"run_id"`
			} `json:"origin"`
		} `json:"programs"`
	}
	require.NoError(t, json.NewDecoder(listing.Body).Decode(&programs))
	listing.Body.Close()
	require.Len(t, programs.Programs, 1)
	assert.Equal(t, "run", programs.Programs[0].Origin.Kind)
	assert.Equal(t, id, programs.Programs[0].Origin.RunID)
	served := post(loadClient(1), s.url+"/v1/programs/qa", question)
	require.Equal(t, http.StatusOK, served.status, "%s", served.body)
	var servedPred map[string]any
	require.NoError(t, json.Unmarshal(served.body, &servedPred))
	assert.Equal(t, answer, servedPred["answer"], "serve --from-run answers as run --state does")
	assert.Equal(t, 0, s.terminate(t))
}

// list shows each optimization with its optimizer, program, status and best
// score, and --optimizer keeps only that optimizer's runs.
func TestListShowsRunsAndFiltersByOptimizer(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	f := fixtures(t)
	lm := startSimLM(t, simlm.Config{Seed: 4})
	const queue = "e2e-list"
	startWorker(t, workerConfig{address: srv.address(), taskQueue: queue, lmURL: lm.URL()})
	c := cli{address: srv.address(), taskQueue: queue}

	const labeledID, bootstrapID = "e2e-list-labeled", "e2e-list-bootstrap"
	best := map[string]float64{}
	for id, optimizer := range map[string]string{labeledID: "labeled_fewshot", bootstrapID: "bootstrap_fewshot"} {
		res := c.mustRun(t, cliTimeout, "optimize", "--id", id, "--optimizer", optimizer,
			"--spec", f.spec, "--trainset", f.smallTrain, "--valset", f.smallVal, "--wait")
		_, best[id] = scores(t, res.stdout)
	}

	// Columns are padded with at least two spaces; a program name such as
	// "predict(question -> answer)" holds single ones.
	columns := regexp.MustCompile(`\s{2,}`)
	rowOf := func(out, id string) []string {
		for _, line := range strings.Split(out, "\n") {
			if fields := columns.Split(strings.TrimSpace(line), -1); len(fields) > 0 && fields[0] == id {
				return fields
			}
		}
		return nil
	}
	// Visibility is updated asynchronously; wait until both runs show
	// their final status and score.
	var out string
	require.Eventually(t, func() bool {
		res := c.run(t, quickTimeout, "list", "--limit", "100")
		out = res.stdout
		for _, id := range []string{labeledID, bootstrapID} {
			row := rowOf(out, id)
			if res.code != 0 || len(row) < 5 || row[3] != "Completed" || row[4] == "-" {
				return false
			}
		}
		return true
	}, time.Minute, 500*time.Millisecond, "list never showed both runs completed")

	assert.Contains(t, out, "OPTIMIZER")
	for id, optimizer := range map[string]string{labeledID: "labeled_fewshot", bootstrapID: "bootstrap_fewshot"} {
		row := rowOf(out, id)
		assert.Equal(t, optimizer, row[1], "optimizer of %s", id)
		assert.Equal(t, "predict(question -> answer)", row[2], "program of %s", id)
		assert.Equal(t, "Completed", row[3], "status of %s", id)
		assert.Equal(t, strconv.FormatFloat(best[id], 'f', 2, 64), row[4], "best score of %s", id)
	}

	res := c.mustRun(t, quickTimeout, "list", "--optimizer", "labeled_fewshot")
	assert.NotNil(t, rowOf(res.stdout, labeledID), "filtered list:\n%s", res.stdout)
	assert.Nil(t, rowOf(res.stdout, bootstrapID), "--optimizer labeled_fewshot listed a bootstrap_fewshot run:\n%s", res.stdout)
	for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n")[1:] {
		assert.Equal(t, "labeled_fewshot", strings.Fields(line)[1], "row of another optimizer: %s", line)
	}

	res = c.mustRun(t, quickTimeout, "list", "--optimizer", "gepa", "--program", "no-such-program")
	assert.Contains(t, res.stdout, "no runs match")
}
