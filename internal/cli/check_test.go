package cli

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.temporal.io/sdk/client"

	"github.com/durable-dspy/durable-dspy/internal/exitcode"
	"github.com/durable-dspy/durable-dspy/worker/temporalconn"
)

// errDialed is what the dial seam of runCLIPastChecks returns: a command that
// reached it passed every check the starter runs before starting a run.
var errDialed = errors.New("dialed Temporal")

// runCLIPastChecks runs the CLI in-process with a dial that fails with
// errDialed, for commands that should pass validation.
func runCLIPastChecks(t *testing.T, args ...string) result {
	t.Helper()
	t.Setenv("OPENAI_API_KEY", "")
	t.Setenv("OPENAI_BASE_URL", "")
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), Options{
		Args: args, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Dial: func(context.Context, temporalconn.Options, *slog.Logger) (client.Client, error) {
			return nil, errDialed
		},
	})
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// Each of these used to start a workflow that failed seconds later; now the
// starter refuses it before dialing Temporal (runCLI fails the test on a
// dial), exiting 2 with the place at fault.
func TestTyposAreRefusedBeforeTheRunStartsNamingThePlace(t *testing.T) {
	specPath, train, val := fixture(t)
	dir := t.TempDir()
	noQuestion := writeFile(t, dir, "q.jsonl", `{"question": "What is 1 + 1?", "answer": "2"}`+"\n\n"+`{"q": "What is 2 + 2?", "answer": "4"}`+"\n")
	noAnswerCSV := writeFile(t, dir, "gold.csv", "question,gold\nWhat is 1 + 1?,2\n")
	goldSpec := writeFile(t, dir, "gold.yaml", "module: predict\nsignature: \"question -> gold\"\n")
	cases := []struct {
		name string
		args []string
		want []string
	}{{
		name: "an auto level that does not exist",
		args: []string{"optimize", "--spec", specPath, "--trainset", train, "--valset", val, "--optimizer", "miprov2", "--param", "auto=lite"},
		want: []string{"--param", "miprov2", `"lite"`},
	}, {
		name: "gepa with auto and max_metric_calls",
		args: []string{"optimize", "--spec", specPath, "--trainset", train, "--optimizer", "gepa", "--param", "auto=light", "--param", "max_metric_calls=20"},
		want: []string{"--param", "gepa", "exactly one of auto, max_full_evals and max_metric_calls"},
	}, {
		name: "an unknown metric",
		args: []string{"optimize", "--spec", specPath, "--trainset", train, "--metric", "exact_mach"},
		want: []string{"--metric exact_mach", `unknown metric "exact_mach"`, "exact_match", "--label"},
	}, {
		name: "a trainset example without the signature's input field",
		args: []string{"optimize", "--spec", specPath, "--trainset", noQuestion},
		want: []string{"--trainset " + noQuestion + ":3", `missing input field "question"`, `"q", "answer"`},
	}, {
		name: "a valset without the metric's label field",
		args: []string{"optimize", "--spec", specPath, "--trainset", train, "--valset", noAnswerCSV},
		want: []string{"--valset " + noAnswerCSV + ":2", `no gold "answer"`, "exact_match", "--label"},
	}, {
		name: "an evaluation dataset without the metric's label field",
		args: []string{"evaluate", "--spec", specPath, "--dataset", noAnswerCSV, "--metric", "f1"},
		want: []string{"--dataset " + noAnswerCSV + ":2", `no gold "answer"`, "f1", "--label"},
	}, {
		name: "a label the program does not output",
		args: []string{"evaluate", "--spec", specPath, "--dataset", train, "--label", "gold"},
		want: []string{"--label gold", `the program outputs "answer"`},
	}, {
		name: "a label the data does not have",
		args: []string{"evaluate", "--spec", goldSpec, "--dataset", train, "--label", "gold"},
		want: []string{"--dataset " + train + ":1", `no gold "gold"`},
	}, {
		name: "a registered program's data still needs the label",
		args: []string{"optimize", "--program", "rag", "--trainset", noAnswerCSV},
		want: []string{"--trainset " + noAnswerCSV + ":2", `no gold "answer"`},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.args...)
			assert.Equal(t, exitcode.Usage, r.code, r.stderr)
			for _, w := range tc.want {
				assert.Contains(t, r.stderr, w)
			}
			assert.Equal(t, 1, strings.Count(r.stderr, "error: "), r.stderr)
		})
	}
}

func TestADryRunIsCheckedAsARunIs(t *testing.T) {
	specPath, train, val := fixture(t)
	r := runCLI(t, "optimize", "--spec", specPath, "--trainset", train, "--valset", val, "--optimizer", "gepa", "--param", "auto=lite", "--dry-run")
	assert.Equal(t, exitcode.Usage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--param")
}

// What the starter cannot know it does not claim: a program registered on a
// worker, or a metric the worker registers once its gold field is named.
func TestWhatOnlyTheWorkerKnowsPassesTheChecks(t *testing.T) {
	specPath, train, _ := fixture(t)
	dir := t.TempDir()
	gold := writeFile(t, dir, "gold.jsonl", `{"question": "What is 1 + 1?", "gold": "2"}`+"\n")
	goldSpec := writeFile(t, dir, "gold.yaml", "module: chain_of_thought\nsignature: \"question -> gold\"\n")
	for _, args := range [][]string{
		{"optimize", "--program", "rag", "--trainset", train, "--optimizer", "gepa", "--param", "auto=light"},
		{"optimize", "--spec", specPath, "--trainset", train, "--metric", "my_metric", "--label", "answer"},
		{"evaluate", "--spec", goldSpec, "--dataset", gold, "--label", "gold"},
	} {
		r := runCLIPastChecks(t, args...)
		assert.Equal(t, exitcode.Failure, r.code, "%q: %s", args, r.stderr)
		assert.Contains(t, r.stderr, errDialed.Error(), "%q passes the checks", args)
	}
}

func TestExampleLinesFollowTheFileLayout(t *testing.T) {
	dir := t.TempDir()
	jsonl := writeFile(t, dir, "a.jsonl", "\n{\"a\": 1}\n\n\n{\"a\": 2}\n")
	line, err := exampleLine(jsonl, 2)
	assert.NoError(t, err)
	assert.Equal(t, 5, line)
	csvPath := writeFile(t, dir, "a.csv", "a,b\n\"x\ny\",1\n2,3\n")
	line, err = exampleLine(csvPath, 2)
	assert.NoError(t, err)
	assert.Equal(t, 4, line)
	_, err = exampleLine(csvPath, 3)
	assert.Error(t, err)
}
